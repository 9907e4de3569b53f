//! The PostgreSQL backend, for several replicas on one database:
//! - appends take a transaction-scoped advisory lock, so events commit in `position` order and
//!   the projector's checkpoint can never skip an event that commits late (a sequence alone
//!   hands out positions in insert order, not commit order);
//! - the relay claims outbox rows with `FOR UPDATE SKIP LOCKED`, only the head of each stream,
//!   so two replicas never send one stream's events concurrently or out of order; a claim is a
//!   lease (the due time pushed forward), so a dead replica's rows become due again;
//! - inbox and idempotency keys are unique keys, so dedupe holds across replicas.

use super::codec::{
    format_time, is_unique_violation, now_ms, parse_order_id, parse_time, pending_event,
};
use super::{
    Append, AppendOutcome, IdempotencyRecord, ListQuery, OrderStore, OrderView, ProjectionBatch,
    StoreError, StoredEvent,
};
use async_trait::async_trait;
use chrono::Utc;
use shared_events::catalog::values::OrderId;
use shared_events::service::relay::{BoxError, Outbox, PendingEvent};
use sqlx::postgres::{PgPoolOptions, PgRow};
use sqlx::{PgPool, Postgres, QueryBuilder, Row};
use std::time::Duration;

const PROJECTION: &str = "orders";
const EVENT_COLUMNS: &str = "position, stream_id, version, event_id, source, event_type, time, traceparent, data, published";

/// order-service on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

/// The advisory lock key that orders appends (any constant shared by all replicas).
const APPEND_LOCK: i64 = 0x6f72_6465_7273;

fn event_from_row(row: &PgRow) -> Result<StoredEvent, StoreError> {
    let data: String = row.try_get("data")?;
    Ok(StoredEvent {
        position: row.try_get("position")?,
        stream_id: parse_order_id(row.try_get("stream_id")?)?,
        version: u64::try_from(row.try_get::<i64, _>("version")?).unwrap_or_default(),
        id: row.try_get("event_id")?,
        source: row.try_get("source")?,
        event_type: row.try_get("event_type")?,
        time: parse_time(row.try_get("time")?)?,
        traceparent: row.try_get("traceparent")?,
        data: serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        published: row.try_get::<bool, _>("published")?,
    })
}

fn view_from_row(row: &PgRow) -> Result<OrderView, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(OrderView {
        order_id: parse_order_id(row.try_get("order_id")?)?,
        customer_id: row.try_get("customer_id")?,
        status: status
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("{e}")))?,
        total_cents: row.try_get("total_cents")?,
        currency: row.try_get("currency")?,
        payment_id: row.try_get("payment_id")?,
        version: u64::try_from(row.try_get::<i64, _>("version")?).unwrap_or_default(),
        created_at: parse_time(row.try_get("created_at")?)?,
        updated_at: parse_time(row.try_get("updated_at")?)?,
    })
}

impl PostgresStore {
    /// Connects to `url` and migrates (safe when several replicas start at once: sqlx takes an
    /// advisory lock around migrations).
    ///
    /// # Errors
    /// [`StoreError`] when it cannot connect or migrate.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect(url)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Self { pool })
    }
}

fn build_event(row: &PgRow) -> Result<PendingEvent, StoreError> {
    let attempts = u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or_default();
    pending_event(event_from_row(row)?, row.try_get("dataschema")?, attempts)
}

