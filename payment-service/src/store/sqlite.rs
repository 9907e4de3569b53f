//! The SQLite backend: one file in WAL mode, one writer connection (SQLite has one writer
//! anyway; funnelling writes through one connection avoids `SQLITE_BUSY` retries) and a small
//! pool of readers. The SQL is kept portable to PostgreSQL (`ON CONFLICT`, integer
//! milliseconds for due times).

use super::{Change, ChangeOutcome, PaymentStore, PaymentWrite, StoreError, Synchronous};
use crate::domain::payment::Payment;
use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use shared_events::Event;
use shared_events::catalog::values::{OrderId, PaymentId, PaymentStatus};
use shared_events::service::relay::{BoxError, Outbox, PendingEvent};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

/// payment-service on SQLite.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

fn format_time(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(corrupt)
}

fn payment_from_row(row: &SqliteRow) -> Result<Payment, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(Payment {
        payment_id: PaymentId::from_str(row.try_get("payment_id")?).map_err(corrupt)?,
        order_id: OrderId::from_str(row.try_get("order_id")?).map_err(corrupt)?,
        amount_cents: row
            .try_get::<i64, _>("amount_cents")?
            .try_into()
            .map_err(corrupt)?,
        currency: row
            .try_get::<String, _>("currency")?
            .try_into()
            .map_err(corrupt)?,
        status: match status.as_str() {
            "charged" => PaymentStatus::Charged,
            "refunded" => PaymentStatus::Refunded,
            other => return Err(corrupt(format!("payment status `{other}`"))),
        },
        created_at: parse_time(row.try_get("created_at")?)?,
        updated_at: parse_time(row.try_get("updated_at")?)?,
    })
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
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

fn positions_in(sql: &mut QueryBuilder<'_, Sqlite>, positions: &[i64]) {
    sql.push(" WHERE position IN (");
    let mut list = sql.separated(", ");
    for position in positions {
        list.push_bind(*position);
    }
    sql.push(")");
}

#[async_trait]
impl Outbox for SqliteStore {
    async fn claim(&self, limit: u32, lease: Duration) -> Result<Vec<PendingEvent>, BoxError> {
        let now = now_ms();
        let mut tx = self.writer.begin().await?;
        let rows = sqlx::query(
            "SELECT o.position, o.aggregate, o.event, o.attempts
               FROM payment_outbox o
              WHERE o.due_at <= ?1
                AND NOT EXISTS (SELECT 1 FROM payment_outbox p
                                 WHERE p.aggregate = o.aggregate AND p.position < o.position
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
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let json: String = row.try_get("event")?;
            let event: Event = serde_json::from_str(&json).map_err(corrupt)?;
            claimed.push(PendingEvent {
                position: row.try_get("position")?,
                aggregate: row.try_get("aggregate")?,
                attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or_default(),
                event,
            });
        }
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
        let mut update = QueryBuilder::<Sqlite>::new("UPDATE payment_outbox SET due_at = ");
        update.push_bind(now.saturating_add(lease_ms));
        let positions: Vec<i64> = claimed.iter().map(|p| p.position).collect();
        positions_in(&mut update, &positions);
        update.build().execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(claimed)
    }

    async fn complete(&self, positions: &[i64]) -> Result<(), BoxError> {
        let mut delete = QueryBuilder::<Sqlite>::new("DELETE FROM payment_outbox");
        positions_in(&mut delete, positions);
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
        sqlx::query("UPDATE payment_outbox SET attempts = ?1, due_at = ?2, last_error = ?3 WHERE position = ?4")
            .bind(i64::from(attempts))
            .bind(due)
            .bind(error)
            .bind(position)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn release(&self, positions: &[i64]) -> Result<(), BoxError> {
        let mut update = QueryBuilder::<Sqlite>::new("UPDATE payment_outbox SET due_at = ");
        update.push_bind(now_ms());
        positions_in(&mut update, positions);
        update.build().execute(&self.writer).await?;
        Ok(())
    }
}

#[async_trait]
impl PaymentStore for SqliteStore {
    async fn apply(&self, change: Change) -> Result<ChangeOutcome, StoreError> {
        let now = Utc::now();
        let mut tx = self.writer.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO payment_inbox (source, event_id, received_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        )
        .bind(&change.inbox.source)
        .bind(&change.inbox.id)
        .bind(format_time(&now))
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Ok(ChangeOutcome::Duplicate);
        }
        let mut outcome = ChangeOutcome::Applied;
        match &change.write {
            None => {}
            Some(PaymentWrite::Insert(payment)) => {
                let inserted = sqlx::query(
                    "INSERT INTO payments (payment_id, order_id, amount_cents, currency, status, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .bind(payment.payment_id.to_string())
                .bind(payment.order_id.to_string())
                .bind(payment.amount_cents.get())
                .bind(payment.currency.as_str())
                .bind(payment.status.as_str())
                .bind(format_time(&payment.created_at))
                .bind(format_time(&payment.updated_at))
                .execute(&mut *tx)
                .await;
                match inserted {
                    Err(e) if is_unique_violation(&e) => return Ok(ChangeOutcome::AlreadyCharged),
                    other => other?,
                };
            }
            Some(PaymentWrite::Refund { payment_id, at }) => {
                let updated = sqlx::query(
                    "UPDATE payments SET status = 'refunded', updated_at = ?1 WHERE payment_id = ?2 AND status = 'charged'",
                )
                .bind(format_time(at))
                .bind(payment_id.to_string())
                .execute(&mut *tx)
                .await?;
                if updated.rows_affected() == 0 {
                    outcome = ChangeOutcome::NotCharged;
                }
            }
        }
        let due = now_ms();
        for event in &change.outgoing {
            let json = serde_json::to_string(event).map_err(corrupt)?;
            sqlx::query("INSERT INTO payment_outbox (aggregate, event, attempts, due_at) VALUES (?1, ?2, 0, ?3)")
                .bind(&change.aggregate)
                .bind(json)
                .bind(due)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(outcome)
    }

    async fn payment(&self, id: PaymentId) -> Result<Option<Payment>, StoreError> {
        let row = sqlx::query("SELECT * FROM payments WHERE payment_id = ?1")
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(payment_from_row).transpose()
    }

    async fn payment_of_order(&self, order_id: OrderId) -> Result<Option<Payment>, StoreError> {
        let row = sqlx::query("SELECT * FROM payments WHERE order_id = ?1")
            .bind(order_id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(payment_from_row).transpose()
    }

    async fn outbox_depth(&self) -> Result<u64, StoreError> {
        let depth: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM payment_outbox")
            .fetch_one(&self.reader)
            .await?;
        Ok(u64::try_from(depth).unwrap_or_default())
    }

    async fn count_by_status(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM payments GROUP BY status")
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
}
