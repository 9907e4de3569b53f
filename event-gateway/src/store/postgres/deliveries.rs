//! The hot path on PostgreSQL: ingest (dedupe keys, events and deliveries in one statement over
//! arrays), the `SKIP LOCKED` claim and fenced outcome writes, each one statement (one round
//! trip) per batch.

use std::collections::{HashMap, HashSet};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{FromRow, PgConnection};

use super::PostgresStore;
use crate::store::codec::{from_ms, ms};
use crate::store::{
    ClaimRequest, Claimed, DeadLetterId, GiveUp, Ingested, JobId, Lease, LeaseOwner, NewEvent,
    RetryLater, Settled, StoreError,
};

/// The settled rows as a table `s`, from [`History`]'s thirteen arrays: the lease to fence on,
/// the attempt's history, and the new due time of a retry. [`SETTLE_DELIVERED`] and
/// [`SETTLE_RETRY`] differ only in what `done` does to the rows whose lease holds.
macro_rules! settle_statement {
    ($done:literal) => {
        concat!(
            "WITH s AS (SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::bigint[], \
                 $5::text[], $6::int[], $7::bigint[], $8::text[], $9::int[], $10::int[], $11::text[], \
                 $12::text[], $13::bigint[]) AS s(id, lease_attempt, owner, position, subscription_id, \
                 attempt, at, outcome, status, latency_ms, error, response, due_at)), \
             done AS (",
            $done,
            " WHERE d.id = s.id AND d.attempt = s.lease_attempt AND d.owner = s.owner \
                 RETURNING s.id, s.lease_attempt, s.owner), \
             recorded AS (INSERT INTO attempts (position, subscription_id, attempt, at, outcome, status, \
                 latency_ms, error, response) \
                 SELECT s.position, s.subscription_id, s.attempt, s.at, s.outcome, s.status, s.latency_ms, \
                 s.error, s.response \
                 FROM s JOIN done ON done.id = s.id AND done.lease_attempt = s.lease_attempt \
                 AND done.owner = s.owner) \
             SELECT id, lease_attempt, owner FROM done"
        )
    };
}

/// Delivered: the held rows leave the hot table.
const SETTLE_DELIVERED: &str = settle_statement!("DELETE FROM deliveries d USING s");

/// Failed, to be retried: the held rows are due again at `s.due_at`, unowned.
const SETTLE_RETRY: &str =
    settle_statement!("UPDATE deliveries d SET due_at = s.due_at, owner = NULL FROM s");

