//! `GET /orders/{id}/events`: an order's event stream, versions counting from 1:
//! `{"events": [{"version": 1, "type": "…", "id": "…", "time": "…", "data": {…}}, …]}`.

use super::orders::parse_order_id;
use crate::error::ApiError;
use crate::startup::AppState;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

/// The stream route.
pub fn router() -> Router<AppState> {
    Router::new().route("/orders/{id}/events", get(list_order_events))
}

async fn list_order_events(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_order_id(&id)?;
    let events = state.orders.store().load_stream(id, None).await?;
    if events.is_empty() {
        return Err(ApiError::not_found(id));
    }
    let events: Vec<Value> = events
        .into_iter()
        .map(|e| {
            json!({
                "version": e.version,
                "type": e.event_type,
                "id": e.id,
                "source": e.source,
                "time": e.time,
                "traceparent": e.traceparent,
                "direction": if e.published { "sent" } else { "received" },
                "data": e.data,
            })
        })
        .collect();
    Ok(Json(json!({ "order_id": id, "events": events })))
}
