//! The PostgreSQL backend, for running several replicas on one database: the inbox's primary
//! key makes dedupe hold across replicas, and the relay claims outbox rows with
//! `FOR UPDATE SKIP LOCKED`, so each event is sent by one replica at a time; a claim is a lease
//! (its due time pushed forward), so the rows of a replica that dies become due again.

use super::{Change, ChangeOutcome, PaymentStore, PaymentWrite, StoreError};
use crate::domain::payment::Payment;
use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use shared_events::Event;
use shared_events::catalog::values::{OrderId, PaymentId, PaymentStatus};
use shared_events::service::relay::{BoxError, Outbox, PendingEvent};
use sqlx::postgres::{PgPoolOptions, PgRow};
use sqlx::{PgPool, Postgres, QueryBuilder, Row};
use std::str::FromStr;
use std::time::Duration;

/// payment-service on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
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

fn payment_from_row(row: &PgRow) -> Result<Payment, StoreError> {
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

fn positions_in(sql: &mut QueryBuilder<'_, Postgres>, positions: &[i64]) {
    sql.push(" WHERE position IN (");
    let mut list = sql.separated(", ");
    for position in positions {
        list.push_bind(*position);
    }
    sql.push(")");
}

#[async_trait]
impl Outbox for PostgresStore {
    async fn claim(&self, limit: u32, lease: Duration) -> Result<Vec<PendingEvent>, BoxError> {
        let now = now_ms();
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
        // Only the head of each aggregate is claimable: while a replica holds (locks or leases)
        // an aggregate's first event, no other replica can take the second one.
        let rows = sqlx::query(
            "WITH due AS (
                 SELECT o.position FROM payment_outbox o
                  WHERE o.due_at <= $1
                    AND o.position = (SELECT MIN(p.position) FROM payment_outbox p WHERE p.aggregate = o.aggregate)
                  ORDER BY o.position
                  LIMIT $2
                  FOR UPDATE SKIP LOCKED)
             UPDATE payment_outbox SET due_at = $3
               FROM due WHERE payment_outbox.position = due.position
             RETURNING payment_outbox.position, payment_outbox.aggregate, payment_outbox.event, payment_outbox.attempts",
        )
        .bind(now)
        .bind(i64::from(limit))
        .bind(now.saturating_add(lease_ms))
        .fetch_all(&self.pool)
        .await?;
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
        claimed.sort_by_key(|p| p.position);
        Ok(claimed)
    }

    async fn complete(&self, positions: &[i64]) -> Result<(), BoxError> {
        let mut delete = QueryBuilder::<Postgres>::new("DELETE FROM payment_outbox");
        positions_in(&mut delete, positions);
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
        sqlx::query("UPDATE payment_outbox SET attempts = $1, due_at = $2, last_error = $3 WHERE position = $4")
            .bind(i64::from(attempts))
            .bind(due)
            .bind(error)
            .bind(position)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn release(&self, positions: &[i64]) -> Result<(), BoxError> {
        let mut update = QueryBuilder::<Postgres>::new("UPDATE payment_outbox SET due_at = ");
        update.push_bind(now_ms());
        positions_in(&mut update, positions);
        update.build().execute(&self.pool).await?;
        Ok(())
    }
}

#[async_trait]
impl PaymentStore for PostgresStore {
    async fn apply(&self, change: Change) -> Result<ChangeOutcome, StoreError> {
        let now = Utc::now();
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO payment_inbox (source, event_id, received_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
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
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
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
                    "UPDATE payments SET status = 'refunded', updated_at = $1 WHERE payment_id = $2 AND status = 'charged'",
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
            sqlx::query("INSERT INTO payment_outbox (aggregate, event, attempts, due_at) VALUES ($1, $2, 0, $3)")
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
        let row = sqlx::query("SELECT * FROM payments WHERE payment_id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(payment_from_row).transpose()
    }

    async fn payment_of_order(&self, order_id: OrderId) -> Result<Option<Payment>, StoreError> {
        let row = sqlx::query("SELECT * FROM payments WHERE order_id = $1")
            .bind(order_id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(payment_from_row).transpose()
    }

    async fn outbox_depth(&self) -> Result<u64, StoreError> {
        let depth: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM payment_outbox")
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(depth).unwrap_or_default())
    }

    async fn count_by_status(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM payments GROUP BY status")
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
}
