//! The stream on PostgreSQL: retained events read in commit order, and replay jobs.
//!
//! Positions are drawn when a row is inserted, not when its transaction commits, so with
//! several writers (this replica's ingest writers, other replicas) a higher position can commit
//! first. A reader that paged by position alone would move its cursor past a lower position
//! still to commit and never see it. So the cursor's order key is the writing transaction's id
//! (`events.tx`, an `xid8`), and readers only read rows whose transaction is below the oldest
//! transaction still running, `pg_snapshot_xmin(pg_current_snapshot())` of the statement's own
//! snapshot: every such transaction has ended and its rows are visible, and every transaction
//! that can still commit events has a higher id, so whatever appears later sorts after
//! everything read already. The price is a short lag: an event becomes readable once every
//! transaction older than its own has ended (on the whole server: the snapshot's horizon is
//! not per database).
//!
//! A job is leased to one runner (`owner`, `lease_until`); a step is written only while the
//! runner still holds the running job, and cancelling locks the same row, so a step and a
//! cancel are serialised and a cancelled job gets no more deliveries.

use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::PostgresStore;
use crate::store::codec::{JOB_COLUMNS, JOB_FIELDS, JobRow, from_ms, ms, parse_job, sub_id};
use crate::store::{
    AttemptRecord, Cursor, EventDeliveries, Job, JobId, JobStatus, JobStep, LeaseOwner,
    PendingDelivery, Position, StoreError, StoredEvent,
};

/// An event as the stream reads it: its order key (the writing transaction), position, ingest
/// time and body.
type EventRow = (i64, i64, i64, Vec<u8>);

/// The columns [`EventRow`] reads; the `xid8` goes through `text` (it has no cast to
/// `bigint`), and real transaction ids (epoch and xid, far below 2^63) fit. Named `tx_order`,
/// not `tx`: an `ORDER BY tx` would otherwise sort by this output column (a computed value,
/// so a sort of every row read) instead of walking the `events_stream` index.
const EVENT_COLUMNS: &str =
    "SELECT tx::text::bigint AS tx_order, position, ingested_at, body FROM events";

/// Rows at or past this transaction may still be joined by a late commit (see the module).
const READABLE: &str = "tx < pg_snapshot_xmin(pg_current_snapshot())";

/// How long [`PostgresStore::head_cursor`] waits for transactions older than its call to end.
const HEAD_WAIT: Duration = Duration::from_secs(5);

fn stored((order, position, ingested_at, body): EventRow) -> StoredEvent {
    StoredEvent {
        cursor: Cursor { order, position },
        ingested_at: from_ms(ingested_at),
        body: Bytes::from(body),
    }
}

/// One row of [`PostgresStore::deliveries_of`]'s union: what it is (0 a pending delivery,
/// 1 a dead letter, 2 an attempt), its id, subscription, attempt (count), time, whether it is
/// claimed, replay job, outcome, status, latency, error and response.
type DeliveryRow = (
    i32,
    i64,
    String,
    i32,
    i64,
    bool,
    Option<String>,
    Option<String>,
    Option<i32>,
    Option<i32>,
    Option<String>,
    Option<String>,
);

