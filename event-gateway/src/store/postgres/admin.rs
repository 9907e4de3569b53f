//! The cold path on PostgreSQL: dead letters, history and retention. Retention deletes in
//! bounded batches, each its own short transaction, and skips rows another replica's purge has
//! locked, so replicas purging at once neither wait on nor repeat each other.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use sqlx::{Postgres, QueryBuilder};

use super::PostgresStore;
use super::deliveries::insert_history;
use crate::domain::SubscriptionId;
use crate::store::codec::{from_ms, ms, sub_id};
use crate::store::{
    AttemptRecord, DeadLetter, DeadLetterId, DeadLetterQuery, Lease, LeaseOwner, Position, Purge,
    Purged, Redeliver, Settled, StoreError,
};

type DeadLetterRow = (
    i64,
    String,
    i64,
    String,
    String,
    Option<i32>,
    i32,
    i64,
    Vec<u8>,
);

const DEAD_LETTER_COLUMNS: &str = "SELECT d.id, d.subscription_id, d.position, d.event_type, d.reason, d.last_status, \
     d.attempts, d.dead_lettered_at, e.body FROM dead_letters d JOIN events e ON e.position = d.position";

fn dead_letter(row: DeadLetterRow) -> Result<DeadLetter, StoreError> {
    let (id, sub, position, event_type, reason, last_status, attempts, at, body) = row;
    Ok(DeadLetter {
        id,
        subscription: sub_id(&sub)?,
        position,
        event_type,
        reason,
        last_status: last_status.and_then(|s| u16::try_from(s).ok()),
        attempts: u32::try_from(attempts).unwrap_or_default(),
        dead_lettered_at: from_ms(at),
        event: Bytes::from(body),
    })
}

impl PostgresStore {
    pub(super) async fn list_dead_letters(
        &self,
        query: &DeadLetterQuery,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        let mut q = QueryBuilder::<Postgres>::new(DEAD_LETTER_COLUMNS);
        q.push(" WHERE d.id > ").push_bind(query.after.unwrap_or(0));
        if let Some(sub) = &query.subscription {
            q.push(" AND d.subscription_id = ").push_bind(sub.as_str());
        }
        if let Some(t) = &query.event_type {
            q.push(" AND d.event_type = ").push_bind(t.as_str());
        }
        q.push(" ORDER BY d.id LIMIT ")
            .push_bind(i64::from(query.limit));
        let rows: Vec<DeadLetterRow> = q.build_query_as().fetch_all(&self.pool).await?;
        rows.into_iter().map(dead_letter).collect()
    }

    pub(super) async fn get_dead_letter(
        &self,
        id: DeadLetterId,
    ) -> Result<Option<DeadLetter>, StoreError> {
        let row: Option<DeadLetterRow> =
            sqlx::query_as(&format!("{DEAD_LETTER_COLUMNS} WHERE d.id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(dead_letter).transpose()
    }

    pub(super) async fn redeliver_dead_letters(
        &self,
        which: &Redeliver,
        now: DateTime<Utc>,
    ) -> Result<Vec<DeadLetterId>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let ids: Vec<i64> = match which {
            Redeliver::One(id) => vec![*id],
            Redeliver::Subscription(sub) => {
                sqlx::query_scalar(
                    "SELECT id FROM dead_letters WHERE subscription_id = $1 ORDER BY id",
                )
                .bind(sub.as_str())
                .fetch_all(&mut *tx)
                .await?
            }
        };
        let mut done = Vec::with_capacity(ids.len());
        let mut markers = Vec::with_capacity(ids.len());
        for id in ids {
            let row: Option<(i64, String)> = sqlx::query_as(
                "DELETE FROM dead_letters WHERE id = $1 RETURNING position, subscription_id",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((position, sub)) = row else { continue };
            // The partition key comes from the event (a dead letter keeps its event), so a
            // redelivered row of an ordered subscription takes its place in its key again.
            sqlx::query(
                "INSERT INTO deliveries (position, subscription_id, due_at, attempt, partition_key) \
                 SELECT position, $2, $3, 0, partition_key FROM events WHERE position = $1",
            )
            .bind(position)
            .bind(sub.as_str())
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
            markers.push(Settled {
                lease: Lease {
                    delivery: 0,
                    attempt: 0,
                    owner: LeaseOwner::generate(),
                },
                position,
                subscription: sub_id(&sub)?,
                record: AttemptRecord {
                    attempt: 0,
                    at: now,
                    outcome: "redelivered".to_owned(),
                    status: None,
                    latency_ms: 0,
                    error: None,
                    response: None,
                },
            });
            done.push(id);
        }
        insert_history(&mut tx, &markers.iter().collect::<Vec<_>>()).await?;
        tx.commit().await?;
        Ok(done)
    }

    pub(super) async fn delivery_history(
        &self,
        position: Position,
        subscription: &SubscriptionId,
    ) -> Result<Vec<AttemptRecord>, StoreError> {
        type Row = (
            i32,
            i64,
            String,
            Option<i32>,
            i32,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT attempt, at, outcome, status, latency_ms, error, response FROM attempts \
             WHERE position = $1 AND subscription_id = $2 ORDER BY id",
        )
        .bind(position)
        .bind(subscription.as_str())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(attempt, at, outcome, status, latency, error, response)| AttemptRecord {
                    attempt: u32::try_from(attempt).unwrap_or_default(),
                    at: from_ms(at),
                    outcome,
                    status: status.and_then(|s| u16::try_from(s).ok()),
                    latency_ms: u32::try_from(latency).unwrap_or_default(),
                    error,
                    response,
                },
            )
            .collect())
    }

