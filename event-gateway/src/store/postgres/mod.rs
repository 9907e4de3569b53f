//! The PostgreSQL backend: any number of gateway replicas on one database.
//!
//! - Ingest is one transaction per group-commit batch, each table written by one multi-row
//!   statement over arrays (`unnest`); dedupe is the `dedupe` table's primary key, so it holds
//!   across replicas (a second writer of a key waits for the first and then sees the conflict).
//! - A claim is one statement: a CTE picks each subscription's due rows with
//!   `FOR UPDATE SKIP LOCKED` (in a `LATERAL` subquery bounded by that subscription's free slots,
//!   so no more rows are locked than are taken) and the update leases them (attempt + 1, owner,
//!   due time pushed forward). Replicas never wait on each other's rows. A subscription ordered
//!   by partition key takes a keyed row only while no earlier row of its key is left.
//! - Outcomes are single statements too: the fenced delete or update and the history insert in
//!   one data-modifying CTE, answering per lease whether it held.
//! - The stream is read in commit order (the writing transaction's id, then position) and only
//!   below the oldest running transaction, so a cursor never moves past a late committer (see
//!   the `stream` module); replay jobs are leased to one runner and stepped under a lock on
//!   their row.
//! - Sessions set `idle_in_transaction_session_timeout`, so a stuck transaction cannot hold
//!   locks or vacuum back; statements that fail on a broken connection (a restarted server,
//!   `pg_terminate_backend`) or a deadlock are retried on a fresh connection. Every write
//!   retried so is safe to repeat: ingest by dedupe, outcomes and renewals by their fencing. A
//!   job step is not (it would schedule its events twice), so it is not retried.
//!
//! [`Store::recover_abandoned`] does nothing here: other owners are live replicas; the rows of a
//! dead one become due again when their leases run out.

use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::codec::from_ms;
use super::{
    AttemptRecord, ClaimRequest, Claimed, Cursor, DeadLetter, DeadLetterId, DeadLetterQuery,
    EventDeliveries, GiveUp, Ingested, Job, JobId, JobStep, Lease, LeaseOwner, LoggedAttempt,
    NewEvent, Position, Purge, Purged, Redeliver, RetryLater, Settled, Store, StoreError,
    StoredEvent,
};
use crate::domain::{SigningKey, Subscription, SubscriptionId, SubscriptionState};

mod admin;
mod console;
mod deliveries;
mod log;
mod stream;
mod subscriptions;

/// Connections per replica: the ingest writers, the claimer, the completer and API reads.
const POOL_SIZE: u32 = 16;

