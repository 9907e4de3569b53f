//! The storage boundary: what the use cases, the relay and the projector need from a database,
//! as one trait ([`OrderStore`]), with one module per backend and its SQL in plain sight.
//!
//! - The **event store**: one append-only stream per order, appended with optimistic concurrency
//!   (an append names the version it expects; a unique key on `(stream_id, version)` refuses the
//!   loser). Each appended event the order *sends* also gets an outbox row in the same
//!   transaction, so the stream is the outbox.
//! - The **inbox** (`(source, id)` of every handled event) and **idempotency keys** are written
//!   in the same transaction as the events they caused.
//! - The **projection** (`order_view`) and its checkpoint, for list queries.

mod codec;
mod postgres;
mod sqlite;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use shared_events::catalog::values::{OrderId, OrderStatus};
use shared_events::service::relay::Outbox;
use std::sync::Arc;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Stored data could not be read.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The database URL names an engine this build does not support.
    #[error("unsupported database URL `{0}`; use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
}

/// One event as stored: a CloudEvent of an order's saga, sent or received.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// Global position (ascending in commit order on SQLite); the projector's checkpoint.
    pub position: i64,
    /// The order.
    pub stream_id: OrderId,
    /// 1 for the first event of the stream.
    pub version: u64,
    /// The CloudEvents `id`.
    pub id: String,
    /// The CloudEvents `source` (ours for sent events, the sender's for received ones).
    pub source: String,
    /// The CloudEvents `type`.
    pub event_type: String,
    /// The CloudEvents `time`.
    pub time: DateTime<Utc>,
    /// The `traceparent` it carried.
    pub traceparent: String,
    /// The `data`.
    pub data: Value,
    /// Whether order-service sends it.
    pub published: bool,
}

/// An event to append.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The CloudEvents `id` (a fresh UUIDv7 for our events, the sender's for received ones).
    pub id: String,
    /// The CloudEvents `source`.
    pub source: String,
    /// The CloudEvents `type`.
    pub event_type: &'static str,
    /// The CloudEvents `time`.
    pub time: DateTime<Utc>,
    /// The `dataschema` it is published with (sent events only).
    pub dataschema: Option<String>,
    /// The `traceparent`.
    pub traceparent: String,
    /// The `data`.
    pub data: Value,
    /// Whether to relay it to `K_SINK`.
    pub publish: bool,
}

/// The `(source, id)` of a handled incoming event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxKey {
    /// Its `source`.
    pub source: String,
    /// Its `id`.
    pub id: String,
}

/// An `Idempotency-Key` and what it was used for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// The key.
    pub key: String,
    /// A hash of the request body it came with.
    pub request_hash: String,
    /// The order it created.
    pub order_id: OrderId,
}

/// One atomic write: events on one stream, plus the inbox entry or idempotency key they answer.
#[derive(Debug, Clone)]
pub struct Append {
    /// The stream.
    pub stream: OrderId,
    /// The version the writer read; the first new event gets `expected_version + 1`.
    pub expected_version: u64,
    /// The events, in order (may be empty to record only the inbox entry).
    pub events: Vec<NewEvent>,
    /// The incoming event this write handles.
    pub inbox: Option<InboxKey>,
    /// The idempotency key of the request this write answers.
    pub idempotency: Option<IdempotencyRecord>,
}

/// What an [`Append`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendOutcome {
    /// Written; the stream is now at `version`.
    Appended {
        /// The stream's new version.
        version: u64,
    },
    /// The inbox already had the event: nothing was written.
    Duplicate,
    /// Another writer appended first: nothing was written; decide again on fresh state.
    Conflict,
    /// The idempotency key was taken by a concurrent request: nothing was written.
    KeyTaken,
}

