//! The SQLite backend: one file, WAL journal, `synchronous=FULL` (a commit survives power
//! loss), one writer connection (SQLite has one writer anyway; queueing in process avoids
//! `SQLITE_BUSY`) and a small pool of readers.
//!
//! Only one process may use a database file: [`Store::recover_abandoned`] relies on it.
//!
//! The delivery bookkeeping (claims, outcomes, pull settlements) commits with
//! `synchronous=NORMAL` unless [`StoreOptions::durable_outcomes`]: no fsync of its own. Nothing
//! a client was promised rides on it — losing the latest outcomes to a power cut means those
//! deliveries are made again, which at-least-once allows — and in WAL mode the next `FULL`
//! commit (every ingest) fsyncs the log with everything before it. It saves two of the three
//! fsyncs of an event's life on the one writer connection. See [`Bookkeeping`] for how a
//! connection never goes back to the pool with the relaxed setting.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Sqlite;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};

use super::{
    AttemptRecord, ClaimRequest, Claimed, Cursor, DeadLetter, DeadLetterId, DeadLetterQuery,
    EventDeliveries, GiveUp, Ingested, Job, JobId, JobStep, Lease, LeaseOwner, LoggedAttempt,
    NewEvent, Position, Purge, Purged, Redeliver, RetryLater, Settled, Store, StoreError,
    StoreOptions, StoredEvent,
};
use crate::domain::{SigningKey, Subscription, SubscriptionId, SubscriptionState};

mod admin;
mod console;
mod deliveries;
mod stream;
mod subscriptions;

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    options: StoreOptions,
}

/// One bookkeeping transaction on the writer connection, with `synchronous=NORMAL` unless
/// outcomes are to be durable. The pragma rides in the same round trip as `BEGIN` and `COMMIT`:
/// every statement is a hop to sqlx's worker thread and back, and these transactions run for
/// every claim and every outcome batch. Dropped without [`Bookkeeping::commit`] (an error, a
/// cancelled request) it closes the connection instead of returning it to the pool, which rolls
/// the transaction back and means a later write can never commit without the fsync it was
/// promised.
struct Bookkeeping {
    conn: Option<PoolConnection<Sqlite>>,
    relaxed: bool,
}

impl Bookkeeping {
    async fn commit(mut self) -> Result<(), StoreError> {
        if let Some(conn) = self.conn.as_mut() {
            let sql = if self.relaxed {
                "COMMIT; PRAGMA synchronous = FULL"
            } else {
                "COMMIT"
            };
            sqlx::query(sql).execute(&mut **conn).await?;
            self.conn = None;
        }
        Ok(())
    }
}

impl std::ops::Deref for Bookkeeping {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        self.conn.as_deref().expect("held until restored")
    }
}

impl std::ops::DerefMut for Bookkeeping {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.conn.as_deref_mut().expect("held until restored")
    }
}

impl Drop for Bookkeeping {
    fn drop(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            conn.close_on_drop();
        }
    }
}

impl SqliteStore {
    /// Opens (creating it and its directory if needed) the database at `url`
    /// (`sqlite://path/to/file.db`) and runs the migrations.
    ///
    /// # Errors
    /// [`StoreError`] when the file cannot be opened or migrated.
    pub async fn connect(url: &str, store_options: StoreOptions) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .pragma("temp_store", "memory")
            .pragma("cache_size", "-16000");
        if let Some(dir) = options.get_filename().parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
            }
        }
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&writer).await?;
        // Each connection has its own page cache. Readers page through history (streams,
        // replay scans, the console) and would each fill 16 MB with pages the OS cache holds
        // anyway: 4 MB apiece keeps four of them from adding 64 MB to the gateway's RSS.
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(options.read_only(true).pragma("cache_size", "-4000"))
            .await?;
        Ok(Self {
            writer,
            reader,
            options: store_options,
        })
    }

    /// Begins a bookkeeping transaction on the writer connection.
    async fn bookkeeping(&self) -> Result<Bookkeeping, StoreError> {
        let mut conn = self.writer.acquire().await?;
        let relaxed = !self.options.durable_outcomes;
        let sql = if relaxed {
            "PRAGMA synchronous = NORMAL; BEGIN"
        } else {
            "BEGIN"
        };
        sqlx::query(sql).execute(&mut *conn).await?;
        Ok(Bookkeeping {
            conn: Some(conn),
            relaxed,
        })
    }

    /// Closes both pools.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

