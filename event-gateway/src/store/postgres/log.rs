//! The delivery log on PostgreSQL: attempts in id order, with their events.

use super::PostgresStore;
use crate::domain::SubscriptionId;
use crate::store::codec::{from_ms, sub_id};
use crate::store::{AttemptRecord, Cursor, LoggedAttempt, StoreError};

type Row = (
    i64,
    String,
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    i32,
    i64,
    String,
    Option<i32>,
    i32,
    Option<String>,
    Option<String>,
);

impl PostgresStore {
    pub(super) async fn attempt_log(
        &self,
        after: Option<i64>,
        limit: u32,
        subscription: Option<&SubscriptionId>,
    ) -> Result<Vec<LoggedAttempt>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT a.id, a.subscription_id, a.position, e.tx::text::bigint, e.id, e.source, e.type, \
                    a.attempt, a.at, a.outcome, a.status, a.latency_ms, a.error, a.response \
             FROM attempts a LEFT JOIN events e ON e.position = a.position \
             WHERE a.id > $1 AND ($2::text IS NULL OR a.subscription_id = $2) \
             ORDER BY a.id LIMIT $3",
        )
        .bind(after.unwrap_or(0))
        .bind(subscription.map(SubscriptionId::as_str))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(
                |(
                    id,
                    sub,
                    position,
                    order,
                    eid,
                    source,
                    ty,
                    attempt,
                    at,
                    outcome,
                    status,
                    latency,
                    error,
                    response,
                )| {
                    Ok(LoggedAttempt {
                        id,
                        subscription: sub_id(&sub)?,
                        cursor: order.map(|order| Cursor { order, position }),
                        event: eid.zip(source).zip(ty).map(|((i, s), t)| (i, s, t)),
                        record: AttemptRecord {
                            attempt: u32::try_from(attempt).unwrap_or_default(),
                            at: from_ms(at),
                            outcome,
                            status: status.and_then(|s| u16::try_from(s).ok()),
                            latency_ms: u32::try_from(latency).unwrap_or_default(),
                            error,
                            response,
                        },
                    })
                },
            )
            .collect()
    }
}