#[async_trait]
impl Outbox for PostgresStore {
    async fn claim(&self, limit: u32, lease: Duration) -> Result<Vec<PendingEvent>, BoxError> {
        let now = now_ms();
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
        let rows = sqlx::query(
            "WITH due AS (
                 SELECT o.position FROM order_outbox o
                  WHERE o.due_at <= $1
                    AND o.position = (SELECT MIN(p.position) FROM order_outbox p WHERE p.stream_id = o.stream_id)
                  ORDER BY o.position
                  LIMIT $2
                  FOR UPDATE SKIP LOCKED)
             UPDATE order_outbox o SET due_at = $3
               FROM due, order_events e
              WHERE o.position = due.position AND e.position = o.position
             RETURNING o.position, o.stream_id, o.attempts, e.version, e.event_id, e.source, e.event_type,
                       e.time, e.dataschema, e.traceparent, e.data, e.published",
        )
        .bind(now)
        .bind(i64::from(limit))
        .bind(now.saturating_add(lease_ms))
        .fetch_all(&self.pool)
        .await?;
        let mut claimed = rows
            .iter()
            .map(build_event)
            .collect::<Result<Vec<_>, _>>()?;
        claimed.sort_by_key(|p| p.position);
        Ok(claimed)
    }

    async fn complete(&self, positions: &[i64]) -> Result<(), BoxError> {
        let mut delete =
            QueryBuilder::<Postgres>::new("DELETE FROM order_outbox WHERE position IN (");
        let mut list = delete.separated(", ");
        for position in positions {
            list.push_bind(*position);
        }
        delete.push(")");
        delete.build().execute(&self.pool).await?;
        Ok(())
    }

    async fn retry(
        &self,
        position: i64,
        attempts: u32,
        delay: Duration,
        error: &str,
    ) -> Result<(), BoxError> {
        let due = now_ms().saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX));
        sqlx::query("UPDATE order_outbox SET attempts = $1, due_at = $2, last_error = $3 WHERE position = $4")
            .bind(i64::from(attempts))
            .bind(due)
            .bind(error)
            .bind(position)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn release(&self, positions: &[i64]) -> Result<(), BoxError> {
        let mut update = QueryBuilder::<Postgres>::new("UPDATE order_outbox SET due_at = ");
        update.push_bind(now_ms()).push(" WHERE position IN (");
        let mut list = update.separated(", ");
        for position in positions {
            list.push_bind(*position);
        }
        update.push(")");
        update.build().execute(&self.pool).await?;
        Ok(())
    }
}

