//! `/deadletters`: deliveries given up on, each with the event untouched and its history;
//! redelivery puts them back in the queue with their original id and attributes.

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{SecondsFormat, Utc};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AppState, limit};
use crate::domain::SubscriptionId;
use crate::error::ApiError;
use crate::store::{AttemptRecord, DeadLetter, DeadLetterId, DeadLetterQuery, Redeliver};

/// The dead-letter routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/deadletters", get(list_dead_letters))
        .route("/deadletters/redeliver", post(redeliver_subscription))
        .route(
            "/deadletters/{id}",
            get(get_dead_letter).delete(delete_dead_letter),
        )
        .route("/deadletters/{id}/redeliver", post(redeliver_dead_letter))
}

/// `GET /deadletters` parameters.
#[derive(Debug, Deserialize)]
struct ListParams {
    subscription: Option<String>,
    #[serde(rename = "type")]
    event_type: Option<String>,
    limit: Option<u32>,
    after: Option<String>,
}

fn parse_id(text: &str) -> Result<DeadLetterId, ApiError> {
    text.parse()
        .map_err(|_| ApiError::NotFound(format!("no dead letter `{text}`")))
}

fn parse_subscription(text: &str) -> Result<SubscriptionId, ApiError> {
    SubscriptionId::parse(text).map_err(|detail| ApiError::BadRequest {
        detail,
        parameter: "subscription",
    })
}

fn summary(d: &DeadLetter) -> Value {
    let event: Value = serde_json::from_slice(&d.event).unwrap_or(Value::Null);
    json!({
        "id": d.id.to_string(),
        "subscription": d.subscription.as_str(),
        "position": d.position.to_string(),
        "eventId": event.get("id"),
        "eventSource": event.get("source"),
        "eventType": d.event_type,
        "reason": d.reason,
        "lastStatus": d.last_status,
        "attempts": d.attempts,
        "deadLetteredAt": d.dead_lettered_at.to_rfc3339_opts(SecondsFormat::Millis, true),
    })
}

pub(crate) fn history_entry(r: &AttemptRecord) -> Value {
    json!({
        "attempt": r.attempt,
        "time": r.at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "outcome": r.outcome,
        "status": r.status,
        "latencyMs": r.latency_ms,
        "error": r.error,
        "response": r.response,
    })
}

/// `GET /deadletters?subscription=&type=&limit=&after=`, oldest first; `next` pages on.
async fn list_dead_letters(
    State(state): State<AppState>,
    Query(p): Query<ListParams>,
) -> Result<Json<Value>, ApiError> {
    let query = DeadLetterQuery {
        subscription: p
            .subscription
            .as_deref()
            .map(parse_subscription)
            .transpose()?,
        event_type: p.event_type,
        after: p
            .after
            .map(|a| {
                a.parse().map_err(|_| ApiError::BadRequest {
                    detail: format!("`{a}` is not a dead-letter id"),
                    parameter: "after",
                })
            })
            .transpose()?,
        limit: limit(p.limit),
    };
    let found = state.store.dead_letters(&query).await?;
    let next = (found.len() == query.limit as usize)
        .then(|| found.last().map(|d| d.id.to_string()))
        .flatten();
    Ok(Json(
        json!({ "deadLetters": found.iter().map(summary).collect::<Vec<_>>(), "next": next }),
    ))
}

/// `GET /deadletters/{id}`: the event, untouched, and every attempt.
async fn get_dead_letter(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(&id)?;
    let d = state
        .store
        .dead_letter_by_id(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no dead letter `{id}`")))?;
    let history = state.store.history(d.position, &d.subscription).await?;
    let mut body = summary(&d);
    body["event"] = serde_json::from_slice(&d.event).unwrap_or(Value::Null);
    body["history"] = history.iter().map(history_entry).collect();
    Ok(Json(body))
}

/// `DELETE /deadletters/{id}` → 204.
async fn delete_dead_letter(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    if state.store.delete_dead_letter(id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("no dead letter `{id}`")))
    }
}

/// `POST /deadletters/{id}/redeliver` → 202: the delivery is due again, attempts counted afresh.
async fn redeliver_dead_letter(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let id = parse_id(&id)?;
    redeliver_one(&state, id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "redelivered": [id.to_string()] })),
    ))
}

/// Makes dead letter `id` a due delivery again (as `POST /deadletters/{id}/redeliver` does,
/// also for the console).
///
/// # Errors
/// 404 when there is no such dead letter, 409 when its subscription is gone.
pub(crate) async fn redeliver_one(state: &AppState, id: DeadLetterId) -> Result<(), ApiError> {
    let d = state
        .store
        .dead_letter_by_id(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no dead letter `{id}`")))?;
    if state.cache.snapshot().get(&d.subscription).is_none() {
        return Err(ApiError::Conflict(format!(
            "subscription `{}` no longer exists",
            d.subscription
        )));
    }
    let done = state
        .store
        .redeliver(&Redeliver::One(id), Utc::now())
        .await?;
    if done.is_empty() {
        return Err(ApiError::NotFound(format!("no dead letter `{id}`")));
    }
    state.commits.deliveries.notify_one();
    Ok(())
}

/// `POST /deadletters/redeliver?subscription=` parameters.
#[derive(Debug, Deserialize)]
struct BulkParams {
    subscription: Option<String>,
}

/// `POST /deadletters/redeliver?subscription=` → 202: every dead letter of the subscription.
async fn redeliver_subscription(
    State(state): State<AppState>,
    Query(p): Query<BulkParams>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let text = p.subscription.ok_or_else(|| ApiError::BadRequest {
        detail: "name the subscription whose dead letters to redeliver: ?subscription=ID"
            .to_owned(),
        parameter: "subscription",
    })?;
    let sub = parse_subscription(&text)?;
    if state.cache.snapshot().get(&sub).is_none() {
        return Err(ApiError::NotFound(format!("no subscription `{sub}`")));
    }
    let done = state
        .store
        .redeliver(&Redeliver::Subscription(sub), Utc::now())
        .await?;
    state.commits.deliveries.notify_one();
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "redelivered": done.len() })),
    ))
}
