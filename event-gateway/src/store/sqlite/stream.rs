//! The stream on SQLite: retained events read by position (one writer, so positions are in
//! commit order and the cursor's order key is the position itself), and replay jobs.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite};

use super::{SqliteStore, from_ms, ms, sub_id};
use crate::domain::SubscriptionId;
use crate::store::codec::{JOB_COLUMNS, JobRow, LOG_COLUMNS, LogRow, logged_attempt, parse_job};
use crate::store::{
    AttemptRecord, Cursor, EventDeliveries, Job, JobId, JobStatus, JobStep, LeaseOwner,
    LoggedAttempt, PendingDelivery, Position, StoreError, StoredEvent,
};

/// Rows per multi-row statement.
const CHUNK: usize = 500;

type EventRow = (i64, i64, Vec<u8>);
/// `deliveries` of one event: subscription, attempt, due at, lease owner, replay job.
type PendingRow = (String, i64, i64, Option<String>, Option<String>);

type HistoryRow = (
    String,
    i64,
    i64,
    String,
    Option<i64>,
    i64,
    Option<String>,
    Option<String>,
);

fn stored((position, ingested_at, body): EventRow) -> StoredEvent {
    StoredEvent {
        cursor: Cursor {
            order: position,
            position,
        },
        ingested_at: from_ms(ingested_at),
        body: Bytes::from(body),
    }
}

