//! `GET /deliveries`: the delivery log, every attempt in the order it was recorded (status,
//! latency, response excerpt), with the event it was for; the same entries the SSE stream
//! carries with `include=deliveries`.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AppState, limit};
use crate::domain::SubscriptionId;
use crate::error::ApiError;
use crate::store::LoggedAttempt;

/// The delivery log route.
pub fn router() -> Router<AppState> {
    Router::new().route("/deliveries", get(list_deliveries))
}

/// One attempt in its wire form.
pub(crate) fn attempt_json(a: &LoggedAttempt) -> Value {
    let mut wire = super::deadletters::history_entry(&a.record);
    wire["id"] = Value::from(a.id);
    wire["subscription"] = Value::from(a.subscription.as_str());
    wire["cursor"] = a.cursor.map_or(Value::Null, |c| Value::from(c.to_string()));
    wire["event"] = a.event.as_ref().map_or(
        Value::Null,
        |(id, source, ty)| json!({"id": id, "source": source, "type": ty}),
    );
    wire
}

#[derive(Debug, Deserialize)]
struct LogQuery {
    after: Option<i64>,
    limit: Option<u32>,
    subscription: Option<String>,
}

/// `{"deliveries": [...], "next": ID}`, oldest first.
async fn list_deliveries(
    State(state): State<AppState>,
    Query(query): Query<LogQuery>,
) -> Result<Json<Value>, ApiError> {
    let subscription = query
        .subscription
        .as_deref()
        .map(|s| {
            SubscriptionId::parse(s).map_err(|detail| ApiError::BadRequest {
                detail,
                parameter: "subscription",
            })
        })
        .transpose()?;
    let log = state
        .store
        .read_attempts(query.after, limit(query.limit), subscription.as_ref())
        .await?;
    let next = log.last().map_or(query.after, |a| Some(a.id));
    Ok(Json(json!({
        "deliveries": log.iter().map(attempt_json).collect::<Vec<_>>(),
        "next": next,
    })))
}