/// Ingest transactions in flight at once per replica.
const WRITERS: usize = 4;

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// For claims only: sessions with `synchronous_commit = off`. A claim lost in a server
    /// crash just makes its rows due again, and the fencing turns away the outcome of the
    /// attempt it started — the at-least-once duplicate the lease already allows — so a claim
    /// need not wait for its WAL flush. Everything a client was promised (ingest, outcomes)
    /// commits durably on `pool`.
    claims: PgPool,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host/db`) and runs the migrations. Several replicas
    /// may start at once: sqlx's migrator holds a Postgres advisory lock while it migrates, so
    /// one replica migrates and the others wait and then find nothing left to do.
    ///
    /// # Errors
    /// [`StoreError`] when the server cannot be reached or the schema cannot be migrated.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)?
            .application_name("event-gateway")
            .options([("idle_in_transaction_session_timeout", "60s")]);
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .min_connections(2)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        let claims = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.options([("synchronous_commit", "off")]))
            .await?;
        Ok(Self { pool, claims })
    }

    /// The connection pool (for tests and tools that inspect the database).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// Whether `error` is worth repeating the statement on a fresh connection: the connection broke
/// (I/O, the server shutting down or terminating the backend) or the transaction lost a
/// deadlock or serialisation race.
fn transient(error: &StoreError) -> bool {
    match error {
        StoreError::Database(sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut) => true,
        StoreError::Database(sqlx::Error::Database(db)) => matches!(
            db.code().as_deref(),
            Some("40001" | "40P01" | "57P01" | "57P02" | "57P03" | "08000" | "08003" | "08006")
        ),
        _ => false,
    }
}

/// Runs `op`, repeating it after transient failures (three more tries, backing off).
async fn retrying<T, F, Fut>(what: &str, mut op: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    for wait in [50, 250, 1000] {
        match op().await {
            Err(error) if transient(&error) => {
                tracing::warn!(error = ?error, what, "transient database failure; trying again");
                tokio::time::sleep(Duration::from_millis(wait)).await;
            }
            done => return done,
        }
    }
    op().await
}

#[async_trait]
impl Store for PostgresStore {
    async fn ingest(
        &self,
        batch: &[NewEvent],
        now: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> Result<Vec<Ingested>, StoreError> {
        retrying("ingest", || self.ingest_batch(batch, now, since)).await
    }
    async fn claim(
        &self,
        requests: &[ClaimRequest],
        owner: &LeaseOwner,
        now: DateTime<Utc>,
    ) -> Result<Vec<Claimed>, StoreError> {
        retrying("claim", || self.claim_due(requests, owner, now)).await
    }
    async fn complete(&self, batch: &[Settled]) -> Result<Vec<bool>, StoreError> {
        retrying("complete", || self.complete_batch(batch)).await
    }
    async fn last_attempt(&self) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar("SELECT MAX(id) FROM attempts")
            .fetch_one(&self.pool)
            .await?)
    }
    async fn read_attempts(
        &self,
        after: Option<i64>,
        limit: u32,
        subscription: Option<&SubscriptionId>,
    ) -> Result<Vec<LoggedAttempt>, StoreError> {
        self.attempt_log(after, limit, subscription).await
    }
    async fn retry(&self, batch: &[RetryLater]) -> Result<Vec<bool>, StoreError> {
        retrying("retry", || self.retry_batch(batch)).await
    }
    async fn renew(&self, leases: &[Lease], until: DateTime<Utc>) -> Result<Vec<bool>, StoreError> {
        retrying("renew", || self.renew_leases(leases, until)).await
    }
    async fn dead_letter(
        &self,
        batch: &[GiveUp],
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<DeadLetterId>>, StoreError> {
        retrying("dead letter", || self.dead_letter_batch(batch, now)).await
    }
    async fn recover_abandoned(
        &self,
        _alive: &LeaseOwner,
        _now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        Ok(0)
    }
    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let min: Option<i64> = sqlx::query_scalar("SELECT MIN(due_at) FROM deliveries")
            .fetch_one(&self.pool)
            .await?;
        Ok(min.map(from_ms))
    }
    async fn pending(&self) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deliveries")
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(count).unwrap_or_default())
    }
    async fn insert_subscription(
        &self,
        sub: &Subscription,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.insert_sub(sub, now).await
    }
    async fn update_subscription(
        &self,
        sub: &Subscription,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.update_sub(sub, now).await
    }
    async fn upsert_subscription(
        &self,
        sub: &Subscription,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.upsert_sub(sub, now).await
    }
    async fn subscription(&self, id: &SubscriptionId) -> Result<Option<Subscription>, StoreError> {
        self.get_sub(id).await
    }
    async fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        self.list_subs().await
    }
    async fn delete_subscription(&self, id: &SubscriptionId) -> Result<bool, StoreError> {
        self.delete_sub(id).await
    }
    async fn set_secrets(
        &self,
        id: &SubscriptionId,
        secrets: &[SigningKey],
    ) -> Result<bool, StoreError> {
        self.write_secrets(id, secrets).await
    }
    async fn set_state(
        &self,
        id: &SubscriptionId,
        state: &SubscriptionState,
    ) -> Result<bool, StoreError> {
        self.write_state(id, state).await
    }
    async fn set_failing_since(
        &self,
        id: &SubscriptionId,
        since: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        self.write_failing_since(id, since).await
    }
    async fn disable_subscription(
        &self,
        id: &SubscriptionId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.disable_sub(id, reason, now).await
    }
    async fn dead_letters(&self, query: &DeadLetterQuery) -> Result<Vec<DeadLetter>, StoreError> {
        self.list_dead_letters(query).await
    }
    async fn dead_letter_by_id(&self, id: DeadLetterId) -> Result<Option<DeadLetter>, StoreError> {
        self.get_dead_letter(id).await
    }
    async fn delete_dead_letter(&self, id: DeadLetterId) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM dead_letters WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }
    async fn redeliver(
        &self,
        which: &Redeliver,
        now: DateTime<Utc>,
    ) -> Result<Vec<DeadLetterId>, StoreError> {
        self.redeliver_dead_letters(which, now).await
    }
    async fn history(
        &self,
        position: Position,
        subscription: &SubscriptionId,
    ) -> Result<Vec<AttemptRecord>, StoreError> {
        self.delivery_history(position, subscription).await
    }
    async fn purge(&self, purge: Purge) -> Result<Purged, StoreError> {
        self.purge_batches(purge).await
    }
    async fn read_events(
        &self,
        after: Option<Cursor>,
        limit: u32,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.read_events_after(after, limit).await
    }
    async fn find_event(&self, source: &str, id: &str) -> Result<Option<StoredEvent>, StoreError> {
        self.find_event_by_identity(source, id).await
    }
    async fn event_at(&self, position: Position) -> Result<Option<StoredEvent>, StoreError> {
        self.event_at_position(position).await
    }
    async fn event_deliveries(&self, position: Position) -> Result<EventDeliveries, StoreError> {
        self.deliveries_of(position).await
    }
    async fn head(&self) -> Result<Option<Cursor>, StoreError> {
        self.head_cursor().await
    }
    async fn first_since(&self, at: DateTime<Utc>) -> Result<Option<Cursor>, StoreError> {
        self.first_cursor_since(at).await
    }
    async fn insert_job(&self, job: &Job) -> Result<(), StoreError> {
        self.insert_new_job(job).await
    }
    async fn job(&self, id: &JobId) -> Result<Option<Job>, StoreError> {
        self.job_by_id(id).await
    }
    async fn jobs(&self, limit: u32) -> Result<Vec<Job>, StoreError> {
        self.list_jobs(limit).await
    }
    async fn claim_job(
        &self,
        owner: &LeaseOwner,
        lease_until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<Job>, StoreError> {
        self.claim_a_job(owner, lease_until, now).await
    }
    async fn step_job(&self, step: &JobStep<'_>, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.write_job_step(step, now).await
    }
    async fn cancel_job(&self, id: &JobId, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.cancel_running_job(id, now).await
    }
    async fn job_pending(&self, id: &JobId) -> Result<u64, StoreError> {
        self.pending_of_job(id).await
    }
    async fn subscriptions_version(&self) -> Result<i64, StoreError> {
        let version = sqlx::query_scalar("SELECT version FROM subscriptions_version")
            .fetch_one(&self.pool)
            .await?;
        Ok(version)
    }
    async fn close(&self) {
        self.claims.close().await;
        self.pool.close().await;
    }
    fn concurrent_writers(&self) -> usize {
        WRITERS
    }
    async fn traffic(&self, since: DateTime<Utc>) -> Result<super::Traffic, StoreError> {
        self.console_traffic(since).await
    }
    async fn backlog(&self) -> Result<Vec<super::Backlog>, StoreError> {
        self.console_backlog().await
    }
    async fn dead_letter_counts(&self) -> Result<Vec<(SubscriptionId, u64)>, StoreError> {
        self.console_dead_letter_counts().await
    }
    async fn recent_failures(&self, limit: u32) -> Result<Vec<super::RecentFailure>, StoreError> {
        self.console_recent_failures(limit).await
    }
    async fn search_events(
        &self,
        query: &super::EventSearch,
    ) -> Result<Vec<super::EventSummary>, StoreError> {
        self.console_search_events(query).await
    }
    async fn event_types(&self) -> Result<Vec<super::TypeCount>, StoreError> {
        self.console_event_types().await
    }
}
