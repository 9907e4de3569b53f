//! Page 6, subscriptions: the list, and one subscription's detail (sink, filters, delivery
//! policy, state, and its figures over the last hour: attempts, success, p99, backlog, dead
//! letters), with pause and resume (`POST /subscriptions/{id}/pause|resume` underneath).
//! Creating and editing is [`super::subscription_form`].

use std::time::Duration;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use maud::{Markup, html};
use serde_json::Value;

use super::page::{self, ConsoleResult, Nav, Viewer};
use crate::domain::{DeliveryMode, Status, Subscription, SubscriptionId};
use crate::routes::AppState;
use crate::store::TrafficCounts;

/// The window of the figures on these pages.
const WINDOW: Duration = Duration::from_secs(3600);

/// The filters of a subscription in one line (their JSON).
pub fn filters_text(sub: &Subscription) -> String {
    let filters = sub.spec_json()["filters"].clone();
    match filters.as_array() {
        Some(list) if list.is_empty() => "every event".to_owned(),
        _ => filters.to_string(),
    }
}

fn mode(sub: &Subscription) -> &'static str {
    match sub.delivery.mode {
        DeliveryMode::Push => "push",
        DeliveryMode::Pull => "pull",
    }
}

/// `GET /console/subscriptions`.
pub async fn list_subscriptions(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Query(done): Query<page::Done>,
) -> ConsoleResult {
    let subs = state.store.subscriptions().await?;
    let since = Utc::now() - chrono::Duration::from_std(WINDOW).unwrap_or_default();
    let traffic = state.store.traffic(since).await?;
    let backlog = state.store.backlog().await?;
    let dead = state.store.dead_letter_counts().await?;
    let body = html! {
        h1 { "Subscriptions" }
        (page::flash(done.done.as_deref()))
        @if viewer.can_write {
            p { a.button #new-subscription href="/console/subscriptions/new" { "New subscription" } }
        }
        @if subs.is_empty() {
            p.muted { "No subscriptions yet." }
        } @else {
            table.data #subscriptions {
                thead { tr {
                    th scope="col" { "Id" } th scope="col" { "Status" } th scope="col" { "Mode" }
                    th scope="col" { "Sink" } th scope="col" { "Filters" }
                    th scope="col" .num { "Pending" } th scope="col" .num { "Dead letters" }
                    th scope="col" .num { "Success (1h)" }
                } }
                tbody {
                    @for sub in &subs {
                        @let t = traffic.per_subscription.iter().find(|(id, _)| *id == sub.id).map(|(_, c)| *c).unwrap_or_default();
                        tr data-subscription=(sub.id) {
                            th scope="row" { a href={ "/console/subscriptions/" (page::encode(sub.id.as_str())) } { (sub.id) } }
                            td { (page::badge(sub.state.status.as_str())) }
                            td { (mode(sub)) }
                            td.mono { (sub.sink.as_ref().map_or("—", |s| s.as_str())) }
                            td.mono.excerpt { (filters_text(sub)) }
                            td.num { (backlog.iter().find(|b| b.subscription == sub.id).map_or(0, |b| b.pending)) }
                            td.num { (dead.iter().find(|(id, _)| *id == sub.id).map_or(0, |(_, n)| *n)) }
                            td.num { (success(&t)) }
                        }
                    }
                }
            }
        }
    };
    Ok(page::respond(
        "Subscriptions",
        Nav::Subscriptions,
        &viewer,
        body,
    ))
}

fn success(t: &TrafficCounts) -> String {
    t.success_rate()
        .map_or("—".to_owned(), |r| format!("{:.1} %", r * 100.0))
}

fn delivery_table(spec: &Value) -> Markup {
    html! {
        table.attrs #delivery-policy {
            tbody {
                @for (name, value) in spec["delivery"].as_object().into_iter().flatten() {
                    tr { th scope="row" { (name) } td.mono { (value.as_str().map_or_else(|| value.to_string(), str::to_owned)) } }
                }
                tr { th scope="row" { "format" } td.mono { (spec["format"].as_str().unwrap_or_default()) } }
                tr { th scope="row" { "from" } td.mono { (spec["from"].as_str().unwrap_or_default()) } }
                @if let Some(rate) = spec.get("rateLimit") {
                    tr { th scope="row" { "rateLimit" } td.mono { (rate) " events/s" } }
                }
            }
        }
    }
}