impl PostgresStore {
    pub(super) async fn read_events_after(
        &self,
        after: Option<Cursor>,
        limit: u32,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        // A cursor below every transaction id (none this gateway hands out) reads from the
        // start; `xid8` has no negative values to compare with.
        let after = after
            .filter(|c| c.order >= 0)
            .map_or((0, i64::MIN), |c| (c.order, c.position));
        // The row comparison against an `xid8` keeps it an index range scan on
        // `events_stream`; the horizon is read once, from the statement's snapshot.
        let rows: Vec<EventRow> = sqlx::query_as(&format!(
            "{EVENT_COLUMNS} WHERE (tx, position) > ($1::bigint::text::xid8, $2) AND {READABLE} \
             ORDER BY tx, position LIMIT $3"
        ))
        .bind(after.0)
        .bind(after.1)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(stored).collect())
    }

    /// Not held to the readable horizon: the event is committed, and its cursor is its place
    /// for good (anything that commits later with a lower transaction id sorts before it).
    pub(super) async fn find_event_by_identity(
        &self,
        source: &str,
        id: &str,
    ) -> Result<Option<StoredEvent>, StoreError> {
        let row: Option<EventRow> = sqlx::query_as(&format!(
            "{EVENT_COLUMNS} WHERE source = $1 AND id = $2 ORDER BY position DESC LIMIT 1"
        ))
        .bind(source)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(stored))
    }

    pub(super) async fn event_at_position(
        &self,
        position: Position,
    ) -> Result<Option<StoredEvent>, StoreError> {
        let row: Option<EventRow> = sqlx::query_as(&format!("{EVENT_COLUMNS} WHERE position = $1"))
            .bind(position)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(stored))
    }

    /// One statement, so one snapshot: a delivery settled meanwhile shows either as pending
    /// or in the history, never twice or not at all.
    pub(super) async fn deliveries_of(
        &self,
        position: Position,
    ) -> Result<EventDeliveries, StoreError> {
        let rows: Vec<DeliveryRow> = sqlx::query_as(
            "SELECT 0, id, subscription_id, attempt, due_at, owner IS NOT NULL, replay_id, \
                 NULL::text, NULL::int, NULL::int, NULL::text, NULL::text \
             FROM deliveries WHERE position = $1 \
             UNION ALL \
             SELECT 1, id, subscription_id, attempts, dead_lettered_at, false, NULL, \
                 NULL, NULL, NULL, NULL, NULL \
             FROM dead_letters WHERE position = $1 \
             UNION ALL \
             SELECT 2, id, subscription_id, attempt, at, false, NULL, \
                 outcome, status, latency_ms, error, response \
             FROM attempts WHERE position = $1 \
             ORDER BY 1, 2",
        )
        .bind(position)
        .fetch_all(&self.pool)
        .await?;
        let mut out = EventDeliveries::default();
        for (
            kind,
            id,
            sub,
            attempt,
            at,
            claimed,
            replay,
            outcome,
            status,
            latency,
            error,
            response,
        ) in rows
        {
            let subscription = sub_id(&sub)?;
            match kind {
                0 => out.pending.push(PendingDelivery {
                    subscription,
                    attempts: u32::try_from(attempt).unwrap_or_default(),
                    due_at: from_ms(at),
                    claimed,
                    replay: replay
                        .map(|r| JobId::parse(&r))
                        .transpose()
                        .map_err(StoreError::Corrupt)?,
                }),
                1 => out.dead_letters.push((subscription, id)),
                _ => out.history.push((
                    subscription,
                    AttemptRecord {
                        attempt: u32::try_from(attempt).unwrap_or_default(),
                        at: from_ms(at),
                        outcome: outcome.unwrap_or_default(),
                        status: status.and_then(|s| u16::try_from(s).ok()),
                        latency_ms: u32::try_from(latency.unwrap_or_default()).unwrap_or_default(),
                        error,
                        response,
                    },
                )),
            }
        }
        Ok(out)
    }

    /// The last readable event, once every transaction that was running when this was called
    /// has ended (waiting at most [`HEAD_WAIT`]), so the head covers every event committed
    /// before the call: a replay or dry run "up to now" counts what was acknowledged before
    /// it, and a catch-up ends past every event committed before its subscription settled.
    /// Still held to the horizon, so a stream that starts here (`from=latest`) misses nothing
    /// that commits later, late committers included.
    ///
    /// The wait is for any older transaction on the server (the horizon is not per database),
    /// so it is bounded: past it, the head is the last event readable then.
    pub(super) async fn head_cursor(&self) -> Result<Option<Cursor>, StoreError> {
        let deadline = tokio::time::Instant::now() + HEAD_WAIT;
        // The first snapshot's `xmax`: every transaction below it had begun before the call.
        let mut upto: Option<i64> = None;
        loop {
            let (settled, xmax, order, position): (bool, i64, Option<i64>, Option<i64>) =
                sqlx::query_as(&format!(
                    "SELECT pg_snapshot_xmin(s) >= COALESCE($1::bigint::text::xid8, pg_snapshot_xmax(s)), \
                         pg_snapshot_xmax(s)::text::bigint, h.tx_order, h.position \
                     FROM pg_current_snapshot() AS s LEFT JOIN LATERAL ( \
                         SELECT tx::text::bigint AS tx_order, position FROM events WHERE {READABLE} \
                         ORDER BY tx DESC, position DESC LIMIT 1) h ON true"
                ))
                .bind(upto)
                .fetch_one(&self.pool)
                .await?;
            let head = order
                .zip(position)
                .map(|(order, position)| Cursor { order, position });
            if settled || tokio::time::Instant::now() >= deadline {
                if !settled {
                    tracing::debug!("a long transaction holds the stream's horizon back");
                }
                return Ok(head);
            }
            upto.get_or_insert(xmax);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The first readable event ingested at or after `at`, in cursor order. Held to the
    /// horizon like the head: a cursor past it could start a reader after a late committer's
    /// events (`None` instead makes the reader start at the beginning and filter by time).
    pub(super) async fn first_cursor_since(
        &self,
        at: DateTime<Utc>,
    ) -> Result<Option<Cursor>, StoreError> {
        let row: Option<(i64, i64)> = sqlx::query_as(&format!(
            "SELECT tx::text::bigint AS tx_order, position FROM events WHERE ingested_at >= $1 AND {READABLE} \
             ORDER BY tx, position LIMIT 1"
        ))
        .bind(ms(at))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(order, position)| Cursor { order, position }))
    }

    pub(super) async fn insert_new_job(&self, job: &Job) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO jobs (id, subscription_id, spec, skip_known, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(job.id.as_str())
        .bind(job.subscription.as_str())
        .bind(job.spec.as_str())
        .bind(job.skip_known)
        .bind(job.status.as_str())
        .bind(ms(job.created_at))
        .bind(ms(job.updated_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(super) async fn job_by_id(&self, id: &JobId) -> Result<Option<Job>, StoreError> {
        let row: Option<JobRow> = sqlx::query_as(&format!("{JOB_COLUMNS} WHERE id = $1"))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(parse_job).transpose()
    }

    pub(super) async fn list_jobs(&self, limit: u32) -> Result<Vec<Job>, StoreError> {
        let rows: Vec<JobRow> = sqlx::query_as(&format!(
            "{JOB_COLUMNS} ORDER BY created_at DESC, id DESC LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(parse_job).collect()
    }

    /// The oldest running job nobody holds (never held, lease run out, or `owner`'s own), in
    /// one statement. `SKIP LOCKED`: two replicas looking at once take different jobs (or one
    /// finds none) instead of queueing on one row; a job another replica took since this
    /// statement's snapshot fails the re-check of its row and is passed over.
    pub(super) async fn claim_a_job(
        &self,
        owner: &LeaseOwner,
        lease_until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<Job>, StoreError> {
        let row: Option<JobRow> = sqlx::query_as(&format!(
            "UPDATE jobs SET owner = $1, lease_until = $2 WHERE id = ( \
                 SELECT id FROM jobs WHERE status = 'running' \
                 AND (owner IS NULL OR lease_until < $3) \
                 ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) \
             RETURNING {JOB_FIELDS}"
        ))
        .bind(owner.as_str())
        .bind(ms(lease_until))
        .bind(ms(now))
        .fetch_optional(&self.pool)
        .await?;
        row.map(parse_job).transpose()
    }

    /// One statement: lock the job row if `owner` still holds it and it is running (a cancel
    /// or a takeover committed meanwhile fails the re-check of the locked row, and nothing is
    /// written), schedule the step's events to the job's subscription tagged with the job and
    /// their partition keys (with `skip_known`, only events the subscription has no pending
    /// delivery, attempt or dead letter of), and move the job on by what was scheduled.
    ///
    /// Not repeated on a broken connection: a step that committed before the break would be
    /// scheduled twice. The runner takes the job up again from what was committed instead.
    pub(super) async fn write_job_step(
        &self,
        step: &JobStep<'_>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (status, error) = match &step.finish {
            Some((status, error)) => (*status, error.as_deref()),
            None => (JobStatus::Running, None),
        };
        let stepped: i64 = sqlx::query_scalar(
            "WITH job AS ( \
                 SELECT id, subscription_id, skip_known FROM jobs \
                 WHERE id = $1 AND owner = $2 AND status = 'running' FOR UPDATE \
             ), scheduled AS ( \
                 INSERT INTO deliveries (position, subscription_id, due_at, attempt, partition_key, replay_id) \
                 SELECT e.position, job.subscription_id, $3, 0, e.partition_key, job.id \
                 FROM job JOIN events e ON e.position = ANY($4::bigint[]) \
                 WHERE NOT job.skip_known OR ( \
                     NOT EXISTS (SELECT 1 FROM deliveries d \
                         WHERE d.position = e.position AND d.subscription_id = job.subscription_id) \
                     AND NOT EXISTS (SELECT 1 FROM attempts a \
                         WHERE a.position = e.position AND a.subscription_id = job.subscription_id) \
                     AND NOT EXISTS (SELECT 1 FROM dead_letters x \
                         WHERE x.position = e.position AND x.subscription_id = job.subscription_id)) \
                 ORDER BY e.position \
                 RETURNING 1 \
             ), stepped AS ( \
                 UPDATE jobs j SET scheduled = j.scheduled + (SELECT COUNT(*) FROM scheduled), \
                     scanned_order = COALESCE($5, j.scanned_order), \
                     scanned_position = COALESCE($6, j.scanned_position), \
                     total = COALESCE($7, j.total), status = $8, error = COALESCE($9, j.error), \
                     lease_until = $10, updated_at = $3 \
                 FROM job WHERE j.id = job.id \
                 RETURNING j.id \
             ) \
             SELECT COUNT(*) FROM stepped",
        )
        .bind(step.job.as_str())
        .bind(step.owner)
        .bind(ms(now))
        .bind(step.positions)
        .bind(step.scanned.map(|c| c.order))
        .bind(step.scanned.map(|c| c.position))
        .bind(step.total.map(|t| i64::try_from(t).unwrap_or(i64::MAX)))
        .bind(status.as_str())
        .bind(error)
        .bind(ms(step.lease_until))
        .fetch_one(&self.pool)
        .await?;
        Ok(stepped > 0)
    }

    /// Two statements in one transaction, in this order, not one statement: the update locks
    /// the job row, so it waits for a step being written and then sees the job still running;
    /// the delete, a statement of its own, then reads a snapshot taken after that step
    /// committed and drops its deliveries too (one statement's snapshot predates the wait and
    /// would leave them pending).
    pub(super) async fn cancel_running_job(
        &self,
        id: &JobId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE jobs SET status = 'cancelled', updated_at = $1 WHERE id = $2 AND status = 'running'",
        )
        .bind(ms(now))
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        // Dropped deliveries were never done: they leave the count of scheduled ones.
        let dropped = sqlx::query("DELETE FROM deliveries WHERE replay_id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("UPDATE jobs SET scheduled = scheduled - $1 WHERE id = $2")
            .bind(i64::try_from(dropped).unwrap_or(i64::MAX))
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub(super) async fn pending_of_job(&self, id: &JobId) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE replay_id = $1")
            .bind(id.as_str())
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(count).unwrap_or_default())
    }
}
