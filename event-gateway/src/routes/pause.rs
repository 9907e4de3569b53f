//! `POST /subscriptions/{id}/pause` and `/resume`: an operator holds a push subscription's
//! deliveries (matching events are still kept for it, as its backlog) and lets them flow again.
//!
//! A pause is the subscription's stored status (`paused`), so it holds on every replica and
//! across restarts, and a PUT keeps it. Resuming starts the subscription afresh, as a PUT does:
//! active again (or validated first, when it asks for the handshake), its failure streak
//! forgotten. A pull subscription has nothing to pause: its consumers stop receiving.

use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use serde_json::Value;

use super::AppState;
use crate::domain::{DeliveryMode, Status, Subscription, SubscriptionId, SubscriptionState};
use crate::error::ApiError;
use crate::handshake;

/// The pause and resume routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/subscriptions/{id}/pause", post(pause_subscription))
        .route("/subscriptions/{id}/resume", post(resume_subscription))
}

async fn existing(state: &AppState, id: &str) -> Result<Subscription, ApiError> {
    let missing = || ApiError::NotFound(format!("no subscription `{id}`"));
    let id = SubscriptionId::parse(id).map_err(|_| missing())?;
    state.store.subscription(&id).await?.ok_or_else(missing)
}

async fn answer(state: &AppState, sub: &Subscription) -> Result<Value, ApiError> {
    if let Err(error) = state.cache.reload(state.store.as_ref()).await {
        tracing::warn!(error = ?error, "could not reload subscriptions after a change");
    }
    let fresh = state
        .store
        .subscription(&sub.id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no subscription `{}`", sub.id)))?;
    Ok(fresh.to_json())
}

/// Holds a push subscription's deliveries; 409 for a pull subscription. Pausing a paused
/// subscription changes nothing.
pub(crate) async fn pause(state: &AppState, id: &str) -> Result<Value, ApiError> {
    let sub = existing(state, id).await?;
    if sub.delivery.mode == DeliveryMode::Pull {
        return Err(ApiError::Conflict(format!(
            "`{id}` is a pull subscription: its consumers pause it by not receiving"
        )));
    }
    if sub.state.status != Status::Paused {
        let paused = SubscriptionState::new(
            Status::Paused,
            Some("paused by an operator".to_owned()),
            Utc::now(),
        );
        if !state.store.set_state(&sub.id, &paused).await? {
            return Err(ApiError::NotFound(format!("no subscription `{id}`")));
        }
    }
    answer(state, &sub).await
}

/// Lets a paused subscription's deliveries flow again (validating it first when it asks for the
/// handshake); 409 when it is not paused.
pub(crate) async fn resume(state: &AppState, id: &str) -> Result<Value, ApiError> {
    let sub = existing(state, id).await?;
    if sub.state.status != Status::Paused {
        return Err(ApiError::Conflict(format!(
            "subscription `{id}` is {}, not paused",
            sub.state.status.as_str()
        )));
    }
    let status = if sub.delivery.handshake {
        Status::PendingValidation
    } else {
        Status::Active
    };
    let fresh = SubscriptionState::new(status, None, Utc::now());
    if !state.store.set_state(&sub.id, &fresh).await? {
        return Err(ApiError::NotFound(format!("no subscription `{id}`")));
    }
    state.flow.reset(&sub.id);
    if sub.delivery.handshake {
        let pending = Subscription {
            state: fresh,
            ..sub.clone()
        };
        handshake::validate(
            state.store.as_ref(),
            &state.sender,
            &state.handshake,
            &pending,
        )
        .await?;
    }
    let answered = answer(state, &sub).await;
    state.commits.deliveries.notify_one();
    answered
}

async fn pause_subscription(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    pause(&state, &id).await.map(Json)
}

async fn resume_subscription(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    resume(&state, &id).await.map(Json)
}