pub(super) use crate::store::codec::{from_ms, ms, sub_id};

#[async_trait]
impl Store for SqliteStore {
    async fn ingest(
        &self,
        batch: &[NewEvent],
        now: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> Result<Vec<Ingested>, StoreError> {
        self.ingest_batch(batch, now, since).await
    }
    async fn claim(
        &self,
        requests: &[ClaimRequest],
        owner: &LeaseOwner,
        now: DateTime<Utc>,
    ) -> Result<Vec<Claimed>, StoreError> {
        self.claim_due(requests, owner, now).await
    }
    async fn complete(&self, batch: &[Settled]) -> Result<Vec<bool>, StoreError> {
        self.complete_batch(batch).await
    }
    async fn retry(&self, batch: &[RetryLater]) -> Result<Vec<bool>, StoreError> {
        self.retry_batch(batch).await
    }
    async fn renew(&self, leases: &[Lease], until: DateTime<Utc>) -> Result<Vec<bool>, StoreError> {
        self.renew_leases(leases, until).await
    }
    async fn dead_letter(
        &self,
        batch: &[GiveUp],
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<DeadLetterId>>, StoreError> {
        self.dead_letter_batch(batch, now).await
    }
    async fn recover_abandoned(
        &self,
        alive: &LeaseOwner,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE deliveries SET owner = NULL, due_at = ? WHERE owner IS NOT NULL AND owner <> ?",
        )
        .bind(ms(now))
        .bind(alive.as_str())
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }
    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let min: Option<i64> = sqlx::query_scalar("SELECT MIN(due_at) FROM deliveries")
            .fetch_one(&self.reader)
            .await?;
        Ok(min.map(from_ms))
    }
    async fn pending(&self) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deliveries")
            .fetch_one(&self.reader)
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
        let done = sqlx::query("DELETE FROM dead_letters WHERE id = ?")
            .bind(id)
            .execute(&self.writer)
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
    async fn last_attempt(&self) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar("SELECT MAX(id) FROM attempts")
            .fetch_one(&self.reader)
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
            .fetch_one(&self.reader)
            .await?;
        Ok(version)
    }
    async fn close(&self) {
        SqliteStore::close(self).await;
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

#[cfg(test)]
mod tests {
    use super::*;

    async fn synchronous(conn: &mut SqliteConnection) -> i64 {
        sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(conn)
            .await
            .expect("reads the pragma")
    }

    async fn store(dir: &tempfile::TempDir, durable_outcomes: bool) -> SqliteStore {
        let url = format!("sqlite://{}", dir.path().join("gateway.db").display());
        SqliteStore::connect(&url, StoreOptions { durable_outcomes })
            .await
            .expect("opens")
    }

    const NORMAL: i64 = 1;
    const FULL: i64 = 2;

    #[tokio::test]
    async fn bookkeeping_commits_relaxed_and_gives_the_writer_back_with_full_sync() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = store(&dir, false).await;
        let mut tx = store.bookkeeping().await.expect("begins");
        assert_eq!(synchronous(&mut tx).await, NORMAL);
        tx.commit().await.expect("commits");
        let mut writer = store.writer.acquire().await.expect("the writer");
        assert_eq!(synchronous(&mut writer).await, FULL);
    }

    #[tokio::test]
    async fn an_abandoned_bookkeeping_transaction_never_returns_a_relaxed_writer() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = store(&dir, false).await;
        let mut tx = store.bookkeeping().await.expect("begins");
        sqlx::query("INSERT INTO dedupe (source, id, seen_at) VALUES ('s', 'abandoned', 0)")
            .execute(&mut *tx)
            .await
            .expect("writes");
        drop(tx);
        let mut writer = store.writer.acquire().await.expect("a fresh writer");
        assert_eq!(synchronous(&mut writer).await, FULL);
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM dedupe WHERE id = 'abandoned'")
            .fetch_one(&mut *writer)
            .await
            .expect("reads");
        assert_eq!(left, 0, "the abandoned transaction was rolled back");
    }

    #[tokio::test]
    async fn with_durable_outcomes_bookkeeping_stays_fully_synchronous() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = store(&dir, true).await;
        let mut tx = store.bookkeeping().await.expect("begins");
        assert_eq!(synchronous(&mut tx).await, FULL);
        tx.commit().await.expect("commits");
    }
}
