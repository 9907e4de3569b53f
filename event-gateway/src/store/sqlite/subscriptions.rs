//! Subscriptions: the client's spec (JSON, parsed by the same code as request bodies), its
//! secrets and the gateway's state of it, each in its own columns.

use chrono::{DateTime, Utc};

use super::SqliteStore;
use crate::domain::{SigningKey, Subscription, SubscriptionId, SubscriptionState};
use crate::store::StoreError;
use crate::store::codec::{
    SUBSCRIPTION_COLUMNS as COLUMNS, SubscriptionRow as Row, encode_secrets, ms,
    parse_subscription as parse_row,
};

impl SqliteStore {
    pub(super) async fn insert_sub(
        &self,
        sub: &Subscription,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let s = &sub.state;
        let done = sqlx::query(
            "INSERT INTO subscriptions (id, spec, created_at, updated_at, secrets, status, status_reason, \
             status_since, failing_since, granted_per_minute, validation_token) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        )
        .bind(sub.id.as_str())
        .bind(sub.spec_json().to_string())
        .bind(ms(now))
        .bind(ms(now))
        .bind(encode_secrets(&sub.secrets))
        .bind(s.status.as_str())
        .bind(s.reason.as_deref())
        .bind(s.since.map(ms))
        .bind(s.failing_since.map(ms))
        .bind(s.granted_per_minute.map(i64::from))
        .bind(s.validation_token.as_deref())
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    pub(super) async fn update_sub(
        &self,
        sub: &Subscription,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let s = &sub.state;
        let done = sqlx::query(
            "UPDATE subscriptions SET spec = ?, updated_at = ?, secrets = ?, status = ?, status_reason = ?, \
             status_since = ?, failing_since = ?, granted_per_minute = ?, validation_token = ? WHERE id = ?",
        )
        .bind(sub.spec_json().to_string())
        .bind(ms(now))
        .bind(encode_secrets(&sub.secrets))
        .bind(s.status.as_str())
        .bind(s.reason.as_deref())
        .bind(s.since.map(ms))
        .bind(s.failing_since.map(ms))
        .bind(s.granted_per_minute.map(i64::from))
        .bind(s.validation_token.as_deref())
        .bind(sub.id.as_str())
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Static subscriptions: the file owns the spec and secrets; an existing row keeps its state.
    pub(super) async fn upsert_sub(
        &self,
        sub: &Subscription,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if self.insert_sub(sub, now).await? {
            return Ok(());
        }
        sqlx::query("UPDATE subscriptions SET spec = ?, secrets = ?, updated_at = ? WHERE id = ?")
            .bind(sub.spec_json().to_string())
            .bind(encode_secrets(&sub.secrets))
            .bind(ms(now))
            .bind(sub.id.as_str())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub(super) async fn get_sub(
        &self,
        id: &SubscriptionId,
    ) -> Result<Option<Subscription>, StoreError> {
        let row: Option<Row> = sqlx::query_as(&format!("{COLUMNS} WHERE id = ?"))
            .bind(id.as_str())
            .fetch_optional(&self.reader)
            .await?;
        row.map(parse_row).transpose()
    }

    pub(super) async fn list_subs(&self) -> Result<Vec<Subscription>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(&format!("{COLUMNS} ORDER BY id"))
            .fetch_all(&self.reader)
            .await?;
        rows.into_iter().map(parse_row).collect()
    }

    pub(super) async fn delete_sub(&self, id: &SubscriptionId) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query("DELETE FROM subscriptions WHERE id = ?")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM deliveries WHERE subscription_id = ?")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    pub(super) async fn write_secrets(
        &self,
        id: &SubscriptionId,
        secrets: &[SigningKey],
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE subscriptions SET secrets = ? WHERE id = ?")
            .bind(encode_secrets(secrets))
            .bind(id.as_str())
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub(super) async fn write_state(
        &self,
        id: &SubscriptionId,
        s: &SubscriptionState,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE subscriptions SET status = ?, status_reason = ?, status_since = ?, failing_since = ?, \
             granted_per_minute = ?, validation_token = ? WHERE id = ?",
        )
        .bind(s.status.as_str())
        .bind(s.reason.as_deref())
        .bind(s.since.map(ms))
        .bind(s.failing_since.map(ms))
        .bind(s.granted_per_minute.map(i64::from))
        .bind(s.validation_token.as_deref())
        .bind(id.as_str())
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    pub(super) async fn write_failing_since(
        &self,
        id: &SubscriptionId,
        since: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE subscriptions SET failing_since = ? WHERE id = ?")
            .bind(since.map(ms))
            .bind(id.as_str())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub(super) async fn disable_sub(
        &self,
        id: &SubscriptionId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "UPDATE subscriptions SET status = 'disabled', status_reason = ?, status_since = ? WHERE id = ?",
        )
        .bind(reason)
        .bind(ms(now))
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO attempts (position, subscription_id, attempt, at, outcome, status, latency_ms, error, response) \
             SELECT position, subscription_id, attempt, ?, 'dead_lettered', NULL, 0, ?, NULL \
             FROM deliveries WHERE subscription_id = ?",
        )
        .bind(ms(now))
        .bind(format!("parked: the subscription was disabled ({reason})"))
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        let parked = sqlx::query(
            "INSERT INTO dead_letters (position, subscription_id, event_type, reason, last_status, attempts, dead_lettered_at) \
             SELECT d.position, d.subscription_id, e.type, 'subscription_disabled', NULL, d.attempt, ? \
             FROM deliveries d JOIN events e ON e.position = d.position WHERE d.subscription_id = ? ORDER BY d.id",
        )
        .bind(ms(now))
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM deliveries WHERE subscription_id = ?")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(parked.rows_affected())
    }
}
