//! The event model, typed catalog, CloudEvents HTTP binding, schemas, in-process buses and
//! problem+json that every component of the workspace shares.
//!
//! # Layout
//! - [`problem`]: RFC 9457 problem details, the one error body every component answers with.
//! - [`attributes`]: the CloudEvents 1.0.2 attribute rules (non-empty `id`/`source`, extension
//!   names, …) checked on every event that enters or leaves.
//! - [`format`](mod@format): the JSON event format (structured mode and batches) on top of [`Event`].
//! - [`http`]: the HTTP protocol binding in all three modes; axum receivers behind the `axum`
//!   feature, a reqwest sender behind the `reqwest` feature.
//! - [`event_type`]: [`EventType`], a parsed `com.example.<entity>.<action>.v<N>` name.
//! - [`catalog`]: one Rust type per event, command, query and reply of the catalog.
//! - [`schema`]: the JSON Schemas generated from the catalog types and validation against them.
//! - [`producer`]: building outgoing events with every attribute the contract requires.
//! - [`trace`]: the W3C `traceparent` carried on every event of a saga.
//! - `service` (feature `service`): plumbing every server binary shares: telemetry, Prometheus
//!   metrics, the shutdown token, backoff.
//! - [`registry`]: the catalog as a read-only xRegistry (v1.0-rc4): message definitions and
//!   schema Versions; its HTTP routes behind the `axum` feature.
//! - [`asyncapi`]: AsyncAPI 3.0 documents of the services, from [`asyncapi::ServiceSpec`]s.
//! - [`contracts`]: consumer expectations (Pact V4 message pacts) and their verification
//!   against events built by the producers' real code.
//! - [`webhook`]: Standard Webhooks signatures: secrets, signing and verification.
//! - [`display`]: an event as readable text, as `event-gateway display` and `cectl receive`
//!   print it.
//! - [`bus`]: the in-process [`bus::EventBus`] (many handlers) and [`bus::CommandBus`] (one
//!   handler per command).

pub mod asyncapi;
pub mod attributes;
pub mod bus;
pub mod catalog;
pub mod contracts;
pub mod display;
pub mod event_type;
pub mod format;
pub mod http;
pub mod problem;
pub mod producer;
pub mod registry;
pub mod schema;
#[cfg(feature = "service")]
pub mod service;
pub mod trace;
pub mod webhook;

pub use cloudevents::{
    AttributesReader, AttributesWriter, Data, Event, EventBuilder, EventBuilderV10,
};
pub use event_type::EventType;
pub use problem::Problem;