impl SqliteStore {
    pub(super) async fn read_events_after(
        &self,
        after: Option<Cursor>,
        limit: u32,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let rows: Vec<EventRow> = sqlx::query_as(
            "SELECT position, ingested_at, body FROM events WHERE position > ? \
             ORDER BY position LIMIT ?",
        )
        .bind(after.map_or(0, |c| c.position))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(stored).collect())
    }

    pub(super) async fn find_event_by_identity(
        &self,
        source: &str,
        id: &str,
    ) -> Result<Option<StoredEvent>, StoreError> {
        let row: Option<EventRow> = sqlx::query_as(
            "SELECT position, ingested_at, body FROM events WHERE source = ? AND id = ? \
             ORDER BY position DESC LIMIT 1",
        )
        .bind(source)
        .bind(id)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(stored))
    }

    pub(super) async fn event_at_position(
        &self,
        position: Position,
    ) -> Result<Option<StoredEvent>, StoreError> {
        let row: Option<EventRow> =
            sqlx::query_as("SELECT position, ingested_at, body FROM events WHERE position = ?")
                .bind(position)
                .fetch_optional(&self.reader)
                .await?;
        Ok(row.map(stored))
    }

    pub(super) async fn deliveries_of(
        &self,
        position: Position,
    ) -> Result<EventDeliveries, StoreError> {
        let pending: Vec<PendingRow> = sqlx::query_as(
            "SELECT subscription_id, attempt, due_at, owner, replay_id FROM deliveries \
             WHERE position = ? ORDER BY id",
        )
        .bind(position)
        .fetch_all(&self.reader)
        .await?;
        let dead: Vec<(String, i64)> = sqlx::query_as(
            "SELECT subscription_id, id FROM dead_letters WHERE position = ? ORDER BY id",
        )
        .bind(position)
        .fetch_all(&self.reader)
        .await?;
        let history: Vec<HistoryRow> = sqlx::query_as(
            "SELECT subscription_id, attempt, at, outcome, status, latency_ms, error, response \
             FROM attempts WHERE position = ? ORDER BY id",
        )
        .bind(position)
        .fetch_all(&self.reader)
        .await?;
        let mut out = EventDeliveries::default();
        for (sub, attempts, due_at, owner, replay) in pending {
            out.pending.push(PendingDelivery {
                subscription: sub_id(&sub)?,
                attempts: u32::try_from(attempts).unwrap_or_default(),
                due_at: from_ms(due_at),
                claimed: owner.is_some(),
                replay: replay
                    .map(|r| JobId::parse(&r))
                    .transpose()
                    .map_err(StoreError::Corrupt)?,
            });
        }
        for (sub, id) in dead {
            out.dead_letters.push((sub_id(&sub)?, id));
        }
        for (sub, attempt, at, outcome, status, latency, error, response) in history {
            let record = AttemptRecord {
                attempt: u32::try_from(attempt).unwrap_or_default(),
                at: from_ms(at),
                outcome,
                status: status.and_then(|s| u16::try_from(s).ok()),
                latency_ms: u32::try_from(latency).unwrap_or_default(),
                error,
                response,
            };
            out.history.push((sub_id(&sub)?, record));
        }
        Ok(out)
    }

    pub(super) async fn attempt_log(
        &self,
        after: Option<i64>,
        limit: u32,
        subscription: Option<&SubscriptionId>,
    ) -> Result<Vec<LoggedAttempt>, StoreError> {
        let rows: Vec<LogRow> = sqlx::query_as(&format!(
            "SELECT {LOG_COLUMNS}, e.position FROM attempts a LEFT JOIN events e ON e.position = a.position \
             WHERE a.id > ? AND (? IS NULL OR a.subscription_id = ?) ORDER BY a.id LIMIT ?"
        ))
        .bind(after.unwrap_or(0))
        .bind(subscription.map(SubscriptionId::as_str))
        .bind(subscription.map(SubscriptionId::as_str))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(logged_attempt).collect()
    }

    pub(super) async fn head_cursor(&self) -> Result<Option<Cursor>, StoreError> {
        let max: Option<i64> = sqlx::query_scalar("SELECT MAX(position) FROM events")
            .fetch_one(&self.reader)
            .await?;
        Ok(max.map(|position| Cursor {
            order: position,
            position,
        }))
    }

    pub(super) async fn first_cursor_since(
        &self,
        at: DateTime<Utc>,
    ) -> Result<Option<Cursor>, StoreError> {
        let min: Option<i64> =
            sqlx::query_scalar("SELECT MIN(position) FROM events WHERE ingested_at >= ?")
                .bind(ms(at))
                .fetch_one(&self.reader)
                .await?;
        Ok(min.map(|position| Cursor {
            order: position,
            position,
        }))
    }

    pub(super) async fn insert_new_job(&self, job: &Job) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO jobs (id, subscription_id, spec, skip_known, status, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(job.id.as_str())
        .bind(job.subscription.as_str())
        .bind(job.spec.as_str())
        .bind(job.skip_known)
        .bind(job.status.as_str())
        .bind(ms(job.created_at))
        .bind(ms(job.updated_at))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub(super) async fn job_by_id(&self, id: &JobId) -> Result<Option<Job>, StoreError> {
        let row: Option<JobRow> = sqlx::query_as(&format!("{JOB_COLUMNS} WHERE id = ?"))
            .bind(id.as_str())
            .fetch_optional(&self.reader)
            .await?;
        row.map(parse_job).transpose()
    }

    pub(super) async fn list_jobs(&self, limit: u32) -> Result<Vec<Job>, StoreError> {
        let rows: Vec<JobRow> = sqlx::query_as(&format!(
            "{JOB_COLUMNS} ORDER BY created_at DESC, id DESC LIMIT ?"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(parse_job).collect()
    }

    pub(super) async fn claim_a_job(
        &self,
        owner: &LeaseOwner,
        lease_until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<Job>, StoreError> {
        let row: Option<JobRow> = sqlx::query_as(&format!(
            "UPDATE jobs SET owner = ?, lease_until = ? WHERE id = ( \
                 SELECT id FROM jobs WHERE status = 'running' \
                 AND (owner IS NULL OR lease_until < ?) \
                 ORDER BY created_at, id LIMIT 1) \
             RETURNING {}",
            crate::store::codec::JOB_FIELDS
        ))
        .bind(owner.as_str())
        .bind(ms(lease_until))
        .bind(ms(now))
        .fetch_optional(&self.writer)
        .await?;
        row.map(parse_job).transpose()
    }

    pub(super) async fn write_job_step(
        &self,
        step: &JobStep<'_>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let job: Option<(String, bool)> = sqlx::query_as(
            "SELECT subscription_id, skip_known FROM jobs \
             WHERE id = ? AND owner = ? AND status = 'running'",
        )
        .bind(step.job.as_str())
        .bind(step.owner)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((subscription, skip_known)) = job else {
            return Ok(false);
        };
        let mut scheduled = 0_u64;
        for chunk in step.positions.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO deliveries (position, subscription_id, due_at, attempt, partition_key, replay_id) \
                 SELECT e.position, ",
            );
            q.push_bind(subscription.as_str());
            q.push(", ");
            q.push_bind(ms(now));
            q.push(", 0, e.partition_key, ");
            q.push_bind(step.job.as_str());
            q.push(" FROM events e WHERE e.position IN (");
            let mut list = q.separated(", ");
            for p in chunk {
                list.push_bind(*p);
            }
            q.push(")");
            if skip_known {
                q.push(
                    " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.position = e.position AND d.subscription_id = ",
                );
                q.push_bind(subscription.as_str());
                q.push(") AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.position = e.position AND a.subscription_id = ");
                q.push_bind(subscription.as_str());
                q.push(") AND NOT EXISTS (SELECT 1 FROM dead_letters x WHERE x.position = e.position AND x.subscription_id = ");
                q.push_bind(subscription.as_str());
                q.push(")");
            }
            q.push(" ORDER BY e.position");
            scheduled += q.build().execute(&mut *tx).await?.rows_affected();
        }
        let (status, error) = match &step.finish {
            Some((status, error)) => (status.as_str(), error.as_deref()),
            None => (JobStatus::Running.as_str(), None),
        };
        sqlx::query(
            "UPDATE jobs SET scheduled = scheduled + ?, \
             scanned_order = COALESCE(?, scanned_order), scanned_position = COALESCE(?, scanned_position), \
             total = COALESCE(?, total), status = ?, error = COALESCE(?, error), \
             lease_until = ?, updated_at = ? WHERE id = ?",
        )
        .bind(i64::try_from(scheduled).unwrap_or(i64::MAX))
        .bind(step.scanned.map(|c| c.order))
        .bind(step.scanned.map(|c| c.position))
        .bind(step.total.map(|t| i64::try_from(t).unwrap_or(i64::MAX)))
        .bind(status)
        .bind(error)
        .bind(ms(step.lease_until))
        .bind(ms(now))
        .bind(step.job.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub(super) async fn cancel_running_job(
        &self,
        id: &JobId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(
            "UPDATE jobs SET status = 'cancelled', updated_at = ? WHERE id = ? AND status = 'running'",
        )
        .bind(ms(now))
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        // Dropped deliveries were never done: they leave the count of scheduled ones.
        let dropped = sqlx::query("DELETE FROM deliveries WHERE replay_id = ?")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("UPDATE jobs SET scheduled = scheduled - ? WHERE id = ?")
            .bind(i64::try_from(dropped).unwrap_or(i64::MAX))
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub(super) async fn pending_of_job(&self, id: &JobId) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE replay_id = ?")
            .bind(id.as_str())
            .fetch_one(&self.reader)
            .await?;
        Ok(u64::try_from(count).unwrap_or_default())
    }
}
