//! The hot path: ingest (events, dedupe keys and deliveries in one transaction, multi-row
//! inserts), claims and fenced outcome writes.

use std::collections::{HashMap, HashSet};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::{SqliteStore, from_ms, ms};
use crate::store::{
    AttemptRecord, ClaimRequest, Claimed, DeadLetterId, GiveUp, Ingested, JobId, Lease, LeaseOwner,
    NewEvent, RetryLater, Settled, StoreError,
};

/// Rows per multi-row statement: well under SQLite's 32,766 bound parameters.
const CHUNK: usize = 500;

/// Leases one subscription's due rows, oldest due first.
const CLAIM: &str = "UPDATE deliveries SET attempt = attempt + 1, owner = ?, due_at = ? \
     WHERE id IN (SELECT id FROM deliveries WHERE subscription_id = ? AND due_at <= ? \
                  ORDER BY due_at, id LIMIT ?) \
     RETURNING id, position, attempt, replay_id";

/// [`CLAIM`] for a subscription ordered by partition key: a keyed row is claimable only while
/// no earlier row of its key is left (pending, retrying or in flight), so each key has at most
/// one delivery in flight, in ingest order, and a retrying head holds back its own key only.
const CLAIM_ORDERED: &str = "UPDATE deliveries SET attempt = attempt + 1, owner = ?, due_at = ? \
     WHERE id IN (SELECT d.id FROM deliveries d WHERE d.subscription_id = ? AND d.due_at <= ? \
                  AND (d.partition_key IS NULL OR NOT EXISTS ( \
                      SELECT 1 FROM deliveries h WHERE h.subscription_id = d.subscription_id \
                      AND h.partition_key = d.partition_key \
                      AND (h.position < d.position OR (h.position = d.position AND h.id < d.id)))) \
                  ORDER BY d.due_at, d.id LIMIT ?) \
     RETURNING id, position, attempt, replay_id";

