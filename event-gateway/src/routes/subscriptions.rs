//! `/subscriptions`: create, list, read, replace and delete subscriptions.
//!
//! Sinks are vetted by the SSRF guard (the host resolved once, every address checked). A
//! `secret` is write-only: `"generate"` answers the new secret once, reads show `secretSet`.
//! A subscription with `delivery.handshake` is validated before this answers (its `status`
//! says how it went). A PUT starts a subscription afresh: re-enabled, validated again, its
//! secrets kept unless the body names `secret` (a paused one stays paused: see [`super::pause`]).

use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use http::StatusCode;
use http::header::LOCATION;
use serde_json::{Value, json};

use super::AppState;
use crate::dispatch::attempt::vet_sink;
use crate::domain::{
    FieldError, SecretInput, StartFrom, Status, Subscription, SubscriptionId, SubscriptionState,
};
use crate::error::ApiError;
use crate::handshake;
use crate::jobs::{ReplaySpec, new_job};
use crate::store::JobId;

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

/// Parses a body and checks its sinks against the SSRF policy; also answers what it says
/// about the secret.
async fn parse_body(
    state: &AppState,
    body: &Value,
    id: Option<SubscriptionId>,
) -> Result<(Subscription, SecretInput), ApiError> {
    let invalid = |error: FieldError| ApiError::InvalidField {
        what: "subscription",
        error,
    };
    let sub = Subscription::from_json(body, id, &state.delivery_defaults).map_err(invalid)?;
    let secret = body
        .as_object()
        .map(SecretInput::from_body)
        .transpose()
        .map_err(invalid)?
        .unwrap_or(SecretInput::Keep);
    if let Some(sink) = &sub.sink {
        vet_sink(&state.sink_policy, sink)
            .await
            .map_err(|e| invalid(FieldError::new("sink", e.to_string())))?;
    }
    if let Some(dls) = &sub.delivery.dead_letter_sink {
        vet_sink(&state.sink_policy, dls)
            .await
            .map_err(|e| invalid(FieldError::new("delivery.deadLetterSink", e.to_string())))?;
    }
    Ok((sub, secret))
}

/// The state a written subscription starts in.
fn fresh_state(sub: &Subscription) -> SubscriptionState {
    let status = if sub.delivery.handshake {
        Status::PendingValidation
    } else {
        Status::Active
    };
    SubscriptionState::new(status, None, Utc::now())
}

/// Runs the handshake of a subscription that asks for one; answers it as stored afterwards.
async fn validate_if_asked(
    state: &AppState,
    mut sub: Subscription,
) -> Result<Subscription, ApiError> {
    if sub.delivery.handshake {
        sub.state =
            handshake::validate(state.store.as_ref(), &state.sender, &state.handshake, &sub)
                .await?;
    }
    Ok(sub)
}

/// The wire form with what only this process knows (a pause after a 429).
fn read_form(state: &AppState, sub: &Subscription) -> Value {
    let mut wire = sub.to_json();
    if let Some(until) = state.flow.paused_until(&sub.id) {
        wire["pausedUntil"] =
            Value::from(until.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    }
    wire
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

/// A subscription created `from` the past first gets the retained events it matches: a
/// catch-up job (see [`crate::jobs`]) that skips what live traffic already scheduled.
async fn start_catch_up(state: &AppState, sub: &Subscription) -> Result<Option<JobId>, ApiError> {
    let since = match sub.from {
        StartFrom::Latest => return Ok(None),
        StartFrom::Earliest => None,
        StartFrom::Time(t) => Some(t),
    };
    let spec = ReplaySpec::catch_up(state.store.as_ref(), since, Utc::now()).await?;
    let job = new_job(sub.id.clone(), &spec, true);
    state.store.insert_job(&job).await?;
    state.jobs.notify_one();
    Ok(Some(job.id))
}

/// `POST /subscriptions` → 201 with `Location`.
async fn create_subscription(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let wire = create(&state, &json_body(&body)?).await?;
    let location = format!("/subscriptions/{}", wire["id"].as_str().unwrap_or_default());
    Ok((StatusCode::CREATED, [(LOCATION, location)], Json(wire)))
}

/// Creates the subscription `body` describes (as `POST /subscriptions` does, also for the
/// console's form) and answers its wire form.
pub(crate) async fn create(state: &AppState, body: &Value) -> Result<Value, ApiError> {
    let (mut sub, secret) = parse_body(state, body, None).await?;
    sub.state = fresh_state(&sub);
    if !state.store.insert_subscription(&sub, Utc::now()).await? {
        return Err(ApiError::Conflict(format!(
            "subscription `{}` already exists",
            sub.id
        )));
    }
    let sub = validate_if_asked(state, sub).await?;
    refresh(state).await;
    let catch_up = start_catch_up(state, &sub).await?;
    let mut wire = read_form(state, &sub);
    if let Some(job) = catch_up {
        wire["catchUpJob"] = Value::from(job.as_str());
    }
    if secret == SecretInput::Generate {
        if let Some(key) = sub.secrets.last() {
            wire["secret"] = Value::from(key.secret.expose());
        }
    }
    Ok(wire)
}

/// `GET /subscriptions`.
async fn list_subscriptions(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let subs = state.store.subscriptions().await?;
    Ok(Json(
        json!({ "subscriptions": subs.iter().map(|s| read_form(&state, s)).collect::<Vec<_>>() }),
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
    Ok(Json(read_form(&state, &sub)))
}

/// `PUT /subscriptions/{id}`: replaces an existing subscription.
async fn replace_subscription(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    replace(&state, &id, &json_body(&body)?).await.map(Json)
}

/// Replaces subscription `id` with what `body` describes (as `PUT /subscriptions/{id}` does,
/// also for the console's form) and answers its wire form. A paused subscription stays paused.
pub(crate) async fn replace(state: &AppState, id: &str, body: &Value) -> Result<Value, ApiError> {
    let id = parse_id(id)?;
    let (mut sub, secret) = parse_body(state, body, Some(id.clone())).await?;
    let existing = state
        .store
        .subscription(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no subscription `{id}`")))?;
    if secret == SecretInput::Keep {
        sub.secrets = existing.secrets;
    }
    let paused = existing.state.status == Status::Paused;
    sub.state = if paused {
        existing.state
    } else {
        fresh_state(&sub)
    };
    if !state.store.update_subscription(&sub, Utc::now()).await? {
        return Err(ApiError::NotFound(format!("no subscription `{id}`")));
    }
    state.flow.reset(&id);
    let sub = if paused {
        sub
    } else {
        validate_if_asked(state, sub).await?
    };
    refresh(state).await;
    state.commits.deliveries.notify_one();
    let mut wire = read_form(state, &sub);
    if secret == SecretInput::Generate {
        if let Some(key) = sub.secrets.last() {
            wire["secret"] = Value::from(key.secret.expose());
        }
    }
    Ok(wire)
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
