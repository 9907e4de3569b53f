//! The delivery log on PostgreSQL: attempts in id order, with their events (the row and its
//! mapping are shared with SQLite, in the codec).

use super::PostgresStore;
use crate::domain::SubscriptionId;
use crate::store::codec::{LOG_COLUMNS, LogRow, logged_attempt};
use crate::store::{LoggedAttempt, StoreError};

impl PostgresStore {
    pub(super) async fn attempt_log(
        &self,
        after: Option<i64>,
        limit: u32,
        subscription: Option<&SubscriptionId>,
    ) -> Result<Vec<LoggedAttempt>, StoreError> {
        let rows: Vec<LogRow> = sqlx::query_as(&format!(
            "SELECT {LOG_COLUMNS}, e.tx::text::bigint FROM attempts a \
             LEFT JOIN events e ON e.position = a.position \
             WHERE a.id > $1 AND ($2::text IS NULL OR a.subscription_id = $2) \
             ORDER BY a.id LIMIT $3"
        ))
        .bind(after.unwrap_or(0))
        .bind(subscription.map(SubscriptionId::as_str))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(logged_attempt).collect()
    }
}