impl PostgresStore {
    /// One statement, so one round trip and one commit per batch: the dedupe keys (in key
    /// order, so two writers' overlapping batches lock in the same order and cannot deadlock; a
    /// key is new if absent or last seen before the window), the events of the new keys (in
    /// batch order: the identity is drawn row by row above the `ORDER BY`, so positions, and
    /// with them cursors and per-key order, follow the batch) and their deliveries, due now,
    /// each with its event's partition key (so the ordered claim reads one table).
    pub(super) async fn ingest_batch(
        &self,
        batch: &[NewEvent],
        now: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> Result<Vec<Ingested>, StoreError> {
        let (mut fan_index, mut fan_subs) = (Vec::new(), Vec::new());
        for (n, e) in (1_i64..).zip(batch) {
            for sub in &e.subscriptions {
                fan_index.push(n);
                fan_subs.push(sub.as_str());
            }
        }
        let rows: Vec<(i64, String, String)> = sqlx::query_as(
            "WITH input AS ( \
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], \
                     $6::text[], $7::bytea[]) WITH ORDINALITY \
                     AS e(source, id, type, subject, time, partition_key, body, n) \
             ), fresh AS ( \
                 INSERT INTO dedupe (source, id, seen_at) \
                 SELECT source, id, $8 FROM input ORDER BY source, id \
                 ON CONFLICT (source, id) DO UPDATE SET seen_at = excluded.seen_at \
                 WHERE dedupe.seen_at < $9 \
                 RETURNING source, id \
             ), stored AS ( \
                 INSERT INTO events (source, id, type, subject, time, partition_key, ingested_at, body) \
                 SELECT i.source, i.id, i.type, i.subject, i.time, i.partition_key, $8, i.body \
                 FROM input i JOIN fresh f ON f.source = i.source AND f.id = i.id ORDER BY i.n \
                 RETURNING position, source, id \
             ), fanned AS ( \
                 INSERT INTO deliveries (position, subscription_id, due_at, partition_key) \
                 SELECT s.position, d.subscription_id, $8, i.partition_key \
                 FROM stored s JOIN input i ON i.source = s.source AND i.id = s.id \
                 JOIN unnest($10::bigint[], $11::text[]) AS d(n, subscription_id) ON d.n = i.n \
             ) \
             SELECT position, source, id FROM stored",
        )
        .bind(batch.iter().map(|e| e.source.as_str()).collect::<Vec<_>>())
        .bind(batch.iter().map(|e| e.id.as_str()).collect::<Vec<_>>())
        .bind(batch.iter().map(|e| e.event_type.as_str()).collect::<Vec<_>>())
        .bind(batch.iter().map(|e| e.subject.as_deref()).collect::<Vec<_>>())
        .bind(batch.iter().map(|e| e.time.map(ms)).collect::<Vec<_>>())
        .bind(batch.iter().map(|e| e.partition_key.as_deref()).collect::<Vec<_>>())
        .bind(batch.iter().map(|e| e.body.as_ref()).collect::<Vec<&[u8]>>())
        .bind(ms(now))
        .bind(ms(since))
        .bind(&fan_index)
        .bind(&fan_subs)
        .fetch_all(&self.pool)
        .await?;
        let positions: HashMap<(&str, &str), i64> = rows
            .iter()
            .map(|(p, s, i)| ((s.as_str(), i.as_str()), *p))
            .collect();
        Ok(batch
            .iter()
            .map(
                |e| match positions.get(&(e.source.as_str(), e.id.as_str())) {
                    Some(&position) => Ingested::Accepted(position),
                    None => Ingested::Duplicate,
                },
            )
            .collect())
    }

    /// One statement for every subscription asked for: per request, a `LATERAL` pick of its
    /// due rows, oldest due first, `FOR UPDATE SKIP LOCKED` and bounded by its free slots, then
    /// the lease (attempt + 1, owner, due time pushed to the lease's end).
    ///
    /// An ordered request (per-key ordering) takes a keyed row only while no earlier row, by
    /// (position, id), of its subscription and key is left in the table: pending, retrying or
    /// in flight. The head of a key stays in the table until it is settled, so while one
    /// replica holds it every other replica's claim sees it (committed or locked) and passes
    /// over the rest of the key; a head that another claim is leasing at this very moment is
    /// skipped, not waited for, like any locked row. A key thus has at most one delivery in
    /// flight, in ingest order, and a retrying head holds back its own key only. Rows without
    /// a key are unordered.
    pub(super) async fn claim_due(
        &self,
        requests: &[ClaimRequest],
        owner: &LeaseOwner,
        now: DateTime<Utc>,
    ) -> Result<Vec<Claimed>, StoreError> {
        let requests: Vec<&ClaimRequest> = requests.iter().filter(|r| r.limit > 0).collect();
        if requests.is_empty() {
            return Ok(Vec::new());
        }
        let lease_until = |r: &ClaimRequest| {
            ms(now + chrono::Duration::from_std(r.lease).unwrap_or(chrono::Duration::MAX))
        };
        type Row = (i64, i64, i32, String, Option<String>, Vec<u8>, i64);
        let rows: Vec<Row> = sqlx::query_as(
            "WITH request AS ( \
                 SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $6::boolean[]) \
                     AS r(subscription_id, lim, lease_until, ordered) \
             ), picked AS ( \
                 SELECT d.id, request.lease_until FROM request CROSS JOIN LATERAL ( \
                     SELECT id FROM deliveries d \
                     WHERE d.subscription_id = request.subscription_id AND d.due_at <= $4 \
                     AND (NOT request.ordered OR d.partition_key IS NULL OR NOT EXISTS ( \
                         SELECT 1 FROM deliveries h \
                         WHERE h.subscription_id = d.subscription_id \
                         AND h.partition_key = d.partition_key \
                         AND (h.position, h.id) < (d.position, d.id))) \
                     ORDER BY d.due_at, d.id LIMIT request.lim \
                     FOR UPDATE OF d SKIP LOCKED \
                 ) d \
             ), claimed AS ( \
                 UPDATE deliveries d SET attempt = d.attempt + 1, owner = $5, due_at = picked.lease_until \
                 FROM picked WHERE d.id = picked.id \
                 RETURNING d.id, d.position, d.attempt, d.subscription_id, d.replay_id \
             ) \
             SELECT c.id, c.position, c.attempt, c.subscription_id, c.replay_id, e.body, e.ingested_at \
             FROM claimed c JOIN events e ON e.position = c.position",
        )
        .bind(requests.iter().map(|r| r.subscription.as_str()).collect::<Vec<_>>())
        .bind(requests.iter().map(|r| i64::from(r.limit)).collect::<Vec<_>>())
        .bind(requests.iter().map(|r| lease_until(r)).collect::<Vec<_>>())
        .bind(ms(now))
        .bind(owner.as_str())
        .bind(requests.iter().map(|r| r.ordered).collect::<Vec<_>>())
        .fetch_all(&self.claims)
        .await?;
        let by_id: HashMap<&str, &ClaimRequest> = requests
            .iter()
            .map(|r| (r.subscription.as_str(), *r))
            .collect();
        rows.into_iter()
            .map(|(id, position, attempt, sub, replay, body, ingested_at)| {
                let request = by_id.get(sub.as_str()).ok_or_else(|| {
                    StoreError::Corrupt(format!("claimed delivery {id} of unrequested `{sub}`"))
                })?;
                Ok(Claimed {
                    replay: replay
                        .map(|r| JobId::parse(&r))
                        .transpose()
                        .map_err(StoreError::Corrupt)?,
                    lease: Lease {
                        delivery: id,
                        attempt: u32::try_from(attempt).unwrap_or_default(),
                        owner: owner.clone(),
                    },
                    position,
                    subscription: request.subscription.clone(),
                    body: Bytes::from(body),
                    ingested_at: from_ms(ingested_at),
                })
            })
            .collect()
    }

    /// The fenced delete of delivered rows and the history of what it deleted, in one
    /// statement; answers, in batch order, whether each lease held. Safe to repeat: a repeat
    /// finds its rows gone and changes nothing (it then answers `false` for them, as for any
    /// lease that no longer holds).
    pub(super) async fn complete_batch(&self, batch: &[Settled]) -> Result<Vec<bool>, StoreError> {
        let rows: Vec<(&Settled, Option<i64>)> = batch.iter().map(|s| (s, None)).collect();
        self.settle(&rows, SETTLE_DELIVERED).await
    }

    /// The fenced update of failed rows (due again later, unowned) and their history, in one
    /// statement; answers, in batch order, whether each lease held. Safe to repeat, like
    /// [`Self::complete_batch`]: the first run cleared the owner, so a repeat matches nothing.
    pub(super) async fn retry_batch(&self, batch: &[RetryLater]) -> Result<Vec<bool>, StoreError> {
        let rows: Vec<(&Settled, Option<i64>)> = batch
            .iter()
            .map(|r| (&r.settled, Some(ms(r.due_at))))
            .collect();
        self.settle(&rows, SETTLE_RETRY).await
    }

    /// Runs one of the `SETTLE_*` statements over `rows` (each with its new due time, if any).
    async fn settle(
        &self,
        rows: &[(&Settled, Option<i64>)],
        statement: &'static str,
    ) -> Result<Vec<bool>, StoreError> {
        let h = History::of(rows);
        let held = h
            .bind(sqlx::query(statement))
            .try_map(|row: PgRow| Lease3::from_row(&row))
            .fetch_all(&self.pool)
            .await?;
        Ok(h.held(&held))
    }

    /// Pushes the due time (the lease's end) of held leases to `until`, one fenced statement;
    /// answers, in order, whether each lease held. Safe to repeat: it sets the same time again.
    /// On the durable pool: a consumer is told its lock was renewed.
    pub(super) async fn renew_leases(
        &self,
        leases: &[Lease],
        until: DateTime<Utc>,
    ) -> Result<Vec<bool>, StoreError> {
        if leases.is_empty() {
            return Ok(Vec::new());
        }
        let int = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        let held: Vec<Lease3> = sqlx::query_as(
            "UPDATE deliveries d SET due_at = $4 \
             FROM unnest($1::bigint[], $2::int[], $3::text[]) AS l(id, attempt, owner) \
             WHERE d.id = l.id AND d.attempt = l.attempt AND d.owner = l.owner \
             RETURNING l.id, l.attempt, l.owner",
        )
        .bind(leases.iter().map(|l| l.delivery).collect::<Vec<_>>())
        .bind(leases.iter().map(|l| int(l.attempt)).collect::<Vec<_>>())
        .bind(leases.iter().map(|l| l.owner.as_str()).collect::<Vec<_>>())
        .bind(ms(until))
        .fetch_all(&self.pool)
        .await?;
        let leases = leases
            .iter()
            .map(|l| (l.delivery, int(l.attempt), l.owner.as_str()));
        Ok(held_of(leases, &held))
    }

    pub(super) async fn dead_letter_batch(
        &self,
        batch: &[GiveUp],
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<DeadLetterId>>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut ids = Vec::with_capacity(batch.len());
        let mut applied = Vec::with_capacity(batch.len());
        for g in batch {
            let (l, s) = (&g.settled.lease, &g.settled);
            let id: Option<i64> = sqlx::query_scalar(
                "WITH gone AS (DELETE FROM deliveries WHERE id = $1 AND attempt = $2 AND owner = $3 RETURNING position) \
                 INSERT INTO dead_letters (position, subscription_id, event_type, reason, last_status, attempts, dead_lettered_at) \
                 SELECT e.position, $4, e.type, $5, $6, $2, $7 FROM gone JOIN events e ON e.position = gone.position \
                 RETURNING id",
            )
            .bind(l.delivery)
            .bind(i32::try_from(l.attempt).unwrap_or(i32::MAX))
            .bind(l.owner.as_str())
            .bind(s.subscription.as_str())
            .bind(g.reason.as_str())
            .bind(s.record.status.map(i32::from))
            .bind(ms(now))
            .fetch_optional(&mut *tx)
            .await?;
            if id.is_some() {
                applied.push(s);
            }
            ids.push(id);
        }
        insert_history(&mut tx, &applied).await?;
        tx.commit().await?;
        Ok(ids)
    }
}

/// Settled attempts as column arrays, for `unnest`: the lease (id, attempt, owner), the history
/// entry and, for retries, the next due time.
struct History<'a> {
    ids: Vec<i64>,
    lease_attempts: Vec<i32>,
    owners: Vec<&'a str>,
    positions: Vec<i64>,
    subscriptions: Vec<&'a str>,
    attempts: Vec<i32>,
    ats: Vec<i64>,
    outcomes: Vec<&'a str>,
    statuses: Vec<Option<i32>>,
    latencies: Vec<i32>,
    errors: Vec<Option<&'a str>>,
    responses: Vec<Option<&'a str>>,
    due: Vec<Option<i64>>,
}

