//! Reading the stream: `GET /events` (pages by cursor, or one event by identity),
//! `GET /events/{cursor}` (one event and where it went) and `GET /events/stream` (Server-Sent
//! Events, resumable with `Last-Event-ID`).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http::HeaderMap;
use http::header::CONTENT_TYPE;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AppState, limit};
use crate::domain::Filter;
use crate::domain::filter::SqlFilter;
use crate::error::ApiError;
use crate::store::{Cursor, EventDeliveries, StoredEvent};
use crate::stream::{self, Range, Selector};

/// The stream routes (`GET /events`; `POST /events` is the ingest router's).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events", get(list_events))
        .route("/events/stream", get(stream_events))
        .route("/events/{cursor}", get(get_event))
}

/// How many events one page may read past (those the filter skips) before answering.
const SCAN_BUDGET: usize = 10_000;

/// How often a stream looks for events committed by other replicas.
const POLL: Duration = Duration::from_millis(250);

#[derive(Debug, Deserialize)]
struct ListQuery {
    after: Option<String>,
    limit: Option<u32>,
    filter: Option<String>,
    source: Option<String>,
    id: Option<String>,
}

fn cursor_param(text: &str, parameter: &'static str) -> Result<Cursor, ApiError> {
    Cursor::parse(text).map_err(|e| ApiError::BadRequest {
        detail: format!("`{parameter}`: {e}"),
        parameter,
    })
}

fn filter_param(text: Option<&str>) -> Result<Option<Filter>, ApiError> {
    text.map(|t| {
        SqlFilter::parse(t)
            .map(Filter::Sql)
            .map_err(|e| ApiError::BadRequest {
                detail: format!(
                    "`filter` is not valid CESQL at line {}, column {}: {}",
                    e.line(),
                    e.column(),
                    e.message()
                ),
                parameter: "filter",
            })
    })
    .transpose()
}

/// One event as the stream shows it, written around the stored JSON (never re-serialised).
fn entry(stored: &StoredEvent) -> String {
    let at = stored
        .ingested_at
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let body = std::str::from_utf8(&stored.body).unwrap_or("null");
    format!(
        r#"{{"cursor":"{}","ingestedAt":"{at}","event":{body}}}"#,
        stored.cursor
    )
}

fn json_response(body: String) -> Response {
    ([(CONTENT_TYPE, "application/json")], body).into_response()
}

/// `{"events": [...], "next": "…"}`.
async fn list_events(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    if query.source.is_some() || query.id.is_some() {
        let (Some(source), Some(id)) = (&query.source, &query.id) else {
            return Err(ApiError::BadRequest {
                detail: "find an event by identity with both `source` and `id`".to_owned(),
                parameter: if query.source.is_none() {
                    "source"
                } else {
                    "id"
                },
            });
        };
        let found = state.store.find_event(source, id).await?;
        let events: Vec<String> = found.iter().map(entry).collect();
        let next = found.map_or(Value::Null, |e| Value::from(e.cursor.to_string()));
        return Ok(json_response(format!(
            r#"{{"events":[{}],"next":{next}}}"#,
            events.join(",")
        )));
    }
    let after = query
        .after
        .as_deref()
        .map(|a| cursor_param(a, "after"))
        .transpose()?;
    let filter = filter_param(query.filter.as_deref())?;
    let selector = Selector::new(filter.as_ref());
    let range = Range {
        after,
        ..Range::default()
    };
    let want = limit(query.limit) as usize;
    let page = stream::scan(state.store.as_ref(), range, &selector, want, SCAN_BUDGET).await?;
    let events: Vec<String> = page.events.iter().map(entry).collect();
    let next = page
        .next
        .map_or(Value::Null, |c| Value::from(c.to_string()));
    Ok(json_response(format!(
        r#"{{"events":[{}],"next":{next}}}"#,
        events.join(",")
    )))
}

/// One event with its deliveries per subscription.
async fn get_event(
    State(state): State<AppState>,
    Path(cursor): Path<String>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound(format!("no retained event at cursor `{cursor}`"));
    let at = Cursor::parse(&cursor).map_err(|_| not_found())?;
    let stored = state
        .store
        .event_at(at.position)
        .await?
        .ok_or_else(not_found)?;
    let deliveries = state.store.event_deliveries(at.position).await?;
    let mut body: Value = serde_json::from_str(&entry(&stored)).map_err(anyhow::Error::new)?;
    body["deliveries"] = Value::from(deliveries_json(&deliveries));
    Ok(Json(body).into_response())
}

