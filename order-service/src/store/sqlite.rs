//! The SQLite backend: one file in WAL mode, one writer connection (SQLite has one writer
//! anyway; funnelling writes through one connection avoids `SQLITE_BUSY` retries) and a small
//! pool of readers that never wait for the writer. The SQL is kept portable to PostgreSQL
//! (`ON CONFLICT`, `RETURNING`, integer milliseconds for due times).

use super::codec::{
    format_time, is_unique_violation, now_ms, parse_order_id, parse_time, pending_event,
};
use super::{
    Append, AppendOutcome, IdempotencyRecord, ListQuery, OrderStore, OrderView, ProjectionBatch,
    StoreError, StoredEvent, Synchronous,
};
use async_trait::async_trait;
use chrono::Utc;
use shared_events::catalog::values::OrderId;
use shared_events::service::relay::{BoxError, Outbox, PendingEvent};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

const PROJECTION: &str = "orders";
const EVENT_COLUMNS: &str = "position, stream_id, version, event_id, source, event_type, time, traceparent, data, published";

/// order-service on SQLite.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

fn event_from_row(row: &SqliteRow) -> Result<StoredEvent, StoreError> {
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
        published: row.try_get::<i64, _>("published")? != 0,
    })
}

fn view_from_row(row: &SqliteRow) -> Result<OrderView, StoreError> {
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

/// Creates the directory of a `sqlite://` file URL so `create_if_missing` can create the file.
fn ensure_parent_dir(url: &str) -> Result<(), StoreError> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path.starts_with(":memory:") {
        return Ok(());
    }
    if let Some(parent) = std::path::Path::new(path).parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        }
    }
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if missing) and migrates the database at `url`.
    ///
    /// # Errors
    /// [`StoreError`] when it cannot be opened or migrated.
    pub async fn connect(url: &str, synchronous: Synchronous) -> Result<Self, StoreError> {
        ensure_parent_dir(url)?;
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(match synchronous {
                Synchronous::Full => SqliteSynchronous::Full,
                Synchronous::Normal => SqliteSynchronous::Normal,
            })
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await?;
        Ok(Self { writer, reader })
    }
}

fn build_event(row: &SqliteRow) -> Result<PendingEvent, StoreError> {
    let attempts = u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or_default();
    pending_event(event_from_row(row)?, row.try_get("dataschema")?, attempts)
}

#[async_trait]
impl Outbox for SqliteStore {
    async fn claim(&self, limit: u32, lease: Duration) -> Result<Vec<PendingEvent>, BoxError> {
        let now = now_ms();
        let mut tx = self.writer.begin().await?;
        let rows = sqlx::query(
            "SELECT o.position, o.stream_id, o.attempts, e.version, e.event_id, e.source, e.event_type,
                    e.time, e.dataschema, e.traceparent, e.data, e.published
               FROM order_outbox o JOIN order_events e ON e.position = o.position
              WHERE o.due_at <= ?1
                AND NOT EXISTS (SELECT 1 FROM order_outbox p
                                 WHERE p.stream_id = o.stream_id AND p.position < o.position
                                   AND p.due_at > ?1)
              ORDER BY o.position
              LIMIT ?2",
        )
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let claimed = rows
            .iter()
            .map(build_event)
            .collect::<Result<Vec<_>, _>>()?;
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
        let mut update = QueryBuilder::<Sqlite>::new("UPDATE order_outbox SET due_at = ");
        update
            .push_bind(now.saturating_add(lease_ms))
            .push(" WHERE position IN (");
        let mut list = update.separated(", ");
        for pending in &claimed {
            list.push_bind(pending.position);
        }
        update.push(")");
        update.build().execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(claimed)
    }