    pub(super) async fn purge_batches(&self, purge: Purge) -> Result<Purged, StoreError> {
        let batch = i64::from(purge.batch.max(1));
        let mut purged = Purged::default();
        let statements: [(&str, i64, &mut u64); 4] = [
            (
                "DELETE FROM attempts WHERE id IN (SELECT id FROM attempts a WHERE at < $1 AND NOT EXISTS \
                 (SELECT 1 FROM dead_letters x WHERE x.position = a.position AND x.subscription_id = a.subscription_id) \
                 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)",
                ms(purge.history_before),
                &mut purged.history,
            ),
            (
                "DELETE FROM events WHERE position IN (SELECT position FROM events e WHERE ingested_at < $1 \
                 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.position = e.position) \
                 AND NOT EXISTS (SELECT 1 FROM dead_letters x WHERE x.position = e.position) \
                 ORDER BY position LIMIT $2 FOR UPDATE SKIP LOCKED)",
                ms(purge.events_before),
                &mut purged.events,
            ),
            (
                "DELETE FROM dedupe WHERE (source, id) IN \
                 (SELECT source, id FROM dedupe WHERE seen_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
                ms(purge.dedupe_before),
                &mut purged.dedupe,
            ),
            (
                "DELETE FROM jobs WHERE id IN \
                 (SELECT id FROM jobs WHERE status <> 'running' AND updated_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
                ms(purge.history_before),
                &mut purged.jobs,
            ),
        ];
        for (sql, before, count) in statements {
            loop {
                let done = sqlx::query(sql)
                    .bind(before)
                    .bind(batch)
                    .execute(&self.pool)
                    .await?;
                *count += done.rows_affected();
                if done.rows_affected() < batch as u64 {
                    break;
                }
            }
        }
        self.vacuum_without_autovacuum(&purged).await?;
        Ok(purged)
    }

    /// Deleted rows leave dead tuples that only vacuum makes reusable. Autovacuum does that (the
    /// migration tunes it for the hot table); on a server where it is off, the gateway vacuums
    /// what it churned itself — the hot table always, history tables when this purge deleted
    /// from them — skipping any table another replica is vacuuming.
    async fn vacuum_without_autovacuum(&self, purged: &Purged) -> Result<(), StoreError> {
        let autovacuum: String = sqlx::query_scalar("SELECT current_setting('autovacuum')")
            .fetch_one(&self.pool)
            .await?;
        if autovacuum == "on" {
            return Ok(());
        }
        let tables = [
            ("deliveries", true),
            ("attempts", purged.history > 0),
            ("events", purged.events > 0),
            ("dedupe", purged.dedupe > 0),
        ];
        for (table, churned) in tables {
            if churned {
                sqlx::query(&format!("VACUUM (SKIP_LOCKED) {table}"))
                    .execute(&self.pool)
                    .await?;
            }
        }
        Ok(())
    }
}