#[async_trait]
impl OrderStore for PostgresStore {
    async fn load_stream(
        &self,
        id: OrderId,
        up_to: Option<u64>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let up_to = up_to.map_or(i64::MAX, |v| i64::try_from(v).unwrap_or(i64::MAX));
        let rows = sqlx::query(&format!(
            "SELECT {EVENT_COLUMNS} FROM order_events WHERE stream_id = $1 AND version <= $2 ORDER BY version"
        ))
        .bind(id.to_string())
        .bind(up_to)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    async fn append(&self, append: Append) -> Result<AppendOutcome, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(APPEND_LOCK)
            .execute(&mut *tx)
            .await?;
        let now = Utc::now();
        if let Some(inbox) = &append.inbox {
            let inserted = sqlx::query(
                "INSERT INTO order_inbox (source, event_id, received_at) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
            )
            .bind(&inbox.source)
            .bind(&inbox.id)
            .bind(format_time(&now))
            .execute(&mut *tx)
            .await?;
            if inserted.rows_affected() == 0 {
                return Ok(AppendOutcome::Duplicate);
            }
        }
        if let Some(key) = &append.idempotency {
            let inserted = sqlx::query(
                "INSERT INTO order_idempotency (key, request_hash, order_id, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(&key.key)
            .bind(&key.request_hash)
            .bind(key.order_id.to_string())
            .bind(format_time(&now))
            .execute(&mut *tx)
            .await;
            match inserted {
                Err(e) if is_unique_violation(&e) => return Ok(AppendOutcome::KeyTaken),
                other => other?,
            };
        }
        let stream = append.stream.to_string();
        let first = append.expected_version + 1;
        let version = append.expected_version + append.events.len() as u64;
        if !append.events.is_empty() {
            // One multi-row insert for the events and one for their outbox rows: statements,
            // not bytes, are what a transaction costs here.
            let mut insert = QueryBuilder::<Postgres>::new(
                "INSERT INTO order_events
                   (stream_id, version, event_id, source, event_type, time, dataschema, traceparent, data, published) ",
            );
            insert.push_values(
                append.events.iter().zip(first..),
                |mut row, (event, version)| {
                    row.push_bind(&stream)
                        .push_bind(i64::try_from(version).unwrap_or(i64::MAX))
                        .push_bind(&event.id)
                        .push_bind(&event.source)
                        .push_bind(event.event_type)
                        .push_bind(format_time(&event.time))
                        .push_bind(event.dataschema.as_deref())
                        .push_bind(&event.traceparent)
                        .push_bind(event.data.to_string())
                        .push_bind(event.publish);
                },
            );
            match insert.build().execute(&mut *tx).await {
                Err(e) if is_unique_violation(&e) => return Ok(AppendOutcome::Conflict),
                other => other?,
            };
            if append.events.iter().any(|e| e.publish) {
                sqlx::query(
                    "INSERT INTO order_outbox (position, stream_id, attempts, due_at)
                     SELECT position, stream_id, 0, $1 FROM order_events
                      WHERE stream_id = $2 AND version >= $3 AND published = TRUE",
                )
                .bind(now_ms())
                .bind(&stream)
                .bind(i64::try_from(first).unwrap_or(i64::MAX))
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(AppendOutcome::Appended { version })
    }

    async fn find_idempotency_key(
        &self,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let row =
            sqlx::query("SELECT key, request_hash, order_id FROM order_idempotency WHERE key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|row| {
            Ok(IdempotencyRecord {
                key: row.try_get("key")?,
                request_hash: row.try_get("request_hash")?,
                order_id: parse_order_id(row.try_get("order_id")?)?,
            })
        })
        .transpose()
    }

    async fn checkpoint(&self) -> Result<i64, StoreError> {
        let position: Option<i64> =
            sqlx::query_scalar("SELECT position FROM projection_checkpoint WHERE name = $1")
                .bind(PROJECTION)
                .fetch_optional(&self.pool)
                .await?;
        Ok(position.unwrap_or(0))
    }

    async fn projection_batch(
        &self,
        after: i64,
        limit: u32,
    ) -> Result<ProjectionBatch, StoreError> {
        let upper: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(position) FROM (SELECT position FROM order_events WHERE position > $1 ORDER BY position LIMIT $2) AS batch",
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_one(&self.pool)
        .await?;
        let Some(upper) = upper else {
            return Ok(ProjectionBatch {
                events: Vec::new(),
                upper: after,
            });
        };
        let rows = sqlx::query(&format!(
            "SELECT {EVENT_COLUMNS} FROM order_events
              WHERE stream_id IN (SELECT DISTINCT stream_id FROM order_events WHERE position > $1 AND position <= $2)
                AND position <= $2
              ORDER BY stream_id, version"
        ))
        .bind(after)
        .bind(upper)
        .fetch_all(&self.pool)
        .await?;
        let events = rows.iter().map(event_from_row).collect::<Result<_, _>>()?;
        Ok(ProjectionBatch { events, upper })
    }

    async fn save_projection(&self, rows: &[OrderView], checkpoint: i64) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        // Multi-row upserts: a few statements per batch instead of one per order.
        for chunk in rows.chunks(500) {
            let mut upsert = QueryBuilder::<Postgres>::new(
                "INSERT INTO order_view
                   (order_id, customer_id, status, total_cents, currency, payment_id, version, created_at, updated_at) ",
            );
            upsert.push_values(chunk, |mut values, row| {
                values
                    .push_bind(row.order_id.to_string())
                    .push_bind(&row.customer_id)
                    .push_bind(row.status.as_str())
                    .push_bind(row.total_cents)
                    .push_bind(&row.currency)
                    .push_bind(row.payment_id.as_deref())
                    .push_bind(i64::try_from(row.version).unwrap_or(i64::MAX))
                    .push_bind(format_time(&row.created_at))
                    .push_bind(format_time(&row.updated_at));
            });
            upsert.push(
                " ON CONFLICT (order_id) DO UPDATE SET
                   status = excluded.status, payment_id = excluded.payment_id,
                   version = excluded.version, updated_at = excluded.updated_at
                 WHERE excluded.version >= order_view.version",
            );
            upsert.build().execute(&mut *tx).await?;
        }
        sqlx::query(
            "INSERT INTO projection_checkpoint (name, position) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET position = excluded.position",
        )
        .bind(PROJECTION)
        .bind(checkpoint)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn reset_projection(&self) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM order_view")
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM projection_checkpoint WHERE name = $1")
            .bind(PROJECTION)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_orders(&self, query: &ListQuery) -> Result<Vec<OrderView>, StoreError> {
        let mut sql = QueryBuilder::<Postgres>::new(
            "SELECT order_id, customer_id, status, total_cents, currency, payment_id, version, created_at, updated_at
               FROM order_view WHERE 1 = 1",
        );
        if let Some(status) = query.status {
            sql.push(" AND status = ").push_bind(status.as_str());
        }
        if let Some(after) = query.after {
            sql.push(" AND order_id > ").push_bind(after.to_string());
        }
        sql.push(" ORDER BY order_id LIMIT ")
            .push_bind(i64::from(query.limit));
        let rows = sql.build().fetch_all(&self.pool).await?;
        rows.iter().map(view_from_row).collect()
    }

    async fn outbox_depth(&self) -> Result<u64, StoreError> {
        let depth: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM order_outbox")
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(depth).unwrap_or_default())
    }

    async fn count_by_status(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM order_view GROUP BY status")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("status")?,
                    u64::try_from(row.try_get::<i64, _>("n")?).unwrap_or_default(),
                ))
            })
            .collect()
    }

    async fn head_position(&self) -> Result<i64, StoreError> {
        let head: Option<i64> = sqlx::query_scalar("SELECT MAX(position) FROM order_events")
            .fetch_one(&self.pool)
            .await?;
        Ok(head.unwrap_or(0))
    }
}
