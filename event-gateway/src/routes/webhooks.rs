//! `POST /webhooks/{source}`: a third party's webhook, verified against its source's secret and
//! ingested as a CloudEvent exactly like `POST /events`. A bad or missing signature or a stale
//! timestamp is 401 and stores nothing; a replay (the same webhook id again) is 200 and stores
//! nothing new; a new one is 202.

use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use bytes::Bytes;
use chrono::Utc;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::AppState;
use super::events::store_events;
use crate::error::ApiError;
use crate::store::Ingested;

/// The inbound webhook route.
pub fn router() -> Router<AppState> {
    Router::new().route("/webhooks/{source}", post(receive_webhook))
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json")
}

/// Verifies, maps and ingests one webhook.
#[tracing::instrument(skip_all, fields(source = %name))]
async fn receive_webhook(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let source = state
        .webhooks
        .sources
        .get(&name)
        .ok_or_else(|| ApiError::NotFound(format!("no webhook source `{name}`")))?;
    let verified = source
        .verify(&headers, &body, Utc::now(), state.webhooks.tolerance)
        .map_err(|rejection| {
            metrics::counter!("gateway_webhooks_rejected_total", "source" => name.clone())
                .increment(1);
            ApiError::Unauthorized(format!("webhook not accepted: {rejection}"))
        })?;
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let payload: Option<Value> = if is_json(&content_type) {
        Some(
            serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest {
                detail: format!("the payload is not JSON: {e}"),
                parameter: "body",
            })?,
        )
    } else {
        None
    };
    let event_type = source
        .event_type(&headers, payload.as_ref())
        .ok_or_else(|| ApiError::BadRequest {
            detail: "the payload does not name its type where this source's type mapping looks"
                .to_owned(),
            parameter: "type",
        })?;
    let event = source
        .to_event(&verified, event_type, &content_type, &body, payload)
        .map_err(|detail| ApiError::BadRequest {
            detail: format!("the webhook cannot be a CloudEvent: {detail}"),
            parameter: "body",
        })?;
    let outcomes = store_events(&state, &[event], false).await?;
    let duplicate = matches!(outcomes.first(), Some(Ingested::Duplicate));
    let status = if duplicate {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((
        status,
        Json(json!({ "id": verified.id, "duplicate": duplicate })),
    ))
}
