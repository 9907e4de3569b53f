//! order-service: orders kept as event streams (event sourcing), the order side of the payment
//! saga, a CQRS list projection, and request/response over CloudEvents.
//!
//! Each order is an append-only stream of the CloudEvents of its saga, appended with optimistic
//! concurrency; its state is a pure fold of the stream; the events it sends are relayed from the
//! stream itself (the stream is the outbox); list queries read a projection that can be rebuilt
//! (`order-service rebuild`).
//!
//! # Layout
//! - [`settings`]: command line and environment (`serve`, `rebuild`).
//! - [`startup`]: [`startup::Application`]: build, serve, relay, project, shut down.
//! - [`routes`]: the HTTP API, one file per resource.
//! - [`domain`]: the order aggregate (events, fold, decisions), use cases, and the commands,
//!   incoming events and queries that reach them through the buses.
//! - [`store`]: the storage boundary ([`store::OrderStore`]) and its SQLite backend.
//! - [`projection`]: the projector behind `GET /orders` and `rebuild`.
//! - [`payments`]: asking payment-service with a `payment.get.v1` query.
//! - [`error`]: [`error::ApiError`], answered as problem+json.

pub mod domain;
pub mod error;
pub mod payments;
pub mod projection;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod store;
