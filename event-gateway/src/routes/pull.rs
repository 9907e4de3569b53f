//! Pull delivery, in the wire shapes of Event Grid's: consumers `receive` events of a pull
//! subscription under a lock and settle them by lock token (`acknowledge`, `release`,
//! `reject`, `renew`). Several consumers on one subscription share its events, each event
//! locked by one at a time: a consumer group.
//!
//! A received event is a claimed delivery row: the lock is the claim's lease (the
//! subscription's `timeout`), the lock token is the lease's fencing token, and the delivery
//! count is the attempt number. A lock that runs out makes the row due again, exactly like an
//! attempt whose gateway died; the subscription's `retry` bounds how often an event is handed
//! out (then it is a dead letter, reason `exhausted`), and its `ttl` how old it may get.

use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use http::header::CONTENT_TYPE;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use crate::dispatch::reply::as_delivered;
use crate::domain::{DeliveryMode, IsoDuration, Ordering, Subscription, SubscriptionId};
use crate::error::ApiError;
use crate::store::{
    AttemptRecord, ClaimRequest, Claimed, GiveUp, Lease, LeaseOwner, RetryLater, Settled,
};

/// The pull routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/subscriptions/{id}/receive", post(receive))
        .route("/subscriptions/{id}/acknowledge", post(acknowledge))
        .route("/subscriptions/{id}/release", post(release))
        .route("/subscriptions/{id}/reject", post(reject))
        .route("/subscriptions/{id}/renew", post(renew))
}

/// The most events one `receive` hands out.
const MAX_EVENTS: u32 = 1000;
/// The longest a `receive` waits for events.
const MAX_WAIT: Duration = Duration::from_secs(60);
/// How often a waiting `receive` looks for released or expired events (they are due again
/// without a commit that would wake it).
const POLL: Duration = Duration::from_millis(100);

/// A lock token: the claim's fencing token, the event's position and the subscription it was
/// received from (a token is settled through that subscription only), opaque to consumers.
#[derive(Debug, Clone)]
struct LockToken {
    lease: Lease,
    position: i64,
}

impl LockToken {
    fn encode(claimed: &Claimed) -> String {
        let l = &claimed.lease;
        URL_SAFE_NO_PAD.encode(format!(
            "{}:{}:{}:{}:{}",
            l.delivery,
            l.attempt,
            claimed.position,
            l.owner.as_str(),
            claimed.subscription
        ))
    }

    fn decode(text: &str, subscription: &SubscriptionId) -> Option<Self> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(text).ok()?).ok()?;
        let mut parts = raw.splitn(5, ':');
        let delivery = parts.next()?.parse().ok()?;
        let attempt = parts.next()?.parse().ok()?;
        let position = parts.next()?.parse().ok()?;
        let owner = LeaseOwner::from_token(parts.next()?)?;
        if parts.next()? != subscription.as_str() {
            return None;
        }
        Some(Self {
            lease: Lease {
                delivery,
                attempt,
                owner,
            },
            position,
        })
    }
}

/// The pull subscription `id`.
async fn pull_subscription(state: &AppState, id: &str) -> Result<Subscription, ApiError> {
    let missing = || ApiError::NotFound(format!("no subscription `{id}`"));
    let id = SubscriptionId::parse(id).map_err(|_| missing())?;
    let sub = state.store.subscription(&id).await?.ok_or_else(missing)?;
    if sub.delivery.mode != DeliveryMode::Pull {
        return Err(ApiError::Conflict(format!(
            "subscription `{id}` is a push subscription: events are sent to its sink"
        )));
    }
    Ok(sub)
}

fn record(attempt: u32, outcome: &str, error: Option<String>) -> AttemptRecord {
    AttemptRecord {
        attempt,
        at: Utc::now(),
        outcome: outcome.to_owned(),
        status: None,
        latency_ms: 0,
        error,
        response: None,
    }
}

fn settled(sub: &Subscription, token: &LockToken, rec: AttemptRecord) -> Settled {
    Settled {
        lease: token.lease.clone(),
        position: token.position,
        subscription: sub.id.clone(),
        record: rec,
    }
}

/// A locked event settled as a dead letter for `reason`, its attempt saying `why`.
fn give_up(sub: &Subscription, token: &LockToken, reason: &str, why: &str) -> GiveUp {
    let rec = record(token.lease.attempt, "dead_lettered", Some(why.to_owned()));
    GiveUp {
        settled: settled(sub, token, rec),
        reason: reason.to_owned(),
    }
}

