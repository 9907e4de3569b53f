//! The HTTP API, one module per resource, each exporting `router()`; [`crate::startup`] merges
//! them.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::cache::SubscriptionCache;
use crate::dispatch::{FlowControl, Sender};
use crate::domain::{DeliveryPolicy, SinkPolicy};
use crate::handshake::HandshakeSettings;
use crate::inbound::WebhookSource;
use crate::ingest::{Commits, IngestQueue};
use crate::store::{LeaseOwner, Store};

pub mod deadletters;
pub mod deliveries;
pub mod events;
pub mod handshake;
pub mod health;
pub mod jobs;
pub mod pause;
pub mod pull;
pub mod secret;
pub mod stream;
pub mod subscriptions;
pub mod webhooks;

/// The inbound webhook sources and how strict their timestamps are.
#[derive(Debug, Default)]
pub struct WebhookSettings {
    /// Sources by name (`/webhooks/{name}`).
    pub sources: HashMap<String, WebhookSource>,
    /// How far a Standard Webhooks timestamp may be from now.
    pub tolerance: Duration,
}

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
    /// Commit signals: wakes the dispatcher when deliveries become due (redelivery), and
    /// stream readers and pull consumers when events arrive.
    pub commits: Arc<Commits>,
    /// Wakes this replica's job runner when a job is created.
    pub jobs: Arc<tokio::sync::Notify>,
    /// The guarded HTTP client (for handshakes).
    pub sender: Sender,
    /// How handshakes introduce the gateway.
    pub handshake: Arc<HandshakeSettings>,
    /// Per-subscription rate limits and pauses (shown in reads, reset by PUT).
    pub flow: Arc<FlowControl>,
    /// How long an old secret keeps signing after a rotation.
    pub secret_grace: Duration,
    /// Inbound webhook sources.
    pub webhooks: Arc<WebhookSettings>,
    /// This process's id among the replicas (the owner of its delivery leases).
    pub replica: LeaseOwner,
}

/// Reads a `limit` query parameter: default 100, at most 1000.
fn limit(value: Option<u32>) -> u32 {
    value.unwrap_or(100).clamp(1, 1000)
}