impl<'a> History<'a> {
    fn of(rows: &[(&'a Settled, Option<i64>)]) -> Self {
        let int = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        Self {
            ids: rows.iter().map(|(s, _)| s.lease.delivery).collect(),
            lease_attempts: rows.iter().map(|(s, _)| int(s.lease.attempt)).collect(),
            owners: rows.iter().map(|(s, _)| s.lease.owner.as_str()).collect(),
            positions: rows.iter().map(|(s, _)| s.position).collect(),
            subscriptions: rows.iter().map(|(s, _)| s.subscription.as_str()).collect(),
            attempts: rows.iter().map(|(s, _)| int(s.record.attempt)).collect(),
            ats: rows.iter().map(|(s, _)| ms(s.record.at)).collect(),
            outcomes: rows
                .iter()
                .map(|(s, _)| s.record.outcome.as_str())
                .collect(),
            statuses: rows
                .iter()
                .map(|(s, _)| s.record.status.map(i32::from))
                .collect(),
            latencies: rows.iter().map(|(s, _)| int(s.record.latency_ms)).collect(),
            errors: rows
                .iter()
                .map(|(s, _)| s.record.error.as_deref())
                .collect(),
            responses: rows
                .iter()
                .map(|(s, _)| s.record.response.as_deref())
                .collect(),
            due: rows.iter().map(|(_, due)| *due).collect(),
        }
    }

    /// Per row, in order: whether its lease is among the `held` ones a fenced statement
    /// returned.
    fn held(&self, held: &[Lease3]) -> Vec<bool> {
        let leases = self.ids.iter().zip(&self.lease_attempts).zip(&self.owners);
        held_of(
            leases.map(|((id, attempt), owner)| (*id, *attempt, *owner)),
            held,
        )
    }

    /// Binds the thirteen arrays as `$1` … `$13`, in the field order.
    fn bind<'q>(
        &'q self,
        q: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
        q.bind(&self.ids)
            .bind(&self.lease_attempts)
            .bind(&self.owners)
            .bind(&self.positions)
            .bind(&self.subscriptions)
            .bind(&self.attempts)
            .bind(&self.ats)
            .bind(&self.outcomes)
            .bind(&self.statuses)
            .bind(&self.latencies)
            .bind(&self.errors)
            .bind(&self.responses)
            .bind(&self.due)
    }
}

/// A lease as a fenced statement returns it: row id, attempt, owner.
type Lease3 = (i64, i32, String);

/// Per lease (id, attempt, owner), in order: whether it is among the `held` ones a fenced
/// statement returned. Matched on the whole lease, not the row id, so a stale lease and the
/// current one of the same row in one batch are told apart.
fn held_of<'a>(leases: impl Iterator<Item = (i64, i32, &'a str)>, held: &[Lease3]) -> Vec<bool> {
    let held: HashSet<(i64, i32, &str)> = held
        .iter()
        .map(|(id, attempt, owner)| (*id, *attempt, owner.as_str()))
        .collect();
    leases.map(|lease| held.contains(&lease)).collect()
}

/// Appends history entries (no fencing: the caller settled them already), one statement.
pub(super) async fn insert_history(
    conn: &mut PgConnection,
    settled: &[&Settled],
) -> Result<(), StoreError> {
    if settled.is_empty() {
        return Ok(());
    }
    let rows: Vec<(&Settled, Option<i64>)> = settled.iter().map(|s| (*s, None)).collect();
    let h = History::of(&rows);
    h.bind(sqlx::query(
        "INSERT INTO attempts (position, subscription_id, attempt, at, outcome, status, latency_ms, error, response) \
         SELECT position, subscription_id, attempt, at, outcome, status, latency_ms, error, response \
         FROM unnest($1::bigint[], $2::int[], $3::text[], $4::bigint[], $5::text[], $6::int[], $7::bigint[], \
              $8::text[], $9::int[], $10::int[], $11::text[], $12::text[], $13::bigint[]) \
              AS s(id, lease_attempt, owner, position, subscription_id, attempt, at, outcome, status, \
                   latency_ms, error, response, due_at)",
    ))
    .execute(conn)
    .await?;
    Ok(())
}