#[derive(Debug, Deserialize)]
struct ReceiveQuery {
    max: Option<u32>,
    wait: Option<String>,
}

/// Why a handed-out row is not handed out: too often delivered, or too old.
fn give_up_reason(
    sub: &Subscription,
    claimed: &Claimed,
    now: DateTime<Utc>,
) -> Option<&'static str> {
    if claimed.lease.attempt > sub.delivery.retry.saturating_add(1) {
        return Some("exhausted");
    }
    let age = (now - claimed.ingested_at).to_std().unwrap_or_default();
    sub.delivery
        .ttl
        .is_some_and(|ttl| age > ttl)
        .then_some("ttl_expired")
}

/// `POST /subscriptions/{id}/receive?max=N&wait=PT10S`.
async fn receive(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<ReceiveQuery>,
) -> Result<Response, ApiError> {
    let sub = pull_subscription(&state, &id).await?;
    let max = query.max.unwrap_or(1).clamp(1, MAX_EVENTS);
    let wait = match query.wait.as_deref() {
        None => Duration::ZERO,
        Some(text) => IsoDuration::parse(text)
            .map_err(|e| ApiError::BadRequest {
                detail: format!("`wait`: {e}"),
                parameter: "wait",
            })?
            .get()
            .min(MAX_WAIT),
    };
    let deadline = tokio::time::Instant::now() + wait;
    let owner = LeaseOwner::generate();
    let mut commits = state.commits.events.subscribe();
    let mut handed = Vec::new();
    loop {
        commits.mark_unchanged();
        let request = ClaimRequest {
            subscription: sub.id.clone(),
            limit: max - handed.len() as u32,
            lease: sub.delivery.timeout,
            ordered: sub.delivery.ordering == Ordering::PartitionKey,
        };
        let now = Utc::now();
        let claimed = state.store.claim(&[request], &owner, now).await?;
        let mut give_ups = Vec::new();
        let got = claimed.len();
        for c in claimed {
            match give_up_reason(&sub, &c, now) {
                Some(reason) => give_ups.push(GiveUp {
                    settled: Settled {
                        lease: c.lease.clone(),
                        position: c.position,
                        subscription: sub.id.clone(),
                        record: record(
                            c.lease.attempt,
                            "dead_lettered",
                            Some(format!("not handed out: {reason}")),
                        ),
                    },
                    reason: reason.to_owned(),
                }),
                None => handed.push(c),
            }
        }
        if !give_ups.is_empty() {
            state.store.dead_letter(&give_ups, now).await?;
        }
        let full = handed.len() as u32 >= max;
        let more_waiting = got > 0 && !give_ups.is_empty();
        if full || (!handed.is_empty() && !more_waiting) {
            break;
        }
        if more_waiting {
            continue;
        }
        if tokio::time::Instant::now() >= deadline {
            break;
        }
        tokio::select! {
            _ = commits.changed() => {}
            () = tokio::time::sleep(POLL) => {}
            () = tokio::time::sleep_until(deadline) => {}
        }
    }
    let value: Vec<String> = handed
        .iter()
        .map(|c| {
            let body = as_delivered(c);
            format!(
                r#"{{"brokerProperties":{{"lockToken":"{}","deliveryCount":{}}},"event":{}}}"#,
                LockToken::encode(c),
                c.lease.attempt,
                String::from_utf8_lossy(&body)
            )
        })
        .collect();
    Ok((
        [(CONTENT_TYPE, "application/json")],
        format!(r#"{{"value":[{}]}}"#, value.join(",")),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Tokens {
    lock_tokens: Vec<String>,
    #[serde(default)]
    delay: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReleaseQuery {
    delay: Option<String>,
    release_delay_in_seconds: Option<u64>,
}

/// The tokens of a settle request: decoded ones, and the answer entries of those that are not
/// tokens at all.
fn decode_all(
    tokens: &[String],
    subscription: &SubscriptionId,
) -> (Vec<(String, LockToken)>, Vec<Value>) {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for text in tokens {
        match LockToken::decode(text, subscription) {
            Some(token) => good.push((text.clone(), token)),
            None => bad.push(failed(
                text,
                "InvalidLockToken",
                "not a lock token this subscription handed out",
            )),
        }
    }
    (good, bad)
}

fn failed(token: &str, code: &str, message: &str) -> Value {
    json!({"lockToken": token, "error": {"code": code, "message": message}})
}

const LOST: &str = "the lock was lost: it expired, or the event was settled already";

/// `{"succeededLockTokens": [...], "failedLockTokens": [...]}` from per-token results.
fn answer(tokens: &[(String, LockToken)], held: &[bool], mut failures: Vec<Value>) -> Response {
    let mut succeeded = Vec::new();
    for ((text, _), ok) in tokens.iter().zip(held) {
        if *ok {
            succeeded.push(Value::from(text.as_str()));
        } else {
            failures.push(failed(text, "LockLost", LOST));
        }
    }
    Json(json!({"succeededLockTokens": succeeded, "failedLockTokens": failures})).into_response()
}

/// `POST /subscriptions/{id}/acknowledge`: delivered.
async fn acknowledge(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<Tokens>,
) -> Result<Response, ApiError> {
    let sub = pull_subscription(&state, &id).await?;
    let (tokens, bad) = decode_all(&body.lock_tokens, &sub.id);
    let batch: Vec<Settled> = tokens
        .iter()
        .map(|(_, t)| settled(&sub, t, record(t.lease.attempt, "delivered", None)))
        .collect();
    let held = state.store.complete(&batch).await?;
    Ok(answer(&tokens, &held, bad))
}

/// `POST /subscriptions/{id}/release[?delay=PT10S]`: available again (after the delay),
/// counted against `retry`; past it, a dead letter.
async fn release(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<ReleaseQuery>,
    Json(body): Json<Tokens>,
) -> Result<Response, ApiError> {
    let sub = pull_subscription(&state, &id).await?;
    let delay = match body.delay.as_deref().or(query.delay.as_deref()) {
        Some(text) => IsoDuration::parse(text)
            .map_err(|e| ApiError::BadRequest {
                detail: format!("`delay`: {e}"),
                parameter: "delay",
            })?
            .get(),
        None => Duration::from_secs(query.release_delay_in_seconds.unwrap_or(0)),
    };
    let now = Utc::now();
    let due_at = now + chrono::Duration::from_std(delay).unwrap_or_default();
    let (tokens, bad) = decode_all(&body.lock_tokens, &sub.id);
    let (spent, again): (Vec<_>, Vec<_>) = tokens
        .iter()
        .partition(|(_, t)| t.lease.attempt > sub.delivery.retry);
    let retries: Vec<RetryLater> = again
        .iter()
        .map(|(_, t)| RetryLater {
            settled: settled(
                &sub,
                t,
                record(t.lease.attempt, "retry", Some("released".to_owned())),
            ),
            due_at,
        })
        .collect();
    let give_ups: Vec<GiveUp> = spent
        .iter()
        .map(|(_, t)| {
            give_up(
                &sub,
                t,
                "exhausted",
                "released after the last delivery `retry` allows",
            )
        })
        .collect();
    let retried = state.store.retry(&retries).await?;
    let dead = state.store.dead_letter(&give_ups, now).await?;
    let order: Vec<(String, LockToken)> = again.into_iter().chain(spent).cloned().collect();
    let held: Vec<bool> = retried
        .into_iter()
        .chain(dead.into_iter().map(|d| d.is_some()))
        .collect();
    state.commits.announce(false);
    Ok(answer(&order, &held, bad))
}

/// `POST /subscriptions/{id}/reject`: a dead letter now (reason `rejected`).
async fn reject(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<Tokens>,
) -> Result<Response, ApiError> {
    let sub = pull_subscription(&state, &id).await?;
    let (tokens, bad) = decode_all(&body.lock_tokens, &sub.id);
    let give_ups: Vec<GiveUp> = tokens
        .iter()
        .map(|(_, t)| give_up(&sub, t, "rejected", "rejected by a consumer"))
        .collect();
    let dead = state.store.dead_letter(&give_ups, Utc::now()).await?;
    let held: Vec<bool> = dead.iter().map(Option::is_some).collect();
    Ok(answer(&tokens, &held, bad))
}

/// `POST /subscriptions/{id}/renew`: the locks run for another `timeout` from now.
async fn renew(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<Tokens>,
) -> Result<Response, ApiError> {
    let sub = pull_subscription(&state, &id).await?;
    let (tokens, bad) = decode_all(&body.lock_tokens, &sub.id);
    let leases: Vec<Lease> = tokens.iter().map(|(_, t)| t.lease.clone()).collect();
    let until = Utc::now() + chrono::Duration::from_std(sub.delivery.timeout).unwrap_or_default();
    let held = state.store.renew(&leases, until).await?;
    Ok(answer(&tokens, &held, bad))
}
