//! The console's read models on PostgreSQL: the same queries as on SQLite (window functions,
//! nearest rank, so both backends agree on percentiles), with `$n` parameters, arrays for lists
//! and the writing transaction's id as the cursor's order key.

use chrono::{DateTime, Utc};
use sqlx::{Postgres, QueryBuilder};

use super::PostgresStore;
use crate::domain::SubscriptionId;
use crate::store::codec::{from_ms, ms, sub_id};
use crate::store::{
    AttemptRecord, Backlog, Cursor, EventSearch, EventSummary, LoggedAttempt, RecentFailure,
    StoreError, Traffic, TrafficCounts, TypeCount, reach_of,
};

/// Per subscription (`NULL`: all), the p99 of accepted → delivered and of the answer time over
/// delivered attempts since `$1`: the row whose rank is `ceil(0.99 n)`.
const P99: &str = "\
WITH d AS (
    SELECT a.subscription_id AS sub, a.at - e.ingested_at AS e2e, a.latency_ms::bigint AS rt
    FROM attempts a JOIN events e ON e.position = a.position
    WHERE a.outcome = 'delivered' AND a.at >= $1
),
by_e2e AS (
    SELECT sub, e2e,
           ROW_NUMBER() OVER (PARTITION BY sub ORDER BY e2e) AS rn,
           COUNT(*) OVER (PARTITION BY sub) AS n,
           ROW_NUMBER() OVER (ORDER BY e2e) AS all_rn,
           COUNT(*) OVER () AS all_n
    FROM d
),
by_rt AS (
    SELECT sub, rt,
           ROW_NUMBER() OVER (PARTITION BY sub ORDER BY rt) AS rn,
           COUNT(*) OVER (PARTITION BY sub) AS n,
           ROW_NUMBER() OVER (ORDER BY rt) AS all_rn,
           COUNT(*) OVER () AS all_n
    FROM d
)
SELECT sub, 'e2e'::text, e2e FROM by_e2e WHERE rn = (99 * n + 99) / 100
UNION ALL SELECT NULL, 'e2e', e2e FROM by_e2e WHERE all_rn = (99 * all_n + 99) / 100
UNION ALL SELECT sub, 'rt', rt FROM by_rt WHERE rn = (99 * n + 99) / 100
UNION ALL SELECT NULL, 'rt', rt FROM by_rt WHERE all_rn = (99 * all_n + 99) / 100";

#[derive(sqlx::FromRow)]
struct FailureRow {
    id: i64,
    subscription_id: String,
    position: i64,
    event_order: Option<i64>,
    event_id: Option<String>,
    event_source: Option<String>,
    event_type: Option<String>,
    attempt: i32,
    at: i64,
    outcome: String,
    status: Option<i32>,
    latency_ms: i32,
    error: Option<String>,
    response: Option<String>,
    dead_letter: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    position: i64,
    event_order: i64,
    ingested_at: i64,
    id: String,
    source: String,
    #[sqlx(rename = "type")]
    event_type: String,
    subject: Option<String>,
    time: Option<i64>,
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}

impl PostgresStore {
    pub(super) async fn console_traffic(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Traffic, StoreError> {
        let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE ingested_at >= $1")
            .bind(ms(since))
            .fetch_one(&self.pool)
            .await?;
        let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
            "SELECT subscription_id, \
                    SUM(CASE WHEN outcome = 'delivered' THEN 1 ELSE 0 END)::bigint, \
                    SUM(CASE WHEN outcome = 'retry' THEN 1 ELSE 0 END)::bigint, \
                    SUM(CASE WHEN outcome = 'dead_lettered' THEN 1 ELSE 0 END)::bigint \
             FROM attempts WHERE at >= $1 AND attempt > 0 \
             GROUP BY subscription_id ORDER BY subscription_id",
        )
        .bind(ms(since))
        .fetch_all(&self.pool)
        .await?;
        let percentiles: Vec<(Option<String>, String, i64)> = sqlx::query_as(P99)
            .bind(ms(since))
            .fetch_all(&self.pool)
            .await?;
        let mut traffic = Traffic {
            events: count(events),
            ..Traffic::default()
        };
        for (sub, delivered, retried, dead) in rows {
            let counts = TrafficCounts {
                delivered: count(delivered),
                retried: count(retried),
                dead_lettered: count(dead),
                ..TrafficCounts::default()
            };
            traffic.total.delivered += counts.delivered;
            traffic.total.retried += counts.retried;
            traffic.total.dead_lettered += counts.dead_lettered;
            traffic.per_subscription.push((sub_id(&sub)?, counts));
        }
        for (sub, which, value) in percentiles {
            let counts = match sub {
                None => Some(&mut traffic.total),
                Some(sub) => traffic
                    .per_subscription
                    .iter_mut()
                    .find(|(id, _)| id.as_str() == sub)
                    .map(|(_, c)| c),
            };
            if let Some(counts) = counts {
                let value = Some(count(value));
                if which == "e2e" {
                    counts.p99_delivery_ms = value;
                } else {
                    counts.p99_response_ms = value;
                }
            }
        }
        Ok(traffic)
    }

