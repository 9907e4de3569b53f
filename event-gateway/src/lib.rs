//! A small, durable CloudEvents gateway: it accepts events over HTTP (binary, structured and
//! batched), answers 202 only once they are committed, and fans them out to subscribers with
//! filters, per-attempt timeouts, retries with backoff, `Retry-After`, dead letters and
//! redelivery. DESIGN §6–§8 is its contract.
//!
//! # Layout
//! - [`settings`]: the command line and every setting, with environment fallbacks.
//! - [`startup`]: [`startup::Application`]: build, run until stopped, drain.
//! - [`domain`]: subscriptions, filters, sinks and the SSRF policy, ISO 8601 durations, and
//!   the retry policy as a pure function. No HTTP and no SQL.
//! - [`store`]: the [`store::Store`] trait, the one storage boundary, and its backends
//!   ([`store::sqlite`]).
//! - [`ingest`]: group commit: one writer task batches concurrent requests into one transaction.
//! - [`cache`]: the in-memory subscriptions that ingest matches and the dispatcher claims for.
//! - [`dispatch`]: the claimer loop, one task per attempt, and the batched completer.
//! - [`routes`]: the HTTP API, one module per resource.
//! - [`error`]: [`error::ApiError`], answered as problem+json.
//! - [`static_subscriptions`]: subscriptions from a YAML or TOML file, upserted at start.
//! - [`maintenance`]: retention and the pending-deliveries gauge.
//! - [`display`]: `event-gateway display`, a sink that prints what it receives.

pub mod cache;
pub mod dispatch;
pub mod display;
pub mod domain;
pub mod error;
pub mod ingest;
pub mod maintenance;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod static_subscriptions;
pub mod store;

pub use settings::{Cli, Command, GatewaySettings};
pub use startup::Application;
