//! The storage boundary of payment-service: one trait ([`PaymentStore`]) for what the use cases
//! and the relay need, one module per backend with its SQL in plain sight.
//!
//! Every state change is one [`Change`]: the inbox entry of the command that caused it, the
//! payment row written, and the CloudEvents to send, committed together (a transactional outbox).

mod postgres;
mod sqlite;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use crate::domain::payment::Payment;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shared_events::Event;
use shared_events::catalog::values::{OrderId, PaymentId};
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

/// The `(source, id)` of a handled incoming command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxKey {
    /// Its `source`.
    pub source: String,
    /// Its `id`.
    pub id: String,
}

/// A write to the payments table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentWrite {
    /// A new charged payment.
    Insert(Payment),
    /// A charged payment becomes refunded (no-op when it is not charged).
    Refund {
        /// The payment.
        payment_id: PaymentId,
        /// When.
        at: DateTime<Utc>,
    },
}

/// One atomic change.
#[derive(Debug, Clone)]
pub struct Change {
    /// The command it handles.
    pub inbox: InboxKey,
    /// The payment write, if any.
    pub write: Option<PaymentWrite>,
    /// The aggregate (order id) the outgoing events belong to; they are relayed in order.
    pub aggregate: String,
    /// The events to send.
    pub outgoing: Vec<Event>,
}

/// What a [`Change`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeOutcome {
    /// Committed.
    Applied,
    /// The inbox already had the command: nothing was written.
    Duplicate,
    /// The order already has a payment (a concurrent charge won): nothing was written.
    AlreadyCharged,
    /// The refund found the payment no longer charged: only the inbox entry and the events
    /// were written.
    NotCharged,
}

/// Everything payment-service stores. The relay side is the shared [`Outbox`].
#[async_trait]
pub trait PaymentStore: Outbox {
    /// Applies a change atomically.
    ///
    /// # Errors
    /// A storage failure.
    async fn apply(&self, change: Change) -> Result<ChangeOutcome, StoreError>;

    /// A payment by id.
    ///
    /// # Errors
    /// A storage failure.
    async fn payment(&self, id: PaymentId) -> Result<Option<Payment>, StoreError>;

    /// The payment of an order.
    ///
    /// # Errors
    /// A storage failure.
    async fn payment_of_order(&self, order_id: OrderId) -> Result<Option<Payment>, StoreError>;

    /// Events waiting in the outbox.
    ///
    /// # Errors
    /// A storage failure.
    async fn outbox_depth(&self) -> Result<u64, StoreError>;

    /// Payments per status.
    ///
    /// # Errors
    /// A storage failure.
    async fn count_by_status(&self) -> Result<Vec<(String, u64)>, StoreError>;
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
) -> Result<Arc<dyn PaymentStore>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url, synchronous).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(PostgresStore::connect(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl(url.to_owned()))
    }
}
