//! `/subscriptions`: create, list, read, replace and delete subscriptions.

use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use http::StatusCode;
use http::header::LOCATION;
use serde_json::{Value, json};

use super::AppState;
use crate::domain::{FieldError, Subscription, SubscriptionId};
use crate::error::ApiError;

/// The subscription routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/subscriptions",
            get(list_subscriptions).post(create_subscription),
        )
        .route(
            "/subscriptions/{id}",
            get(get_subscription)
                .put(replace_subscription)
                .delete(delete_subscription),
        )
}

fn parse_id(text: &str) -> Result<SubscriptionId, ApiError> {
    SubscriptionId::parse(text)
        .map_err(|detail| ApiError::NotFound(format!("no subscription `{text}`: {detail}")))
}

/// Parses a body and checks its sinks against the SSRF policy.
fn parse_body(
    state: &AppState,
    body: &Value,
    id: Option<SubscriptionId>,
) -> Result<Subscription, ApiError> {
    let invalid = |error: FieldError| ApiError::InvalidField {
        what: "subscription",
        error,
    };
    let sub = Subscription::from_json(body, id, &state.delivery_defaults).map_err(invalid)?;
    state
        .sink_policy
        .check_url(&sub.sink)
        .map_err(|e| invalid(FieldError::new("sink", e.to_string())))?;
    if let Some(dls) = &sub.delivery.dead_letter_sink {
        state
            .sink_policy
            .check_url(dls)
            .map_err(|e| invalid(FieldError::new("delivery.deadLetterSink", e.to_string())))?;
    }
    Ok(sub)
}

/// Reads the body as JSON, naming the problem when it is not.
fn json_body(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::InvalidField {
        what: "subscription",
        error: FieldError::new("", format!("the body is not JSON: {e}")),
    })
}

async fn refresh(state: &AppState) {
    if let Err(error) = state.cache.reload(state.store.as_ref()).await {
        tracing::warn!(error = ?error, "could not reload subscriptions after a change");
    }
}

/// `POST /subscriptions` → 201 with `Location`.
async fn create_subscription(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let sub = parse_body(&state, &json_body(&body)?, None)?;
    if !state.store.insert_subscription(&sub, Utc::now()).await? {
        return Err(ApiError::Conflict(format!(
            "subscription `{}` already exists",
            sub.id
        )));
    }
    refresh(&state).await;
    let location = format!("/subscriptions/{}", sub.id);
    Ok((
        StatusCode::CREATED,
        [(LOCATION, location)],
        Json(sub.to_json()),
    ))
}

/// `GET /subscriptions`.
async fn list_subscriptions(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let subs = state.store.subscriptions().await?;
    Ok(Json(
        json!({ "subscriptions": subs.iter().map(Subscription::to_json).collect::<Vec<_>>() }),
    ))
}

/// `GET /subscriptions/{id}`.
async fn get_subscription(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(&id)?;
    let sub = state
        .store
        .subscription(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no subscription `{id}`")))?;
    Ok(Json(sub.to_json()))
}

/// `PUT /subscriptions/{id}`: replaces an existing subscription.
async fn replace_subscription(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(&id)?;
    let sub = parse_body(&state, &json_body(&body)?, Some(id.clone()))?;
    if !state.store.update_subscription(&sub, Utc::now()).await? {
        return Err(ApiError::NotFound(format!("no subscription `{id}`")));
    }
    refresh(&state).await;
    Ok(Json(sub.to_json()))
}

/// `DELETE /subscriptions/{id}` → 204; its pending deliveries go with it.
async fn delete_subscription(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    if !state.store.delete_subscription(&id).await? {
        return Err(ApiError::NotFound(format!("no subscription `{id}`")));
    }
    refresh(&state).await;
    Ok(StatusCode::NO_CONTENT)
}