    pub(super) async fn console_backlog(&self) -> Result<Vec<Backlog>, StoreError> {
        let rows: Vec<(String, i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT d.subscription_id, COUNT(*), \
                    SUM(CASE WHEN d.attempt > 0 AND d.owner IS NULL THEN 1 ELSE 0 END)::bigint, \
                    MIN(e.ingested_at) \
             FROM deliveries d LEFT JOIN events e ON e.position = d.position \
             GROUP BY d.subscription_id ORDER BY d.subscription_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(sub, pending, retrying, oldest)| {
                Ok(Backlog {
                    subscription: sub_id(&sub)?,
                    pending: count(pending),
                    retrying: count(retrying),
                    oldest_ingested_at: oldest.map(from_ms),
                })
            })
            .collect()
    }

    pub(super) async fn console_dead_letter_counts(
        &self,
    ) -> Result<Vec<(SubscriptionId, u64)>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT subscription_id, COUNT(*) FROM dead_letters \
             GROUP BY subscription_id ORDER BY subscription_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(sub, n)| Ok((sub_id(&sub)?, count(n))))
            .collect()
    }

    pub(super) async fn console_recent_failures(
        &self,
        limit: u32,
    ) -> Result<Vec<RecentFailure>, StoreError> {
        let rows: Vec<FailureRow> = sqlx::query_as(
            "SELECT a.id, a.subscription_id, a.position, e.tx::text::bigint AS event_order, \
                    e.id AS event_id, e.source AS event_source, e.type AS event_type, \
                    a.attempt, a.at, a.outcome, a.status, a.latency_ms, a.error, a.response, \
                    (SELECT MIN(dl.id) FROM dead_letters dl \
                     WHERE dl.position = a.position AND dl.subscription_id = a.subscription_id) \
                        AS dead_letter \
             FROM attempts a LEFT JOIN events e ON e.position = a.position \
             WHERE a.outcome IN ('retry', 'dead_lettered') ORDER BY a.id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                let position = r.position;
                Ok(RecentFailure {
                    attempt: LoggedAttempt {
                        id: r.id,
                        subscription: sub_id(&r.subscription_id)?,
                        cursor: r.event_order.map(|order| Cursor { order, position }),
                        event: r
                            .event_id
                            .zip(r.event_source)
                            .zip(r.event_type)
                            .map(|((i, s), t)| (i, s, t)),
                        record: AttemptRecord {
                            attempt: u32::try_from(r.attempt).unwrap_or_default(),
                            at: from_ms(r.at),
                            outcome: r.outcome,
                            status: r.status.and_then(|s| u16::try_from(s).ok()),
                            latency_ms: u32::try_from(r.latency_ms).unwrap_or_default(),
                            error: r.error,
                            response: r.response,
                        },
                    },
                    dead_letter: r.dead_letter,
                })
            })
            .collect()
    }

    pub(super) async fn console_search_events(
        &self,
        query: &EventSearch,
    ) -> Result<Vec<EventSummary>, StoreError> {
        let mut sql: QueryBuilder<'_, Postgres> = QueryBuilder::new(
            "SELECT position, tx::text::bigint AS event_order, ingested_at, id, source, type, \
                    subject, time FROM events WHERE TRUE",
        );
        if let Some(id) = &query.id {
            sql.push(" AND id = ").push_bind(id);
        }
        if let Some(source) = &query.source {
            sql.push(" AND source = ").push_bind(source);
        }
        if let Some(prefix) = &query.type_prefix {
            sql.push(" AND starts_with(type, ")
                .push_bind(prefix)
                .push(")");
        }
        if let Some(prefix) = &query.subject_prefix {
            sql.push(" AND starts_with(subject, ")
                .push_bind(prefix)
                .push(")");
        }
        if let Some(since) = query.since {
            sql.push(" AND ingested_at >= ").push_bind(ms(since));
        }
        if let Some(until) = query.until {
            sql.push(" AND ingested_at <= ").push_bind(ms(until));
        }
        if let Some(before) = query.before {
            sql.push(" AND position < ").push_bind(before);
        }
        sql.push(" ORDER BY position DESC LIMIT ")
            .push_bind(i64::from(query.limit));
        let rows: Vec<SummaryRow> = sql.build_query_as().fetch_all(&self.pool).await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let positions: Vec<i64> = rows.iter().map(|r| r.position).collect();
        let places: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT position, subscription_id, 'pending' FROM deliveries \
                 WHERE position = ANY($1) \
             UNION ALL SELECT position, subscription_id, outcome FROM attempts \
                 WHERE position = ANY($1) \
             UNION ALL SELECT position, subscription_id, 'dead' FROM dead_letters \
                 WHERE position = ANY($1)",
        )
        .bind(&positions)
        .fetch_all(&self.pool)
        .await?;
        let reach = reach_of(&places);
        Ok(rows
            .into_iter()
            .map(|r| EventSummary {
                cursor: Cursor {
                    order: r.event_order,
                    position: r.position,
                },
                ingested_at: from_ms(r.ingested_at),
                id: r.id,
                source: r.source,
                event_type: r.event_type,
                subject: r.subject,
                time: r.time.map(from_ms),
                reach: reach.get(&r.position).copied().unwrap_or_default(),
            })
            .collect())
    }

    pub(super) async fn console_event_types(&self) -> Result<Vec<TypeCount>, StoreError> {
        let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
            "SELECT type, COUNT(*), MAX(position), MAX(ingested_at) FROM events \
             GROUP BY type ORDER BY type",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(event_type, n, newest, last)| TypeCount {
                event_type,
                count: count(n),
                newest,
                last_ingested_at: from_ms(last),
            })
            .collect())
    }
}
