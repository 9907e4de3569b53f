//! A small, durable CloudEvents gateway: it accepts events over HTTP (binary, structured and
//! batched), answers 202 only once they are committed, and fans them out to subscribers with
//! filters, per-attempt timeouts, retries with backoff, `Retry-After`, dead letters and
//! redelivery. DESIGN §6–§8 is its contract.
//!
//! # Layout
//! - [`settings`]: the command line and every setting, with environment fallbacks.
//! - [`startup`]: [`startup::Application`]: build, run until stopped, drain.
//! - [`domain`]: subscriptions and their state, filters, sinks and the SSRF policy, Standard
//!   Webhooks signing, ISO 8601 durations, and the retry policy as a pure function. No HTTP and
//!   no SQL.
//! - [`store`]: the [`store::Store`] trait, the one storage boundary, and its backends
//!   ([`store::sqlite`], embedded, one process; [`store::postgres`], any number of replicas).
//! - [`ingest`]: group commit: writer tasks batch concurrent requests into one transaction each
//!   (one writer on SQLite, a few on PostgreSQL).
//! - [`cache`]: the in-memory subscriptions that ingest matches and the dispatcher claims for,
//!   following the store's subscriptions version (so changes made on other replicas).
//! - [`dispatch`]: the claimer loop with per-subscription flow control (rate limits, pauses),
//!   one task per attempt (signed), and the batched completer (which also disables
//!   subscriptions that answered 410 or kept failing).
//! - [`routes`]: the HTTP API, one module per resource.
//! - [`console`]: the web console at `/console`: server-rendered pages over the same store and
//!   handlers, htmx, and the API's SSE stream for the live tail.
//! - [`server`]: the connection loop with header deadlines and size and connection caps.
//! - [`auth`]: bearer tokens (read and write scopes) for the management API and `/events`.
//! - [`handshake`]: the CloudEvents webhook handshake (abuse protection) before deliveries.
//! - [`inbound`]: inbound webhook sources, their signatures and their mapping to CloudEvents.
//! - [`error`]: [`error::ApiError`], answered as problem+json, and the middleware that makes
//!   every other error answer problem+json too.
//! - [`static_subscriptions`]: subscriptions from a YAML or TOML file, upserted at start.
//! - [`maintenance`]: retention and the pending-deliveries gauge.
//! - [`display`]: `event-gateway display`, a sink that prints what it receives.

pub mod auth;
pub mod cache;
pub mod console;
pub mod dispatch;
pub mod display;
pub mod domain;
pub mod error;
pub mod handshake;
pub mod inbound;
pub mod ingest;
pub mod jobs;
pub mod maintenance;
pub mod routes;
pub mod server;
pub mod settings;
pub mod startup;
pub mod static_subscriptions;
pub mod store;
pub mod stream;

pub use settings::{Cli, Command, GatewaySettings};
pub use startup::Application;