/// Per subscription: where its delivery of the event stands, with every attempt.
pub(crate) fn deliveries_json(d: &EventDeliveries) -> Vec<Value> {
    let mut by_sub: BTreeMap<&str, Value> = BTreeMap::new();
    for (sub, record) in &d.history {
        let entry = by_sub.entry(sub.as_str()).or_insert_with(|| {
            json!({"subscription": sub.as_str(), "status": "delivered", "attempts": 0, "history": []})
        });
        if record.attempt > 0 {
            entry["attempts"] = Value::from(entry["attempts"].as_u64().unwrap_or(0) + 1);
        }
        entry["status"] = Value::from(match record.outcome.as_str() {
            "delivered" => "delivered",
            "dead_lettered" => "dead_lettered",
            "redelivered" => "pending",
            _ => "retrying",
        });
        if let Some(history) = entry["history"].as_array_mut() {
            history.push(super::deadletters::history_entry(record));
        }
    }
    for (sub, id) in &d.dead_letters {
        let entry = by_sub
            .entry(sub.as_str())
            .or_insert_with(|| json!({"subscription": sub.as_str(), "attempts": 0, "history": []}));
        entry["status"] = Value::from("dead_lettered");
        entry["deadLetter"] = Value::from(*id);
    }
    for p in &d.pending {
        let entry = by_sub.entry(p.subscription.as_str()).or_insert_with(
            || json!({"subscription": p.subscription.as_str(), "attempts": 0, "history": []}),
        );
        let status = match (p.claimed, p.attempts) {
            (true, _) => "in_flight",
            (false, 0) => "pending",
            (false, _) => "retrying",
        };
        entry["status"] = Value::from(status);
        entry["attempts"] = Value::from(
            entry["attempts"]
                .as_u64()
                .unwrap_or(0)
                .max(u64::from(p.attempts)),
        );
        if !p.claimed {
            entry["nextAttemptAt"] = Value::from(
                p.due_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            );
        }
        if let Some(job) = &p.replay {
            entry["replay"] = Value::from(job.as_str());
        }
    }
    by_sub.into_values().collect()
}

#[derive(Debug, Deserialize)]
pub(crate) struct StreamQuery {
    from: Option<String>,
    filter: Option<String>,
    include: Option<String>,
}

/// Where a stream is: the last event sent and, when it carries deliveries, the last attempt.
/// Its text is the SSE `id`: the event cursor, then `.` and the attempt id if deliveries are
/// included (`-` for "none yet").
#[derive(Debug, Clone, Copy, Default)]
struct StreamAt {
    events: Option<Cursor>,
    attempts: Option<i64>,
}

impl StreamAt {
    fn id(self, deliveries: bool) -> String {
        let events = self.events.map_or("-".to_owned(), |c| c.to_string());
        if deliveries {
            format!(
                "{events}.{}",
                self.attempts.map_or("-".to_owned(), |a| a.to_string())
            )
        } else {
            events
        }
    }

    fn parse(text: &str, parameter: &'static str) -> Result<Self, ApiError> {
        let (events, attempts) = text.split_once('.').unwrap_or((text, "-"));
        let events = match events {
            "-" => None,
            cursor => Some(cursor_param(cursor, parameter)?),
        };
        let attempts = match attempts {
            "-" => None,
            id => Some(id.parse().map_err(|_| ApiError::BadRequest {
                detail: format!("`{parameter}` is not a stream position"),
                parameter,
            })?),
        };
        Ok(Self { events, attempts })
    }
}

/// Server-Sent Events: one structured CloudEvent per SSE event (type `cloudevent`) and, with
/// `include=deliveries`, one delivery attempt per SSE event (type `delivery`, the
/// `GET /deliveries` entry); the position as the SSE `id`. A reconnecting client's
/// `Last-Event-ID` wins over `from`.
pub(crate) async fn stream_events(
    State(state): State<AppState>,
    Query(query): Query<StreamQuery>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    let deliveries = match query.include.as_deref() {
        None | Some("") => false,
        Some("deliveries") => true,
        Some(_) => {
            return Err(ApiError::BadRequest {
                detail: "`include` may only be `deliveries`".to_owned(),
                parameter: "include",
            });
        }
    };
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty());
    let start = match (resume, query.from.as_deref()) {
        (Some(id), _) => StreamAt::parse(id.trim(), "Last-Event-ID")?,
        (None, None | Some("latest")) => StreamAt {
            events: state.store.head().await?,
            attempts: state.store.last_attempt().await?,
        },
        (None, Some("earliest")) => StreamAt::default(),
        (None, Some(text)) => StreamAt::parse(text, "from")?,
    };
    let filter = filter_param(query.filter.as_deref())?;
    let (tx, rx) = tokio::sync::mpsc::channel::<SseEvent>(256);
    let store = state.store.clone();
    let mut commits = state.commits.events.subscribe();
    tokio::spawn(async move {
        let selector = Selector::new(filter.as_ref());
        let mut at = start;
        loop {
            commits.mark_unchanged();
            let range = Range {
                after: at.events,
                ..Range::default()
            };
            let page = match stream::scan(store.as_ref(), range, &selector, 256, SCAN_BUDGET).await
            {
                Ok(page) => page,
                Err(error) => {
                    tracing::warn!(error = %error, "reading the stream failed");
                    tokio::time::sleep(POLL).await;
                    continue;
                }
            };
            let mut busy = page.next != at.events && !page.done;
            for stored in &page.events {
                at.events = Some(stored.cursor);
                let event = SseEvent::default()
                    .event("cloudevent")
                    .id(at.id(deliveries))
                    .data(String::from_utf8_lossy(&stored.body));
                if tx.send(event).await.is_err() {
                    return;
                }
            }
            at.events = page.next;
            if deliveries {
                match store.read_attempts(at.attempts, 256, None).await {
                    Ok(log) => {
                        busy |= log.len() == 256;
                        for attempt in &log {
                            at.attempts = Some(attempt.id);
                            let event = SseEvent::default()
                                .event("delivery")
                                .id(at.id(true))
                                .data(super::deliveries::attempt_json(attempt).to_string());
                            if tx.send(event).await.is_err() {
                                return;
                            }
                        }
                    }
                    Err(error) => tracing::warn!(error = %error, "reading the delivery log failed"),
                }
            }
            if busy {
                continue;
            }
            tokio::select! {
                () = tx.closed() => return,
                _ = commits.changed() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    });
    let events = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|e| (Ok::<_, Infallible>(e), rx))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}
