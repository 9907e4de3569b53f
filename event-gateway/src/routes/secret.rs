//! `POST /subscriptions/{id}/secret/rotate`: adds a new signing secret (generated, or the
//! `whsec_…` given as `{"secret": …}`) and keeps the old ones signing for a grace period (the
//! gateway's setting, or `{"gracePeriod": "PT1H"}`), so a subscriber can switch without missing
//! a delivery. The new secret is answered once; reads never show it.

use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use bytes::Bytes;
use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

use super::AppState;
use crate::domain::signing::rotate;
use crate::domain::{FieldError, IsoDuration, SubscriptionId, WebhookSecret};
use crate::error::ApiError;

/// The secret routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/subscriptions/{id}/secret/rotate", post(rotate_secret))
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::InvalidField {
        what: "rotation",
        error: FieldError::new(field, message),
    }
}

/// Rotates a subscription's secret; answers the new one and when the old ones stop signing.
async fn rotate_secret(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let id = SubscriptionId::parse(&id)
        .map_err(|detail| ApiError::NotFound(format!("no subscription `{id}`: {detail}")))?;
    let body: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| invalid("", format!("the body is not JSON: {e}")))?
    };
    let object = body
        .as_object()
        .ok_or_else(|| invalid("", "the body must be a JSON object"))?;
    if let Some(name) = object
        .keys()
        .find(|k| !["secret", "gracePeriod"].contains(&k.as_str()))
    {
        return Err(invalid(
            name,
            "is not a known field; known fields: secret, gracePeriod",
        ));
    }
    let secret = match object.get("secret") {
        None | Some(Value::Null) => WebhookSecret::generate(),
        Some(Value::String(text)) => {
            WebhookSecret::parse(text).map_err(|e| invalid("secret", e.to_string()))?
        }
        Some(_) => return Err(invalid("secret", "must be a `whsec_…` string")),
    };
    let grace = match object.get("gracePeriod") {
        None | Some(Value::Null) => state.secret_grace,
        Some(Value::String(text)) => IsoDuration::parse(text)
            .map_err(|e| invalid("gracePeriod", e.to_string()))?
            .get(),
        Some(_) => return Err(invalid("gracePeriod", "must be an ISO 8601 duration")),
    };
    let sub = state
        .store
        .subscription(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no subscription `{id}`")))?;
    let now = Utc::now();
    let grace = chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::MAX);
    let keys = rotate(&sub.secrets, secret.clone(), now, grace);
    if !state.store.set_secrets(&id, &keys).await? {
        return Err(ApiError::NotFound(format!("no subscription `{id}`")));
    }
    if let Err(error) = state.cache.reload(state.store.as_ref()).await {
        tracing::warn!(error = ?error, "could not reload subscriptions after a rotation");
    }
    let previous: Vec<String> = keys
        .iter()
        .filter_map(|k| k.expires_at)
        .map(|at| at.to_rfc3339_opts(SecondsFormat::Secs, true))
        .collect();
    tracing::info!(subscription = %id, "signing secret rotated");
    Ok(Json(json!({
        "secret": secret.expose(),
        "previousSecretsExpireAt": previous,
    })))
}
