//! `GET /healthz`: the process is up and serving; it names the replica that answered (the owner
//! id its delivery leases carry), which tells replicas behind a load balancer apart.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::AppState;

/// `GET /healthz`.
pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(check_health))
}

async fn check_health(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "status": "ok", "replica": state.replica.as_str() }))
}
