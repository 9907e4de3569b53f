//! Page 4, one event: its attributes, its data (pretty and as stored), the schema verdict for
//! catalog types, and per subscription the timeline of attempts (status, latency, the
//! subscriber's answer, the next retry). Actions: redeliver a dead letter, send the event again
//! to a subscription (a one-event replay job, so it keeps its id and gets `replayid`), and copy
//! it as curl (binary or structured) or as `cectl send`.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use base64::Engine as _;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;
use shared_events::http::Mode;
use shared_events::{AttributesReader, Event, catalog, format, schema};

use super::ConsoleSettings;
use super::copy;
use super::page::{self, ConsoleResult, Nav, Viewer};
use crate::domain::SubscriptionId;
use crate::jobs::{ReplaySpec, new_job};
use crate::routes::AppState;
use crate::routes::stream::deliveries_json;
use crate::store::{Cursor, StoredEvent};

async fn load(state: &AppState, cursor: &str) -> ConsoleResult<(Cursor, StoredEvent)> {
    let missing = || page::not_found(format!("no retained event at `{cursor}`"));
    let at = Cursor::parse(cursor).map_err(|_| missing())?;
    let stored = state
        .store
        .event_at(at.position)
        .await?
        .ok_or_else(missing)?;
    Ok((stored.cursor, stored))
}

/// The verdict on a catalog type's data: valid, or where and why not.
fn verdict(event: &Event) -> Markup {
    let Some(entry) = catalog::lookup(event.ty()) else {
        return html! {
            p #schema-verdict .muted { "Not a catalog type: there is no schema to check it against." }
        };
    };
    let revision = schema::current_revision(entry.event_type);
    let checked = catalog::data_as_json(event, entry.event_type)
        .map_err(|e| e.to_string())
        .and_then(|data| schema::validate(entry.event_type, &data).map_err(|e| e.to_string()));
    let schema_link = format!("/console/catalog/{}", page::encode(entry.event_type));
    html! {
        @match checked {
            Ok(()) => {
                p #schema-verdict .banner.good {
                    "Valid against the schema of " a href=(schema_link) { (entry.event_type) }
                    @if let Some(r) = revision { " (revision " (r) ")" } "."
                }
            }
            Err(reason) => {
                p #schema-verdict .banner.bad {
                    "Invalid against the schema of " a href=(schema_link) { (entry.event_type) } ": " (reason)
                }
            }
        }
    }
}

