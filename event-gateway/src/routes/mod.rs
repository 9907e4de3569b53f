//! The HTTP API, one module per resource, each exporting `router()`; [`crate::startup`] merges
//! them.

use std::sync::Arc;

use crate::cache::SubscriptionCache;
use crate::domain::{DeliveryPolicy, SinkPolicy};
use crate::ingest::IngestQueue;
use crate::store::Store;

pub mod deadletters;
pub mod events;
pub mod health;
pub mod subscriptions;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The storage boundary.
    pub store: Arc<dyn Store>,
    /// The subscriptions ingest matches against.
    pub cache: Arc<SubscriptionCache>,
    /// The group-commit writer.
    pub ingest: IngestQueue,
    /// Which sinks are allowed.
    pub sink_policy: SinkPolicy,
    /// Delivery settings of subscriptions that leave them out.
    pub delivery_defaults: Arc<DeliveryPolicy>,
    /// Wakes the dispatcher when deliveries become due (redelivery).
    pub wake: Arc<tokio::sync::Notify>,
}

/// Reads a `limit` query parameter: default 100, at most 1000.
fn limit(value: Option<u32>) -> u32 {
    value.unwrap_or(100).clamp(1, 1000)
}
