//! `POST /events`: binary, structured or batched CloudEvents, answered 202 only once committed.

use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use bytes::Bytes;
use cloudevents::event::ExtensionValue;
use http::StatusCode;
use serde_json::json;
use shared_events::catalog::{self, DecodeError};
use shared_events::http::Incoming;
use shared_events::{AttributesReader, Event, Problem, format, schema};

use super::AppState;
use crate::error::ApiError;
use crate::store::{Ingested, NewEvent};

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

/// Checks catalog types' data, matches subscriptions and stores the events (all or nothing):
/// the one ingest path, for `POST /events` and inbound webhooks alike.
///
/// # Errors
/// [`ApiError::InvalidEvent`] naming the event (by `index` in a batch) whose data is invalid;
/// storage errors.
pub(crate) async fn store_events(
    state: &AppState,
    events: &[Event],
    batch: bool,
) -> Result<Vec<Ingested>, ApiError> {
    let snapshot = state.cache.snapshot();
    let mut new = Vec::with_capacity(events.len());
    for (index, event) in events.iter().enumerate() {
        check_data(event).map_err(|p| {
            ApiError::InvalidEvent(if batch {
                Box::new(p.with("index", index))
            } else {
                p
            })
        })?;
        new.push(NewEvent {
            source: event.source().to_string(),
            id: event.id().to_owned(),
            event_type: event.ty().to_owned(),
            subject: event.subject().map(str::to_owned),
            time: event.time().copied(),
            partition_key: match event.extension("partitionkey") {
                Some(ExtensionValue::String(key)) => Some(key.clone()),
                Some(other) => Some(other.to_string()),
                None => None,
            },
            body: Bytes::from(format::to_vec(event)),
            subscriptions: snapshot.matching(event),
        });
    }
    if new.is_empty() {
        return Ok(Vec::new());
    }
    Ok(state.ingest.submit(new).await?)
}

/// Data of a catalog type must satisfy its schema; other types pass as they are.
fn check_data(event: &Event) -> Result<(), Box<Problem>> {
    let Some(entry) = catalog::lookup(event.ty()) else {
        return Ok(());
    };
    let value =
        catalog::data_as_json(event, entry.event_type).map_err(|e| Box::new(Problem::from(e)))?;
    schema::validate(entry.event_type, &value)
        .map_err(|v| Box::new(Problem::from(DecodeError::Schema(v))))
}
