//! `GET /healthz`: the process is up and its database answers.

use crate::startup::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

/// The health route.
pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(check_health))
}

async fn check_health(State(state): State<AppState>) -> (http::StatusCode, Json<Value>) {
    match state.orders.store().head_position().await {
        Ok(_) => (http::StatusCode::OK, Json(json!({"status": "ok"}))),
        Err(error) => {
            tracing::error!(%error, "health check failed");
            (
                http::StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "detail": "the database does not answer"})),
            )
        }
    }
}