impl SqliteStore {
    pub(super) async fn ingest_batch(
        &self,
        batch: &[NewEvent],
        now: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> Result<Vec<Ingested>, StoreError> {
        let now_ms = ms(now);
        let mut tx = self.writer.begin().await?;
        // 1. Dedupe keys: a key is new if absent or last seen before the window.
        let mut fresh: HashSet<(String, String)> = HashSet::with_capacity(batch.len());
        for chunk in batch.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new("INSERT INTO dedupe (source, id, seen_at) ");
            q.push_values(chunk, |mut row, e| {
                row.push_bind(e.source.as_str())
                    .push_bind(e.id.as_str())
                    .push_bind(now_ms);
            });
            q.push(" ON CONFLICT (source, id) DO UPDATE SET seen_at = excluded.seen_at WHERE dedupe.seen_at < ");
            q.push_bind(ms(since));
            q.push(" RETURNING source, id");
            let rows: Vec<(String, String)> = q.build_query_as().fetch_all(&mut *tx).await?;
            fresh.extend(rows);
        }
        let accepted: Vec<&NewEvent> = batch
            .iter()
            .filter(|e| fresh.contains(&(e.source.clone(), e.id.clone())))
            .collect();
        // 2. Events.
        let mut positions: HashMap<(String, String), i64> = HashMap::with_capacity(accepted.len());
        for chunk in accepted.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO events (source, id, type, subject, time, partition_key, ingested_at, body) ",
            );
            q.push_values(chunk, |mut row, e| {
                row.push_bind(e.source.as_str())
                    .push_bind(e.id.as_str())
                    .push_bind(e.event_type.as_str())
                    .push_bind(e.subject.as_deref())
                    .push_bind(e.time.map(ms))
                    .push_bind(e.partition_key.as_deref())
                    .push_bind(now_ms)
                    .push_bind(e.body.as_ref());
            });
            q.push(" RETURNING position, source, id");
            let rows: Vec<(i64, String, String)> = q.build_query_as().fetch_all(&mut *tx).await?;
            positions.extend(rows.into_iter().map(|(p, s, i)| ((s, i), p)));
        }
        // 3. Deliveries.
        let mut outcomes = Vec::with_capacity(batch.len());
        let mut rows: Vec<(i64, &str, Option<&str>)> = Vec::new();
        for e in batch {
            match positions.get(&(e.source.clone(), e.id.clone())) {
                Some(&position) => {
                    let key = e.partition_key.as_deref();
                    rows.extend(e.subscriptions.iter().map(|s| (position, s.as_str(), key)));
                    outcomes.push(Ingested::Accepted(position));
                }
                None => outcomes.push(Ingested::Duplicate),
            }
        }
        for chunk in rows.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO deliveries (position, subscription_id, due_at, attempt, partition_key) ",
            );
            q.push_values(chunk, |mut row, (position, sub, key)| {
                row.push_bind(*position)
                    .push_bind(*sub)
                    .push_bind(now_ms)
                    .push_bind(0_i64)
                    .push_bind(*key);
            });
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(outcomes)
    }

    pub(super) async fn claim_due(
        &self,
        requests: &[ClaimRequest],
        owner: &LeaseOwner,
        now: DateTime<Utc>,
    ) -> Result<Vec<Claimed>, StoreError> {
        let mut tx = self.bookkeeping().await?;
        let mut claimed: Vec<(i64, i64, i64, Option<String>, usize)> = Vec::new();
        for (index, request) in requests.iter().enumerate() {
            if request.limit == 0 {
                continue;
            }
            let lease_until =
                now + chrono::Duration::from_std(request.lease).unwrap_or(chrono::Duration::MAX);
            let sql = if request.ordered {
                CLAIM_ORDERED
            } else {
                CLAIM
            };
            let rows: Vec<(i64, i64, i64, Option<String>)> = sqlx::query_as(sql)
                .bind(owner.as_str())
                .bind(ms(lease_until))
                .bind(request.subscription.as_str())
                .bind(ms(now))
                .bind(i64::from(request.limit))
                .fetch_all(&mut *tx)
                .await?;
            claimed.extend(
                rows.into_iter()
                    .map(|(id, pos, attempt, replay)| (id, pos, attempt, replay, index)),
            );
        }
        if claimed.is_empty() {
            tx.commit().await?;
            return Ok(Vec::new());
        }
        let bodies = event_bodies(&mut tx, claimed.iter().map(|c| c.1)).await?;
        tx.commit().await?;
        let mut out = Vec::with_capacity(claimed.len());
        for (id, position, attempt, replay, index) in claimed {
            let Some((body, ingested_at)) = bodies.get(&position) else {
                return Err(StoreError::Corrupt(format!(
                    "delivery {id} refers to missing event {position}"
                )));
            };
            out.push(Claimed {
                lease: Lease {
                    delivery: id,
                    attempt: u32::try_from(attempt).unwrap_or(u32::MAX),
                    owner: owner.clone(),
                },
                position,
                subscription: requests[index].subscription.clone(),
                body: body.clone(),
                ingested_at: *ingested_at,
                replay: replay
                    .map(|r| JobId::parse(&r))
                    .transpose()
                    .map_err(StoreError::Corrupt)?,
            });
        }
        Ok(out)
    }

    pub(super) async fn complete_batch(&self, batch: &[Settled]) -> Result<Vec<bool>, StoreError> {
        let mut tx = self.bookkeeping().await?;
        let mut held: HashSet<i64> = HashSet::with_capacity(batch.len());
        for chunk in batch.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "DELETE FROM deliveries WHERE (id, attempt, owner) IN (VALUES ",
            );
            let mut list = q.separated(", ");
            for s in chunk {
                list.push("(");
                list.push_bind_unseparated(s.lease.delivery);
                list.push_unseparated(", ");
                list.push_bind_unseparated(i64::from(s.lease.attempt));
                list.push_unseparated(", ");
                list.push_bind_unseparated(s.lease.owner.as_str());
                list.push_unseparated(")");
            }
            q.push(") RETURNING id");
            let ids: Vec<i64> = q.build_query_scalar().fetch_all(&mut *tx).await?;
            held.extend(ids);
        }
        let applied: Vec<&Settled> = batch
            .iter()
            .filter(|s| held.contains(&s.lease.delivery))
            .collect();
        insert_history(&mut tx, &applied).await?;
        tx.commit().await?;
        Ok(batch
            .iter()
            .map(|s| held.contains(&s.lease.delivery))
            .collect())
    }

    pub(super) async fn retry_batch(&self, batch: &[RetryLater]) -> Result<Vec<bool>, StoreError> {
        let mut tx = self.bookkeeping().await?;
        let mut applied = Vec::with_capacity(batch.len());
        let mut held = Vec::with_capacity(batch.len());
        for r in batch {
            let l = &r.settled.lease;
            let done = sqlx::query("UPDATE deliveries SET due_at = ?, owner = NULL WHERE id = ? AND attempt = ? AND owner = ?")
                .bind(ms(r.due_at))
                .bind(l.delivery)
                .bind(i64::from(l.attempt))
                .bind(l.owner.as_str())
                .execute(&mut *tx)
                .await?;
            held.push(done.rows_affected() > 0);
            if done.rows_affected() > 0 {
                applied.push(&r.settled);
            }
        }
        insert_history(&mut tx, &applied).await?;
        tx.commit().await?;
        Ok(held)
    }

    pub(super) async fn renew_leases(
        &self,
        leases: &[Lease],
        until: DateTime<Utc>,
    ) -> Result<Vec<bool>, StoreError> {
        let mut tx = self.bookkeeping().await?;
        let mut held = Vec::with_capacity(leases.len());
        for l in leases {
            let done = sqlx::query(
                "UPDATE deliveries SET due_at = ? WHERE id = ? AND attempt = ? AND owner = ?",
            )
            .bind(ms(until))
            .bind(l.delivery)
            .bind(i64::from(l.attempt))
            .bind(l.owner.as_str())
            .execute(&mut *tx)
            .await?;
            held.push(done.rows_affected() > 0);
        }
        tx.commit().await?;
        Ok(held)
    }

    pub(super) async fn dead_letter_batch(
        &self,
        batch: &[GiveUp],
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<DeadLetterId>>, StoreError> {
        let mut tx = self.bookkeeping().await?;
        let mut ids = Vec::with_capacity(batch.len());
        let mut applied = Vec::with_capacity(batch.len());
        for g in batch {
            let (l, s) = (&g.settled.lease, &g.settled);
            let done =
                sqlx::query("DELETE FROM deliveries WHERE id = ? AND attempt = ? AND owner = ?")
                    .bind(l.delivery)
                    .bind(i64::from(l.attempt))
                    .bind(l.owner.as_str())
                    .execute(&mut *tx)
                    .await?;
            if done.rows_affected() == 0 {
                ids.push(None);
                continue;
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO dead_letters (position, subscription_id, event_type, reason, last_status, attempts, dead_lettered_at) \
                 SELECT position, ?, type, ?, ?, ?, ? FROM events WHERE position = ? RETURNING id",
            )
            .bind(s.subscription.as_str())
            .bind(g.reason.as_str())
            .bind(s.record.status.map(i64::from))
            .bind(i64::from(l.attempt))
            .bind(ms(now))
            .bind(s.position)
            .fetch_one(&mut *tx)
            .await?;
            ids.push(Some(id));
            applied.push(s);
        }
        insert_history(&mut tx, &applied).await?;
        tx.commit().await?;
        Ok(ids)
    }
}

