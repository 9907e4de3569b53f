//! Replay: `POST /subscriptions/{id}/replay` (a dry run counts, otherwise a job starts) and
//! `/jobs` to follow and cancel jobs. The work itself is [`crate::jobs`]'.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use http::StatusCode;
use http::header::LOCATION;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AppState, limit};
use crate::domain::SubscriptionId;
use crate::error::ApiError;
use crate::jobs::{ReplayError, ReplaySpec, new_job};
use crate::store::{Job, JobId};
use crate::stream::{self, Selector};

/// The replay and job routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/subscriptions/{id}/replay", post(replay))
        .route("/jobs", get(list_jobs))
        .route("/jobs/{id}", get(get_job).delete(cancel_job))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReplayBody {
    from: Option<String>,
    to: Option<String>,
    filter: Option<String>,
    #[serde(default)]
    dry_run: bool,
}

impl From<ReplayError> for ApiError {
    fn from(error: ReplayError) -> Self {
        match error {
            ReplayError::Field(error) => Self::InvalidField {
                what: "replay",
                error,
            },
            ReplayError::Store(error) => Self::Store(error),
        }
    }
}

/// A job in its wire form: `done` counts the deliveries it scheduled that are settled.
pub(crate) fn job_json(job: &Job, pending: u64) -> Value {
    let spec: Value = serde_json::from_str(&job.spec).unwrap_or(Value::Null);
    let mut wire = json!({
        "id": job.id.as_str(),
        "subscription": job.subscription.as_str(),
        "kind": if job.skip_known { "catch-up" } else { "replay" },
        "status": job.status.as_str(),
        "total": job.total,
        "scheduled": job.scheduled,
        "done": job.scheduled.saturating_sub(pending),
        "from": spec.get("from").cloned().unwrap_or(Value::Null),
        "to": spec.get("to").cloned().unwrap_or(Value::Null),
        "filter": spec.get("filter").cloned().unwrap_or(Value::Null),
        "createdAt": job.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "updatedAt": job.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    });
    if let Some(error) = &job.error {
        wire["error"] = Value::from(error.as_str());
    }
    wire
}

async fn wire(state: &AppState, job: &Job) -> Result<Value, ApiError> {
    Ok(job_json(job, state.store.job_pending(&job.id).await?))
}

/// `POST /subscriptions/{id}/replay`.
async fn replay(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<ReplayBody>,
) -> Result<Response, ApiError> {
    let missing = || ApiError::NotFound(format!("no subscription `{id}`"));
    let sub_id = SubscriptionId::parse(&id).map_err(|_| missing())?;
    let sub = state
        .store
        .subscription(&sub_id)
        .await?
        .ok_or_else(missing)?;
    let spec = ReplaySpec::resolve(
        state.store.as_ref(),
        body.from.as_deref(),
        body.to.as_deref(),
        body.filter.as_deref(),
    )
    .await?;
    if body.dry_run {
        let filter = spec.compiled_filter();
        let selector = Selector::new(filter.as_ref()).and_subscription(&sub);
        let count = stream::count(state.store.as_ref(), spec.range(), &selector).await?;
        return Ok(Json(json!({ "count": count })).into_response());
    }
    let job = new_job(sub.id.clone(), &spec, false);
    state.store.insert_job(&job).await?;
    state.jobs.notify_one();
    let location = format!("/jobs/{}", job.id);
    Ok((
        StatusCode::ACCEPTED,
        [(LOCATION, location)],
        Json(wire(&state, &job).await?),
    )
        .into_response())
}

fn parse_job_id(text: &str) -> Result<JobId, ApiError> {
    JobId::parse(text).map_err(ApiError::NotFound)
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    limit: Option<u32>,
}

/// `GET /jobs`: the newest first.
async fn list_jobs(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let jobs = state.store.jobs(limit(query.limit)).await?;
    let mut out = Vec::with_capacity(jobs.len());
    for job in &jobs {
        out.push(wire(&state, job).await?);
    }
    Ok(Json(json!({ "jobs": out })))
}

/// `GET /jobs/{id}`.
async fn get_job(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let job_id = parse_job_id(&id)?;
    let job = state
        .store
        .job(&job_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no job `{id}`")))?;
    Ok(Json(wire(&state, &job).await?))
}

/// `DELETE /jobs/{id}`: cancels a running job (its pending deliveries are dropped).
async fn cancel_job(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let job_id = parse_job_id(&id)?;
    if !state.store.cancel_job(&job_id, Utc::now()).await? {
        return match state.store.job(&job_id).await? {
            None => Err(ApiError::NotFound(format!("no job `{id}`"))),
            Some(job) => Err(ApiError::Conflict(format!(
                "job `{id}` is {} already",
                job.status.as_str()
            ))),
        };
    }
    let job = state
        .store
        .job(&job_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no job `{id}`")))?;
    Ok(Json(wire(&state, &job).await?))
}
