//! Storage: the one boundary between the gateway and its database.
//!
//! [`Store`] says what the gateway needs and nothing about how; each backend is one module with
//! its SQL in plain sight ([`sqlite`] now, `postgres` next), and one behaviour suite (the
//! `behaviour` module's tests) runs against each.
//!
//! # The delivery model
//! Ingest writes an event once (its structured JSON bytes, never re-serialised) and one row in
//! the hot `deliveries` table per matching subscription. A claim takes due rows for named
//! subscriptions, bumps their attempt number, stamps the claiming owner and pushes their due
//! time forward by a lease, so work held by a process that dies simply becomes due again.
//! Outcomes ([`Store::complete`], [`Store::retry`], [`Store::dead_letter`]) are fenced by the
//! [`Lease`] (row, attempt, owner): a writer whose lease ran out and whose row was claimed
//! again changes nothing. Delivered rows leave the hot table; every attempt is kept in a history
//! table until retention purges it.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};

use crate::domain::{SigningKey, Subscription, SubscriptionId, SubscriptionState};

pub mod sqlite;

#[cfg(test)]
mod behaviour;

/// A failure of the database; opaque to clients.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database driver failed.
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("database migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored row could not be read back.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// An event's place in ingest order: the stream cursor.
pub type Position = i64;

/// An event to ingest, with its fan-out already computed.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// `source`.
    pub source: String,
    /// `id`.
    pub id: String,
    /// `type`.
    pub event_type: String,
    /// `subject`, if any.
    pub subject: Option<String>,
    /// `time`, if any.
    pub time: Option<DateTime<Utc>>,
    /// The `partitionkey` extension, if any.
    pub partition_key: Option<String>,
    /// The event in the JSON event format, exactly as it will be delivered in structured mode.
    pub body: Bytes,
    /// The subscriptions it goes to.
    pub subscriptions: Vec<SubscriptionId>,
}

/// What ingest did with one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ingested {
    /// Stored at this position, deliveries scheduled.
    Accepted(Position),
    /// Its (`source`, `id`) was seen inside the dedupe window: nothing stored.
    Duplicate,
}

/// Who holds a claim: one id per process.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LeaseOwner(Arc<str>);

impl LeaseOwner {
    /// A fresh owner id for this process.
    pub fn generate() -> Self {
        Self(Arc::from(uuid::Uuid::now_v7().to_string()))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Asks for up to `limit` due deliveries of one subscription, leased for `lease`.
#[derive(Debug, Clone)]
pub struct ClaimRequest {
    /// The subscription.
    pub subscription: SubscriptionId,
    /// At most this many rows (its free delivery slots).
    pub limit: u32,
    /// How long the claim holds: the attempt timeout plus a grace.
    pub lease: Duration,
}

/// The fencing token of one claimed delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The delivery row.
    pub delivery: i64,
    /// The attempt number this claim made (1 for the first attempt).
    pub attempt: u32,
    /// Who claimed it.
    pub owner: LeaseOwner,
}

/// A claimed delivery, ready to attempt.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The fencing token to settle it with.
    pub lease: Lease,
    /// The event's position.
    pub position: Position,
    /// The subscription.
    pub subscription: SubscriptionId,
    /// The event's structured JSON bytes.
    pub body: Bytes,
    /// When the event was accepted.
    pub ingested_at: DateTime<Utc>,
}

/// One entry of a delivery's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    /// The attempt number (0 for a redelivery marker).
    pub attempt: u32,
    /// When it finished.
    pub at: DateTime<Utc>,
    /// `delivered`, `retry`, `dead_lettered` or `redelivered`.
    pub outcome: String,
    /// The status the subscriber answered, if it answered.
    pub status: Option<u16>,
    /// How long the attempt took.
    pub latency_ms: u32,
    /// What went wrong, in words.
    pub error: Option<String>,
    /// The first 1 KiB of the response body, for failed attempts.
    pub response: Option<String>,
}

/// A settled attempt: its lease and its history entry.
#[derive(Debug, Clone)]
pub struct Settled {
    /// The claim being settled.
    pub lease: Lease,
    /// The event's position.
    pub position: Position,
    /// The subscription.
    pub subscription: SubscriptionId,
    /// The history entry to add.
    pub record: AttemptRecord,
}

/// A failed attempt to retry at `due_at`.
#[derive(Debug, Clone)]
pub struct RetryLater {
    /// The attempt.
    pub settled: Settled,
    /// When the next attempt is due.
    pub due_at: DateTime<Utc>,
}

/// A delivery given up on.
#[derive(Debug, Clone)]
pub struct GiveUp {
    /// The last attempt.
    pub settled: Settled,
    /// `non_retryable`, `exhausted`, `ttl_expired`.
    pub reason: String,
}

/// A dead letter's id.
pub type DeadLetterId = i64;

/// Which dead letters to list, oldest first.
#[derive(Debug, Clone, Default)]
pub struct DeadLetterQuery {
    /// Only this subscription's.
    pub subscription: Option<SubscriptionId>,
    /// Only events of this type.
    pub event_type: Option<String>,
    /// Only ids greater than this (paging).
    pub after: Option<DeadLetterId>,
    /// At most this many.
    pub limit: u32,
}

/// A dead letter.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    /// Its id.
    pub id: DeadLetterId,
    /// The subscription whose delivery failed.
    pub subscription: SubscriptionId,
    /// The event's position.
    pub position: Position,
    /// The event's type.
    pub event_type: String,
    /// Why it was given up.
    pub reason: String,
    /// The last status the subscriber answered, if any.
    pub last_status: Option<u16>,
    /// How many attempts were made.
    pub attempts: u32,
    /// When it was given up.
    pub dead_lettered_at: DateTime<Utc>,
    /// The event, untouched (structured JSON).
    pub event: Bytes,
}

