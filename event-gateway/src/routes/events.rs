//! `POST /events`: binary, structured or batched CloudEvents, answered 202 only once committed.

use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use http::StatusCode;
use serde_json::json;
use shared_events::Event;
use shared_events::http::Incoming;

use super::AppState;
use crate::error::ApiError;
use crate::ingest::AcceptError;
use crate::store::Ingested;

/// `POST /events`.
pub fn router() -> Router<AppState> {
    Router::new().route("/events", post(ingest_events))
}

/// Stores the events (all or nothing) and answers 202 with how many were new.
#[tracing::instrument(skip_all, fields(events))]
async fn ingest_events(
    State(state): State<AppState>,
    incoming: Incoming,
) -> Result<impl IntoResponse, ApiError> {
    let batch = matches!(incoming, Incoming::Batch(_));
    let events = incoming.into_events();
    tracing::Span::current().record("events", events.len());
    let outcomes = store_events(&state, &events, batch).await?;
    let accepted = outcomes
        .iter()
        .filter(|o| matches!(o, Ingested::Accepted(_)))
        .count();
    let body = json!({ "accepted": accepted, "duplicates": outcomes.len() - accepted });
    Ok((StatusCode::ACCEPTED, Json(body)))
}

/// Stores the events through the one ingest path (all or nothing).
///
/// # Errors
/// [`ApiError::InvalidEvent`] naming the event (by `index` in a batch) whose data is invalid;
/// storage errors.
pub(crate) async fn store_events(
    state: &AppState,
    events: &[Event],
    batch: bool,
) -> Result<Vec<Ingested>, ApiError> {
    state
        .ingest
        .accept(events)
        .await
        .map_err(|error| match error {
            AcceptError::Invalid { index, problem } if batch => {
                ApiError::InvalidEvent(Box::new(problem.with("index", index)))
            }
            AcceptError::Invalid { problem, .. } => ApiError::InvalidEvent(problem),
            AcceptError::Ingest(error) => error.into(),
        })
}
