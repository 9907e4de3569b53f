//! payment-service: charges, declines and refunds for the order saga, state-based with a
//! transactional outbox.
//!
//! It obeys `payment.make.v1` (charge, or decline above `--max-amount-cents`) and
//! `payment.refund.v1` (compensation), answers the `payment.get.v1` query with
//! `payment.state.v1`, and announces what it did (`payment.created.v1`, `payment.declined.v1`,
//! `payment.refunded.v1`) through an outbox written in the same transaction as the change and
//! the inbox entry of the command that caused it.
//!
//! # Layout
//! - [`settings`]: command line and environment.
//! - [`startup`]: [`startup::Application`]: build, serve, relay, shut down.
//! - [`routes`]: the HTTP API, one file per resource.
//! - [`domain`]: the payment, its decisions, the use cases, and the commands and queries that
//!   reach them through the command bus.
//! - [`store`]: the storage boundary ([`store::PaymentStore`]) and its SQLite backend.
//! - [`error`]: [`error::ApiError`], answered as problem+json.

pub mod domain;
pub mod error;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod store;
