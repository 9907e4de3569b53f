//! The benchmark harness of the event platform: in one run on one machine it measures the HTTP
//! floor, the gateway's durable ingest, fan-out to K subscribers end to end, ingest→delivery
//! latency under an open-loop load, the payment saga through the whole stack and the gateway's
//! resources, then prints a table and writes `BENCHMARKS.md` (see `docs/benchmarks.md`).
//!
//! The gateway and the services run as child processes (their release binaries) on free ports
//! with fresh temporary SQLite databases (the Postgres column: fresh databases on the
//! `--postgres-url` server, one or two gateway replicas on each); subscribers are real HTTP
//! receivers in this process.
//!
//! # Layout
//! - [`settings`]: the command line and the resolved [`Plan`](settings::Plan).
//! - [`runner`]: runs the selected scenarios, prints and writes the report.
//! - [`scenario`]: the [`Scenario`](scenario::Scenario) trait and one file per scenario.
//! - [`context`]: what scenarios share; starting the gateway and services, subscribing.
//! - [`gateways`]: the gateway under test on SQLite or as PostgreSQL replicas ([`Backend`](gateways::Backend)).
//! - [`postgres`]: a fresh PostgreSQL database per run, and the table sizes left in it.
//! - [`children`]: child processes (finding/building binaries, health waits, kill on exit).
//! - [`load`]: closed-loop and open-loop posters.
//! - [`receiver`]: the in-process subscriber that counts events by id.
//! - [`ledger`]: lock-free bookkeeping of what was sent, accepted and received, and when.
//! - [`event`]: the bench event and its sequence-carrying ids.
//! - [`figures`]: figures, units, targets and recorded samples.
//! - [`stats`]: percentiles and median/min/max (pure).
//! - [`report`]: the table and the `BENCHMARKS.md` document (pure).
//! - [`machine`]: cores, memory, commit, load and per-process figures from `/proc`.

pub mod children;
pub mod context;
pub mod event;
pub mod figures;
pub mod gateways;
pub mod ledger;
pub mod load;
pub mod machine;
pub mod postgres;
pub mod receiver;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod settings;
pub mod stats;

pub use settings::BenchSettings;