    async fn complete(&self, positions: &[i64]) -> Result<(), BoxError> {
        let mut delete =
            QueryBuilder::<Sqlite>::new("DELETE FROM order_outbox WHERE position IN (");
        let mut list = delete.separated(", ");
        for position in positions {
            list.push_bind(*position);
        }
        delete.push(")");
        delete.build().execute(&self.writer).await?;
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
        sqlx::query("UPDATE order_outbox SET attempts = ?1, due_at = ?2, last_error = ?3 WHERE position = ?4")
            .bind(i64::from(attempts))
            .bind(due)
            .bind(error)
            .bind(position)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn release(&self, positions: &[i64]) -> Result<(), BoxError> {
        let mut update = QueryBuilder::<Sqlite>::new("UPDATE order_outbox SET due_at = ");
        update.push_bind(now_ms()).push(" WHERE position IN (");
        let mut list = update.separated(", ");
        for position in positions {
            list.push_bind(*position);
        }
        update.push(")");
        update.build().execute(&self.writer).await?;
        Ok(())
    }
}

#[async_trait]
impl OrderStore for SqliteStore {
    async fn load_stream(
        &self,
        id: OrderId,
        up_to: Option<u64>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let up_to = up_to.map_or(i64::MAX, |v| i64::try_from(v).unwrap_or(i64::MAX));
        let rows = sqlx::query(&format!(
            "SELECT {EVENT_COLUMNS} FROM order_events WHERE stream_id = ?1 AND version <= ?2 ORDER BY version"
        ))
        .bind(id.to_string())
        .bind(up_to)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    async fn append(&self, append: Append) -> Result<AppendOutcome, StoreError> {
        let mut tx = self.writer.begin().await?;
        let now = Utc::now();
        if let Some(inbox) = &append.inbox {
            let inserted = sqlx::query(
                "INSERT INTO order_inbox (source, event_id, received_at) VALUES (?1, ?2, ?3)
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
                "INSERT INTO order_idempotency (key, request_hash, order_id, created_at) VALUES (?1, ?2, ?3, ?4)",
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
            let mut insert = QueryBuilder::<Sqlite>::new(
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
                        .push_bind(i64::from(event.publish));
                },
            );
            match insert.build().execute(&mut *tx).await {
                Err(e) if is_unique_violation(&e) => return Ok(AppendOutcome::Conflict),
                other => other?,
            };
            if append.events.iter().any(|e| e.publish) {
                sqlx::query(
                    "INSERT INTO order_outbox (position, stream_id, attempts, due_at)
                     SELECT position, stream_id, 0, ?1 FROM order_events
                      WHERE stream_id = ?2 AND version >= ?3 AND published = 1",
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
            sqlx::query("SELECT key, request_hash, order_id FROM order_idempotency WHERE key = ?1")
                .bind(key)
                .fetch_optional(&self.writer)
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
            sqlx::query_scalar("SELECT position FROM projection_checkpoint WHERE name = ?1")
                .bind(PROJECTION)
                .fetch_optional(&self.writer)
                .await?;
        Ok(position.unwrap_or(0))
    }

    async fn projection_batch(
        &self,
        after: i64,
        limit: u32,
    ) -> Result<ProjectionBatch, StoreError> {
        let upper: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(position) FROM (SELECT position FROM order_events WHERE position > ?1 ORDER BY position LIMIT ?2) AS batch",
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_one(&self.reader)
        .await?;
        let Some(upper) = upper else {
            return Ok(ProjectionBatch {
                events: Vec::new(),
                upper: after,
            });
        };
        let rows = sqlx::query(&format!(
            "SELECT {EVENT_COLUMNS} FROM order_events
              WHERE stream_id IN (SELECT DISTINCT stream_id FROM order_events WHERE position > ?1 AND position <= ?2)
                AND position <= ?2
              ORDER BY stream_id, version"
        ))
        .bind(after)
        .bind(upper)
        .fetch_all(&self.reader)
        .await?;
        let events = rows.iter().map(event_from_row).collect::<Result<_, _>>()?;
        Ok(ProjectionBatch { events, upper })
    }

    async fn save_projection(&self, rows: &[OrderView], checkpoint: i64) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        // Multi-row upserts: a few statements per batch instead of one per order.
        for chunk in rows.chunks(500) {
            let mut upsert = QueryBuilder::<Sqlite>::new(
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
            "INSERT INTO projection_checkpoint (name, position) VALUES (?1, ?2)
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
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM order_view")
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM projection_checkpoint WHERE name = ?1")
            .bind(PROJECTION)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_orders(&self, query: &ListQuery) -> Result<Vec<OrderView>, StoreError> {
        let mut sql = QueryBuilder::<Sqlite>::new(
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
        let rows = sql.build().fetch_all(&self.reader).await?;
        rows.iter().map(view_from_row).collect()
    }

    async fn outbox_depth(&self) -> Result<u64, StoreError> {
        let depth: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM order_outbox")
            .fetch_one(&self.reader)
            .await?;
        Ok(u64::try_from(depth).unwrap_or_default())
    }

    async fn count_by_status(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM order_view GROUP BY status")
            .fetch_all(&self.reader)
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
            .fetch_one(&self.reader)
            .await?;
        Ok(head.unwrap_or(0))
    }
}