/// The bodies and ingest times of the events at `positions`.
async fn event_bodies(
    conn: &mut SqliteConnection,
    positions: impl Iterator<Item = i64>,
) -> Result<HashMap<i64, (Bytes, DateTime<Utc>)>, StoreError> {
    let unique: Vec<i64> = positions.collect::<HashSet<_>>().into_iter().collect();
    let mut out = HashMap::with_capacity(unique.len());
    for chunk in unique.chunks(CHUNK) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT position, body, ingested_at FROM events WHERE position IN (",
        );
        let mut list = q.separated(", ");
        for p in chunk {
            list.push_bind(*p);
        }
        q.push(")");
        let rows: Vec<(i64, Vec<u8>, i64)> = q.build_query_as().fetch_all(&mut *conn).await?;
        out.extend(
            rows.into_iter()
                .map(|(p, body, at)| (p, (Bytes::from(body), from_ms(at)))),
        );
    }
    Ok(out)
}

/// Appends history entries, several rows per statement.
pub(super) async fn insert_history(
    conn: &mut SqliteConnection,
    settled: &[&Settled],
) -> Result<(), StoreError> {
    for chunk in settled.chunks(CHUNK) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO attempts (position, subscription_id, attempt, at, outcome, status, latency_ms, error, response) ",
        );
        q.push_values(chunk, |mut row, s| {
            let r: &AttemptRecord = &s.record;
            row.push_bind(s.position)
                .push_bind(s.subscription.as_str())
                .push_bind(i64::from(r.attempt))
                .push_bind(ms(r.at))
                .push_bind(r.outcome.as_str())
                .push_bind(r.status.map(i64::from))
                .push_bind(i64::from(r.latency_ms))
                .push_bind(r.error.as_deref())
                .push_bind(r.response.as_deref());
        });
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}