/// Which dead letters to redeliver.
#[derive(Debug, Clone)]
pub enum Redeliver {
    /// One dead letter.
    One(DeadLetterId),
    /// Every dead letter of a subscription.
    Subscription(SubscriptionId),
}

/// How much to purge in one call; each table is purged in batches of `batch` rows.
#[derive(Debug, Clone, Copy)]
pub struct Purge {
    /// Events accepted before this, with no pending delivery or dead letter, go.
    pub events_before: DateTime<Utc>,
    /// History entries before this go (except those of dead letters).
    pub history_before: DateTime<Utc>,
    /// Dedupe keys seen before this go.
    pub dedupe_before: DateTime<Utc>,
    /// Rows per statement.
    pub batch: u32,
}

/// How many rows a purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Events.
    pub events: u64,
    /// History entries.
    pub history: u64,
    /// Dedupe keys.
    pub dedupe: u64,
}

/// Everything the gateway keeps, behind one trait.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Stores events and their deliveries in one transaction and says per event whether it was
    /// accepted or a duplicate of a key seen at or after `dedupe_since`. All or nothing.
    /// `(source, id)` keys are unique within `batch` (the caller folds repeats).
    async fn ingest(
        &self,
        batch: &[NewEvent],
        now: DateTime<Utc>,
        dedupe_since: DateTime<Utc>,
    ) -> Result<Vec<Ingested>, StoreError>;

    /// Claims due deliveries, per subscription up to its limit, for `owner`.
    async fn claim(
        &self,
        requests: &[ClaimRequest],
        owner: &LeaseOwner,
        now: DateTime<Utc>,
    ) -> Result<Vec<Claimed>, StoreError>;

    /// Settles delivered attempts; answers how many leases still held.
    async fn complete(&self, batch: &[Settled]) -> Result<u64, StoreError>;

    /// Schedules retries; answers how many leases still held.
    async fn retry(&self, batch: &[RetryLater]) -> Result<u64, StoreError>;

    /// Moves deliveries to the dead letters; answers the ids of those whose lease still held,
    /// in `batch` order (`None` for a stale lease).
    async fn dead_letter(
        &self,
        batch: &[GiveUp],
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<DeadLetterId>>, StoreError>;

    /// Makes every delivery claimed by an owner other than `alive` due now. Only sound where
    /// one process owns the database (SQLite); a shared backend answers 0 and relies on
    /// leases running out.
    async fn recover_abandoned(
        &self,
        alive: &LeaseOwner,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// The earliest due time of any pending delivery.
    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// How many deliveries are pending (due or not).
    async fn pending(&self) -> Result<u64, StoreError>;

    /// Creates a subscription; `false` when the id is taken.
    async fn insert_subscription(
        &self,
        sub: &Subscription,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Replaces a subscription; `false` when there is none with its id.
    async fn update_subscription(
        &self,
        sub: &Subscription,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Creates or replaces a subscription.
    async fn upsert_subscription(
        &self,
        sub: &Subscription,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// One subscription.
    async fn subscription(&self, id: &SubscriptionId) -> Result<Option<Subscription>, StoreError>;

    /// Every subscription, by id.
    async fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError>;

    /// Deletes a subscription and its pending deliveries; `false` when there was none.
    async fn delete_subscription(&self, id: &SubscriptionId) -> Result<bool, StoreError>;

    /// Replaces a subscription's secrets; `false` when there is none with that id.
    async fn set_secrets(
        &self,
        id: &SubscriptionId,
        secrets: &[SigningKey],
    ) -> Result<bool, StoreError>;

    /// Replaces a subscription's state (status, reason, granted rate, validation token, and
    /// `failing_since`); `false` when there is none with that id.
    async fn set_state(
        &self,
        id: &SubscriptionId,
        state: &SubscriptionState,
    ) -> Result<bool, StoreError>;

    /// Records since when a subscription has been failing (`None`: it is not).
    async fn set_failing_since(
        &self,
        id: &SubscriptionId,
        since: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError>;

    /// Disables a subscription and, in the same transaction, parks every pending delivery of it
    /// as a dead letter with reason `subscription_disabled`; answers how many were parked.
    async fn disable_subscription(
        &self,
        id: &SubscriptionId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// Dead letters matching `query`, by id.
    async fn dead_letters(&self, query: &DeadLetterQuery) -> Result<Vec<DeadLetter>, StoreError>;

    /// One dead letter.
    async fn dead_letter_by_id(&self, id: DeadLetterId) -> Result<Option<DeadLetter>, StoreError>;

    /// Deletes a dead letter; `false` when there was none.
    async fn delete_dead_letter(&self, id: DeadLetterId) -> Result<bool, StoreError>;

    /// Turns dead letters back into due deliveries (attempts counted afresh) and records the
    /// redelivery in their history; answers the ids redelivered.
    async fn redeliver(
        &self,
        which: &Redeliver,
        now: DateTime<Utc>,
    ) -> Result<Vec<DeadLetterId>, StoreError>;

    /// The history of one event's delivery to one subscription, oldest first.
    async fn history(
        &self,
        position: Position,
        subscription: &SubscriptionId,
    ) -> Result<Vec<AttemptRecord>, StoreError>;

    /// Removes what retention allows, in bounded batches.
    async fn purge(&self, purge: Purge) -> Result<Purged, StoreError>;
}