/// The data as the page shows it: pretty JSON, text, or a note about binary data.
fn data_view(stored: &Value) -> Markup {
    if let Some(data) = stored.get("data") {
        let text = match data {
            Value::String(s) => s.clone(),
            other => serde_json::to_string_pretty(other).unwrap_or_default(),
        };
        return html! { pre #data-pretty .code tabindex="0" { (text) } };
    }
    if let Some(Value::String(b64)) = stored.get("data_base64") {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap_or_default();
        return match String::from_utf8(bytes.clone()) {
            Ok(text) => {
                html! { pre #data-pretty .code tabindex="0" { (page::pretty_json(&text)) } }
            }
            Err(_) => {
                html! { p #data-pretty .muted { (bytes.len()) " bytes of binary data (see the stored form)." } }
            }
        };
    }
    html! { p #data-pretty .muted { "This event has no data." } }
}

fn attributes(event: &Event) -> Markup {
    let mut attrs: Vec<(String, String)> = event
        .iter_attributes()
        .map(|(k, v)| (k.to_owned(), v.to_string()))
        .collect();
    let mut extensions: Vec<(String, String)> = event
        .iter_extensions()
        .map(|(k, v)| (k.to_owned(), v.to_string()))
        .collect();
    extensions.sort();
    attrs.extend(extensions);
    html! {
        table.attrs #attributes {
            tbody {
                @for (name, value) in &attrs {
                    tr { th scope="row" { (name) } td.mono { (value) } }
                }
            }
        }
    }
}

fn attempts(n: u64) -> String {
    if n == 1 {
        "1 attempt".to_owned()
    } else {
        format!("{n} attempts")
    }
}

/// Per subscription, where the event's delivery stands and every attempt.
fn deliveries(cursor: Cursor, wire: &[Value], viewer: &Viewer) -> Markup {
    let url = format!("/console/events/{cursor}/deliveries");
    let text = |v: &Value| v.as_str().map(str::to_owned);
    html! {
        section #deliveries hx-get=(url) hx-trigger="gateway-activity from:body throttle:1s"
            hx-swap="outerHTML" data-live="activity" aria-labelledby="deliveries-title" {
            h2 #deliveries-title { "Deliveries" }
            @if wire.is_empty() {
                p.muted { "No subscription matched this event." }
            }
            @for d in wire {
                @let sub = d["subscription"].as_str().unwrap_or_default();
                @let status = d["status"].as_str().unwrap_or_default();
                article.delivery data-subscription=(sub) data-status=(status) {
                    header {
                        h3 { a href={ "/console/subscriptions/" (page::encode(sub)) } { (sub) } }
                        " " (page::badge(status))
                        " " span.muted { (attempts(d["attempts"].as_u64().unwrap_or(0))) }
                        @if let Some(next) = text(&d["nextAttemptAt"]) {
                            " · " span.next { "next attempt " time datetime=(next) { (next) } }
                        }
                        @if let Some(job) = text(&d["replay"]) { " · " span.muted { "replay " (job) } }
                    }
                    @if viewer.can_write {
                        div.actions {
                            @if let Some(dl) = d["deadLetter"].as_i64() {
                                form method="post" action={ "/console/deadletters/" (dl) "/redeliver" } {
                                    input type="hidden" name="next" value={ "/console/events/" (cursor) };
                                    button type="submit" { "Redeliver dead letter" }
                                }
                            }
                            form method="post" action={ "/console/events/" (cursor) "/resend" } {
                                input type="hidden" name="subscription" value=(sub);
                                button.secondary type="submit" { "Send again" }
                            }
                        }
                    }
                    ol.timeline {
                        @for h in d["history"].as_array().into_iter().flatten() {
                            li data-outcome=[h["outcome"].as_str()] {
                                (page::badge(h["outcome"].as_str().unwrap_or_default()))
                                " " (page::status_badge(h["status"].as_u64()))
                                @if h["attempt"].as_u64().unwrap_or(0) > 0 {
                                    " attempt " (h["attempt"]) " · " (h["latencyMs"]) " ms"
                                }
                                " · " time datetime=[h["time"].as_str()] { (h["time"].as_str().unwrap_or_default()) }
                                @if let Some(e) = text(&h["error"]) { div.excerpt { (e) } }
                                @if let Some(r) = text(&h["response"]) { pre.excerpt { (r) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn copy_block(id: &str, label: &str, line: Result<String, String>) -> Markup {
    html! {
        div.copy {
            label for=(id) { (label) }
            @match line {
                Ok(line) => {
                    textarea #(id) readonly rows="3" spellcheck="false" { (line) }
                    button type="button" data-copy=(id) { "Copy" }
                }
                Err(why) => { p #(id) .muted { (why) } }
            }
        }
    }
}

async fn wire_deliveries(state: &AppState, cursor: Cursor) -> ConsoleResult<Vec<Value>> {
    Ok(deliveries_json(
        &state.store.event_deliveries(cursor.position).await?,
    ))
}

/// `GET /console/events/{cursor}`.
pub async fn show_event(
    State(state): State<AppState>,
    Extension(settings): Extension<Arc<ConsoleSettings>>,
    Extension(viewer): Extension<Viewer>,
    Path(cursor): Path<String>,
    Query(done): Query<page::Done>,
) -> ConsoleResult {
    let (cursor, stored) = load(&state, &cursor).await?;
    let event = format::from_slice(&stored.body).map_err(anyhow::Error::new)?;
    let raw = String::from_utf8_lossy(&stored.body).into_owned();
    let as_json: Value = serde_json::from_str(&raw).unwrap_or(Value::Null);
    let wire = wire_deliveries(&state, cursor).await?;
    let events_url = format!("{}/events", settings.gateway_url);
    let token = settings.tokens_enabled;
    let title = format!("Event {}", event.id());
    let body = html! {
        p.crumbs { a href="/console/events" { "Events" } " / " span.mono { (event.id()) } }
        (page::flash(done.done.as_deref()))
        h1 { (event.ty()) }
        p.muted { "Accepted " (page::time(stored.ingested_at)) " · cursor " span.mono { (cursor) } }
        div.columns {
            section aria-labelledby="attributes-title" {
                h2 #attributes-title { "Attributes" }
                (attributes(&event))
                (verdict(&event))
            }
            section aria-labelledby="data-title" {
                h2 #data-title { "Data" }
                (data_view(&as_json))
                details {
                    summary { "Stored form (structured JSON, exactly as delivered in structured mode)" }
                    pre #data-raw .code tabindex="0" { (raw) }
                }
            }
        }
        (deliveries(cursor, &wire, &viewer))
        section aria-labelledby="copy-title" {
            h2 #copy-title { "Copy" }
            p.muted { "The gateway drops a repeat of the same source and id within its dedupe \
                       window: change the id, or point the line at your own receiver." }
            (copy_block("copy-curl-binary", "curl, binary mode", copy::curl_line(&events_url, &event, Mode::Binary, token)))
            (copy_block("copy-curl-structured", "curl, structured mode", copy::curl_line(&events_url, &event, Mode::Structured, token)))
            (copy_block("copy-cectl", "cectl send", copy::cectl_line(&settings.gateway_url, &event)))
        }
    };
    Ok(page::respond(&title, Nav::Events, &viewer, body))
}

/// `GET /console/events/{cursor}/deliveries`: the deliveries section alone.
pub async fn show_deliveries(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(cursor): Path<String>,
) -> ConsoleResult {
    let (cursor, _) = load(&state, &cursor).await?;
    let wire = wire_deliveries(&state, cursor).await?;
    Ok(deliveries(cursor, &wire, &viewer).into_response())
}

/// The "send again" form.
#[derive(Debug, Deserialize)]
pub struct ResendForm {
    subscription: String,
}

/// `POST /console/events/{cursor}/resend`: a replay job of this one event to one subscription.
pub async fn resend_event(
    State(state): State<AppState>,
    Path(cursor): Path<String>,
    headers: HeaderMap,
    Form(form): Form<ResendForm>,
) -> ConsoleResult<Response> {
    let (cursor, _) = load(&state, &cursor).await?;
    let missing = || page::not_found(format!("no subscription `{}`", form.subscription));
    let id = SubscriptionId::parse(&form.subscription).map_err(|_| missing())?;
    let sub = state.store.subscription(&id).await?.ok_or_else(missing)?;
    let at = cursor.to_string();
    let spec = ReplaySpec::resolve(state.store.as_ref(), Some(&at), Some(&at), None).await?;
    let job = new_job(sub.id.clone(), &spec, false);
    state.store.insert_job(&job).await?;
    state.jobs.notify_one();
    if page::is_htmx(&headers) {
        return Ok(page::flash(Some("resent")).into_response());
    }
    let location = format!("/console/events/{cursor}?done=resent");
    Ok((StatusCode::SEE_OTHER, [(LOCATION, location)]).into_response())
}
