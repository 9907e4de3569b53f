//! Storage: the one boundary between the gateway and its database.
//!
//! [`Store`] says what the gateway needs and nothing about how; each backend is one module with
//! its SQL in plain sight ([`sqlite`], the embedded default for one process, and [`postgres`],
//! for any number of replicas on one database), [`connect`] picks one by URL, and one behaviour
//! suite (the `behaviour` module's tests) runs against each.
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

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::{SigningKey, Subscription, SubscriptionId, SubscriptionState};
pub use console::*;
pub use stream::*;
pub use types::*;

mod codec;
mod console;
pub mod postgres;
pub mod sqlite;
mod stream;
mod types;

#[cfg(test)]
mod behaviour;
#[cfg(test)]
pub(crate) mod testdb;

/// Opens the store `url` names, `sqlite://PATH` or `postgres://…`, running its migrations.
///
/// # Errors
/// [`StoreError`] when the URL names no supported backend or the database cannot be opened or
/// migrated.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    connect_with(url, StoreOptions::default()).await
}

/// How a store trades durability for speed where nothing promised is at stake.
#[derive(Debug, Clone, Copy, Default)]
pub struct StoreOptions {
    /// fsync the delivery bookkeeping too (SQLite; see `GatewaySettings::durable_outcomes`).
    pub durable_outcomes: bool,
}

/// [`connect`] with `options`.
///
/// # Errors
/// As [`connect`].
pub async fn connect_with(url: &str, options: StoreOptions) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::connect(url, options).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(postgres::PostgresStore::connect(url).await?))
    } else {
        Err(StoreError::Unsupported(
            url.split(':').next().unwrap_or_default().to_owned(),
        ))
    }
}

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
    /// The database URL names no supported backend.
    #[error("unsupported database URL scheme `{0}`: use sqlite://PATH or postgres://…")]
    Unsupported(String),
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

    /// Settles delivered attempts; answers, in `batch` order, whether each lease still held
    /// (a stale one changes nothing).
    async fn complete(&self, batch: &[Settled]) -> Result<Vec<bool>, StoreError>;

    /// Schedules retries (the row is due at `due_at`, unclaimed); answers, in `batch` order,
    /// whether each lease still held.
    async fn retry(&self, batch: &[RetryLater]) -> Result<Vec<bool>, StoreError>;

    /// Extends held leases (a pull consumer renewing its locks) to `until`; answers, in order,
    /// whether each lease still held.
    async fn renew(&self, leases: &[Lease], until: DateTime<Utc>) -> Result<Vec<bool>, StoreError>;

    /// Moves deliveries to the dead letters; answers the ids of those whose lease still held,
    /// in `batch` order (`None` for a stale lease).
    async fn dead_letter(
        &self,
        batch: &[GiveUp],
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<DeadLetterId>>, StoreError>;

    /// Makes every delivery claimed by an owner other than `alive` due now. Only sound where
    /// one process owns the database (SQLite); a shared backend (PostgreSQL) answers 0 and
    /// relies on leases running out, since the other owners may be live replicas.
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

    /// Up to `limit` retained events after `after` (from the earliest without it), in cursor
    /// order. Only events that can no longer be preceded by a late commit are read (see
    /// [`Cursor`]), so paging never skips one.
    async fn read_events(
        &self,
        after: Option<Cursor>,
        limit: u32,
    ) -> Result<Vec<StoredEvent>, StoreError>;

    /// The retained event with this CloudEvents identity.
    async fn find_event(&self, source: &str, id: &str) -> Result<Option<StoredEvent>, StoreError>;

    /// The retained event at `position`.
    async fn event_at(&self, position: Position) -> Result<Option<StoredEvent>, StoreError>;

    /// Where the event at `position` went: pending deliveries, dead letters and every attempt.
    async fn event_deliveries(&self, position: Position) -> Result<EventDeliveries, StoreError>;

    /// The cursor of the last readable event (`None` when none is retained).
    async fn head(&self) -> Result<Option<Cursor>, StoreError>;

    /// The cursor of the first event ingested at or after `at` (`None` when there is none).
    async fn first_since(&self, at: DateTime<Utc>) -> Result<Option<Cursor>, StoreError>;

    /// Up to `limit` attempts after log id `after` (from the oldest retained without it), in
    /// log order, only `subscription`'s if given. The log is best effort across replicas on
    /// PostgreSQL: an attempt committed late may sort before one already read.
    async fn read_attempts(
        &self,
        after: Option<i64>,
        limit: u32,
        subscription: Option<&SubscriptionId>,
    ) -> Result<Vec<LoggedAttempt>, StoreError>;

    /// The id of the newest attempt in the log.
    async fn last_attempt(&self) -> Result<Option<i64>, StoreError>;

    /// Stores a new replay job.
    async fn insert_job(&self, job: &Job) -> Result<(), StoreError>;

    /// One job.
    async fn job(&self, id: &JobId) -> Result<Option<Job>, StoreError>;

    /// The newest jobs first, at most `limit`.
    async fn jobs(&self, limit: u32) -> Result<Vec<Job>, StoreError>;

    /// Takes a running job that no live runner holds (never held, or its lease ran out),
    /// leasing it to `owner` until `lease_until`.
    async fn claim_job(
        &self,
        owner: &LeaseOwner,
        lease_until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<Job>, StoreError>;

    /// Writes one step of a job (its deliveries, progress, lease and maybe its end) in one
    /// transaction; `false`, writing nothing, when the runner no longer holds the job or it is
    /// no longer running (cancelled).
    async fn step_job(&self, step: &JobStep<'_>, now: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Cancels a running job and drops its pending deliveries; `false` when it is not running.
    async fn cancel_job(&self, id: &JobId, now: DateTime<Utc>) -> Result<bool, StoreError>;

    /// How many of a job's deliveries are still pending.
    async fn job_pending(&self, id: &JobId) -> Result<u64, StoreError>;

    /// A number that changes whenever any subscription is created, changed or deleted, by this
    /// process or any other on the same database: polling it is how every replica's cache
    /// follows changes made through another.
    async fn subscriptions_version(&self) -> Result<i64, StoreError>;

    /// Closes the connections (at shutdown).
    async fn close(&self);

    /// How many ingest transactions are worth running at once: 1 where the database has a
    /// single writer (SQLite), a few where commits overlap (PostgreSQL flushes concurrent
    /// commits' WAL together).
    fn concurrent_writers(&self) -> usize {
        1
    }

    // The console's read models (see [`console`]).

    /// Events accepted and attempts settled at or after `since`, overall and per subscription.
    async fn traffic(&self, since: DateTime<Utc>) -> Result<Traffic, StoreError>;

    /// Pending deliveries per subscription (only those with any), by id.
    async fn backlog(&self) -> Result<Vec<Backlog>, StoreError>;

    /// How many dead letters each subscription has (only those with any), by id.
    async fn dead_letter_counts(&self) -> Result<Vec<(SubscriptionId, u64)>, StoreError>;

    /// The newest `limit` failed attempts (retried or dead-lettered), newest first.
    async fn recent_failures(&self, limit: u32) -> Result<Vec<RecentFailure>, StoreError>;

    /// Retained events matching `query`, newest first, with where each went.
    async fn search_events(&self, query: &EventSearch) -> Result<Vec<EventSummary>, StoreError>;

    /// The types of the retained events, by type.
    async fn event_types(&self) -> Result<Vec<TypeCount>, StoreError>;
}