/// An order as the projection holds it (for lists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderView {
    /// The order.
    pub order_id: OrderId,
    /// Who placed it.
    pub customer_id: String,
    /// Its status.
    pub status: OrderStatus,
    /// Its total.
    pub total_cents: i64,
    /// Its currency.
    pub currency: String,
    /// Its payment, if any.
    pub payment_id: Option<String>,
    /// The stream version it reflects.
    pub version: u64,
    /// When it was placed.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A page of the order list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Only orders in this status.
    pub status: Option<OrderStatus>,
    /// Only orders after this one (ids are time-ordered UUIDv7s).
    pub after: Option<OrderId>,
    /// At most this many.
    pub limit: u32,
}

/// Events read for the projector: every event (up to `upper`) of the streams that changed after
/// the checkpoint.
#[derive(Debug, Clone, Default)]
pub struct ProjectionBatch {
    /// Ordered by stream, then version.
    pub events: Vec<StoredEvent>,
    /// The highest position covered; the new checkpoint.
    pub upper: i64,
}

/// Everything order-service stores. The relay side is the shared [`Outbox`].
#[async_trait]
pub trait OrderStore: Outbox {
    /// The events of one stream, in version order (up to `up_to` when given).
    ///
    /// # Errors
    /// A storage failure.
    async fn load_stream(
        &self,
        id: OrderId,
        up_to: Option<u64>,
    ) -> Result<Vec<StoredEvent>, StoreError>;

    /// Appends atomically: inbox entry, idempotency key, events and their outbox rows.
    ///
    /// # Errors
    /// A storage failure (conflicts are an [`AppendOutcome`], not an error).
    async fn append(&self, append: Append) -> Result<AppendOutcome, StoreError>;

    /// The record of an idempotency key, if it was used.
    ///
    /// # Errors
    /// A storage failure.
    async fn find_idempotency_key(
        &self,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError>;

    /// The projector's checkpoint (0 before the first event).
    ///
    /// # Errors
    /// A storage failure.
    async fn checkpoint(&self) -> Result<i64, StoreError>;

    /// The next projection batch after `after`, covering at most `limit` new events.
    ///
    /// # Errors
    /// A storage failure.
    async fn projection_batch(&self, after: i64, limit: u32)
    -> Result<ProjectionBatch, StoreError>;

    /// Upserts projected orders and moves the checkpoint to `checkpoint`, atomically.
    ///
    /// # Errors
    /// A storage failure.
    async fn save_projection(&self, rows: &[OrderView], checkpoint: i64) -> Result<(), StoreError>;

    /// Empties the projection and resets its checkpoint (for `rebuild`).
    ///
    /// # Errors
    /// A storage failure.
    async fn reset_projection(&self) -> Result<(), StoreError>;

    /// A page of the projection.
    ///
    /// # Errors
    /// A storage failure.
    async fn list_orders(&self, query: &ListQuery) -> Result<Vec<OrderView>, StoreError>;

    /// Events waiting in the outbox.
    ///
    /// # Errors
    /// A storage failure.
    async fn outbox_depth(&self) -> Result<u64, StoreError>;

    /// Projected orders per status.
    ///
    /// # Errors
    /// A storage failure.
    async fn count_by_status(&self) -> Result<Vec<(String, u64)>, StoreError>;

    /// The highest position in the event store (0 when empty).
    ///
    /// # Errors
    /// A storage failure.
    async fn head_position(&self) -> Result<i64, StoreError>;
}

/// How SQLite syncs commits to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Synchronous {
    /// fsync at every commit.
    Full,
    /// In WAL mode: fsync at checkpoints only. A process crash loses nothing; a power loss may
    /// lose the last commits.
    Normal,
}

/// Opens the store named by `url` (`sqlite://PATH` or `postgres://…`), creating and migrating it as needed.
///
/// # Errors
/// [`StoreError`] when the URL is not supported or the database cannot be opened or migrated.
pub async fn connect(
    url: &str,
    synchronous: Synchronous,
) -> Result<Arc<dyn OrderStore>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url, synchronous).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(PostgresStore::connect(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl(url.to_owned()))
    }
}
