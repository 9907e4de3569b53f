//! `GET|POST /handshake/{id}?token=…`: the `WebHook-Request-Callback` of the CloudEvents
//! webhook handshake. A sink that grants permission asynchronously calls it (a browser will
//! do); a `WebHook-Allowed-Rate` header (or `?rate=`) sets the granted rate. The token is the
//! only credential, compared in constant time, so this route needs no bearer token.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use crate::domain::signing::tokens_match;
use crate::domain::{Status, SubscriptionId, SubscriptionState};
use crate::error::ApiError;

/// The callback route.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/handshake/{id}",
        get(grant_handshake).post(grant_handshake),
    )
}

/// The callback's query.
#[derive(Debug, Deserialize)]
struct Params {
    token: Option<String>,
    rate: Option<String>,
}

/// Grants a subscription waiting for validation.
async fn grant_handshake(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let unknown = || ApiError::NotFound("no handshake waits under this URL".to_owned());
    let id = SubscriptionId::parse(&id).map_err(|_| unknown())?;
    let sub = state.store.subscription(&id).await?.ok_or_else(unknown)?;
    let given = params.token.unwrap_or_default();
    let expected = sub.state.validation_token.clone().unwrap_or_default();
    if expected.is_empty() || !tokens_match(given.as_bytes(), expected.as_bytes()) {
        return Err(unknown());
    }
    if sub.state.status != Status::PendingValidation {
        return Ok(Json(json!({ "status": sub.state.status.as_str() })));
    }
    let rate = headers
        .get("webhook-allowed-rate")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(params.rate);
    let granted =
        match rate.as_deref().map(str::trim) {
            None | Some("*") => None,
            Some(n) => Some(n.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
                ApiError::BadRequest {
                    detail: "the rate is `*` or a positive number of requests per minute"
                        .to_owned(),
                    parameter: "rate",
                }
            })?),
        };
    let granted_state = SubscriptionState {
        granted_per_minute: granted,
        validation_token: sub.state.validation_token.clone(),
        ..SubscriptionState::new(Status::Active, None, Utc::now())
    };
    state.store.set_state(&id, &granted_state).await?;
    if let Err(error) = state.cache.reload(state.store.as_ref()).await {
        tracing::warn!(error = ?error, "could not reload subscriptions after a handshake");
    }
    state.commits.deliveries.notify_one();
    tracing::info!(subscription = %id, "handshake granted by callback");
    Ok(Json(json!({ "status": "active" })))
}