/// `GET /console/subscriptions/{id}`.
pub async fn show_subscription(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
    Query(done): Query<page::Done>,
) -> ConsoleResult {
    let missing = || page::not_found(format!("no subscription `{id}`"));
    let sub_id = SubscriptionId::parse(&id).map_err(|_| missing())?;
    let sub = state
        .store
        .subscription(&sub_id)
        .await?
        .ok_or_else(missing)?;
    let now = Utc::now();
    let since = now - chrono::Duration::from_std(WINDOW).unwrap_or_default();
    let traffic = state.store.traffic(since).await?;
    let t = traffic
        .per_subscription
        .iter()
        .find(|(id, _)| *id == sub.id)
        .map(|(_, c)| *c)
        .unwrap_or_default();
    let backlog = state
        .store
        .backlog()
        .await?
        .into_iter()
        .find(|b| b.subscription == sub.id);
    let dead = state
        .store
        .dead_letter_counts()
        .await?
        .into_iter()
        .find(|(id, _)| *id == sub.id)
        .map_or(0, |(_, n)| n);
    let spec = sub.spec_json();
    let encoded = page::encode(sub.id.as_str());
    let millis = |ms: Option<u64>| {
        ms.map_or("—".to_owned(), |m| {
            page::duration(Duration::from_millis(m))
        })
    };
    let body = html! {
        p.crumbs { a href="/console/subscriptions" { "Subscriptions" } " / " (sub.id) }
        (page::flash(done.done.as_deref()))
        h1 { (sub.id) " " (page::badge(sub.state.status.as_str())) }
        @if let Some(reason) = &sub.state.reason { p.muted #status-reason { (reason) @if let Some(at) = sub.state.since { " — since " (page::time(at)) } } }
        @if viewer.can_write {
            div.actions {
                a.button #edit href={ "/console/subscriptions/" (encoded) "/edit" } { "Edit" }
                @if sub.state.status == Status::Paused {
                    form method="post" action={ "/console/subscriptions/" (encoded) "/resume" } {
                        button #resume type="submit" { "Resume" }
                    }
                } @else if sub.delivery.mode == DeliveryMode::Push {
                    form method="post" action={ "/console/subscriptions/" (encoded) "/pause" } {
                        button.secondary #pause type="submit" { "Pause" }
                    }
                }
            }
        }
        div.columns {
            section aria-labelledby="where-title" {
                h2 #where-title { "Where and what" }
                table.attrs {
                    tbody {
                        tr { th scope="row" { "mode" } td { (mode(&sub)) } }
                        tr { th scope="row" { "sink" } td.mono #sink { (sub.sink.as_ref().map_or("— (pull)", |s| s.as_str())) } }
                        tr { th scope="row" { "signed" } td { @if sub.secrets.is_empty() { "no" } @else { "yes (Standard Webhooks)" } } }
                        tr { th scope="row" { "filters" } td { pre.code #filters { (serde_json::to_string_pretty(&spec["filters"]).unwrap_or_default()) } } }
                    }
                }
                h2 { "Delivery policy" }
                (delivery_table(&spec))
            }
            section aria-labelledby="stats-title" {
                h2 #stats-title { "Last hour" }
                dl.cards {
                    div.card { dt { "Attempts" } dd.figure #stat-attempts { (t.attempts()) } dd.muted { (t.delivered) " delivered, " (t.retried) " retried, " (t.dead_lettered) " given up" } }
                    div.card { dt { "Success" } dd.figure { (success(&t)) } }
                    div.card { dt { "p99 latency" } dd.figure { (millis(t.p99_delivery_ms)) } dd.muted { "answers p99 " (millis(t.p99_response_ms)) } }
                    div.card { dt { "Pending" } dd.figure #stat-pending { (backlog.as_ref().map_or(0, |b| b.pending)) }
                        dd.muted { @match backlog.as_ref().and_then(|b| b.oldest_ingested_at) { Some(at) => { "oldest " (page::age(at, now)) } None => { "nothing waiting" } } } }
                    div.card { dt { "Dead letters" } dd.figure { a href={ "/console/deadletters?subscription=" (encoded) } { (dead) } } }
                }
                p {
                    a href={ "/console/tail?subscription=" (encoded) } { "Live tail of its deliveries" }
                }
            }
        }
    };
    Ok(page::respond(
        sub.id.as_str(),
        Nav::Subscriptions,
        &viewer,
        body,
    ))
}

async fn pause_or_resume(state: &AppState, id: &str, pause: bool) -> ConsoleResult<Response> {
    if pause {
        crate::routes::pause::pause(state, id).await?;
    } else {
        crate::routes::pause::resume(state, id).await?;
    }
    let location = format!(
        "/console/subscriptions/{}?done={}",
        page::encode(id),
        if pause { "paused" } else { "resumed" }
    );
    Ok((StatusCode::SEE_OTHER, [(LOCATION, location)]).into_response())
}

/// `POST /console/subscriptions/{id}/pause`.
pub async fn pause_subscription(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ConsoleResult<Response> {
    pause_or_resume(&state, &id, true).await
}

/// `POST /console/subscriptions/{id}/resume`.
pub async fn resume_subscription(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ConsoleResult<Response> {
    pause_or_resume(&state, &id, false).await
}
