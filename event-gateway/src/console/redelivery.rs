//! Bulk redelivery of dead letters: the selection (ids, or every dead letter of a
//! subscription), the dry-run count to confirm, the redelivery, and the progress page that
//! follows each redelivered delivery until it was delivered or dead-lettered again.
//!
//! The flow is plain form posts (`step=confirm`, then `step=run`) and a progress page whose
//! URL names the deliveries it follows (`?item=POSITION:SUBSCRIPTION`), so it works without
//! scripts (with a Refresh link) and can be reloaded or shared; htmx refreshes it every second
//! until everything settled.

use std::collections::BTreeSet;

use axum::Extension;
use axum::Form;
use axum::extract::{RawQuery, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde_json::Value;

use super::deadletters::{PAGE, bad, event_path, subscription};
use super::page::{self, ConsoleError, ConsoleResult, Nav, Viewer};
use crate::domain::SubscriptionId;
use crate::error::ApiError;
use crate::routes::AppState;
use crate::routes::stream::deliveries_json;
use crate::store::{DeadLetter, DeadLetterId, DeadLetterQuery, Position, Redeliver};

/// What a bulk form posted: the selected ids or a whole subscription, and the step.
struct Bulk {
    ids: Vec<DeadLetterId>,
    all: Option<SubscriptionId>,
    run: bool,
}

fn read_bulk(fields: &[(String, String)]) -> Result<Bulk, ConsoleError> {
    let mut bulk = Bulk {
        ids: Vec::new(),
        all: None,
        run: false,
    };
    for (name, value) in fields {
        match name.as_str() {
            "id" => bulk.ids.push(
                value
                    .parse()
                    .map_err(|_| bad(format!("`{value}` is not a dead-letter id"), "id"))?,
            ),
            "all" => bulk.all = subscription(value)?,
            "step" => bulk.run = value == "run",
            _ => {}
        }
    }
    let unique: BTreeSet<_> = bulk.ids.iter().copied().collect();
    bulk.ids = unique.into_iter().collect();
    Ok(bulk)
}

/// The dead letters a bulk request covers (at most [`PAGE`] followed for a whole
/// subscription), and those of them whose subscription is gone.
async fn covered(state: &AppState, bulk: &Bulk) -> ConsoleResult<(Vec<DeadLetter>, u64)> {
    let mut found = Vec::new();
    match &bulk.all {
        Some(sub) => {
            let query = DeadLetterQuery {
                subscription: Some(sub.clone()),
                limit: PAGE,
                ..DeadLetterQuery::default()
            };
            found = state.store.dead_letters(&query).await?;
        }
        None => {
            for id in &bulk.ids {
                if let Some(d) = state.store.dead_letter_by_id(*id).await? {
                    found.push(d);
                }
            }
        }
    }
    let snapshot = state.cache.snapshot();
    let (live, gone): (Vec<_>, Vec<_>) = found
        .into_iter()
        .partition(|d| snapshot.get(&d.subscription).is_some());
    Ok((live, gone.len() as u64))
}

/// `POST /console/deadletters/redeliver`: `step=confirm` shows the dry-run count, `step=run`
/// redelivers and goes to the progress page.
pub async fn redeliver_selected(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Form(fields): Form<Vec<(String, String)>>,
) -> ConsoleResult<Response> {
    let bulk = read_bulk(&fields)?;
    if bulk.ids.is_empty() && bulk.all.is_none() {
        return Err(bad("select at least one dead letter".to_owned(), "id"));
    }
    let (live, gone) = covered(&state, &bulk).await?;
    let total = match &bulk.all {
        Some(sub) => state
            .store
            .dead_letter_counts()
            .await?
            .into_iter()
            .find(|(id, _)| id == sub)
            .map_or(0, |(_, n)| n),
        None => live.len() as u64,
    };
    if !bulk.run {
        let body = html! {
            h1 { "Redeliver dead letters?" }
            p #dry-run role="status" {
                strong #dry-run-count { (total) } " dead letters will be redelivered"
                @if let Some(sub) = &bulk.all { " (every one of " (sub) ")" }
                "."
                @if gone > 0 { " " (gone) " selected dead letters belong to deleted subscriptions and are skipped." }
            }
            @if total > 0 {
                form method="post" action="/console/deadletters/redeliver" {
                    input type="hidden" name="step" value="run";
                    @if let Some(sub) = &bulk.all {
                        input type="hidden" name="all" value=(sub);
                    } @else {
                        @for d in &live { input type="hidden" name="id" value=(d.id); }
                    }
                    button #confirm type="submit" autofocus { "Redeliver " (total) }
                    " " a href="/console/deadletters" { "Cancel" }
                }
            } @else {
                p { a href="/console/deadletters" { "Back" } }
            }
        };
        return Ok(page::respond(
            "Confirm redelivery",
            Nav::DeadLetters,
            &viewer,
            body,
        ));
    }
    let mut items: Vec<(Position, String)> = Vec::new();
    match &bulk.all {
        Some(sub) => {
            state
                .store
                .redeliver(&Redeliver::Subscription(sub.clone()), chrono::Utc::now())
                .await?;
            items.extend(
                live.iter()
                    .map(|d| (d.position, d.subscription.to_string())),
            );
        }
        None => {
            for d in &live {
                match crate::routes::deadletters::redeliver_one(&state, d.id).await {
                    Ok(()) => items.push((d.position, d.subscription.to_string())),
                    Err(ApiError::NotFound(_) | ApiError::Conflict(_)) => {}
                    Err(other) => return Err(ConsoleError(other)),
                }
            }
        }
    }
    state.commits.deliveries.notify_one();
    let query: Vec<String> = items
        .iter()
        .map(|(p, s)| format!("item={}", page::encode(&format!("{p}:{s}"))))
        .collect();
    let location = format!("/console/deadletters/progress?{}", query.join("&"));
    Ok((StatusCode::SEE_OTHER, [(LOCATION, location)]).into_response())
}

/// Where each followed delivery stands.
fn progress(items: &[(Position, String, Value)]) -> Markup {
    let settled = |v: &Value| matches!(v["status"].as_str(), Some("delivered" | "dead_lettered"));
    let delivered = items
        .iter()
        .filter(|(_, _, v)| v["status"] == "delivered")
        .count();
    let failed = items
        .iter()
        .filter(|(_, _, v)| v["status"] == "dead_lettered")
        .count();
    let done = items.iter().all(|(_, _, v)| settled(v));
    let url = format!(
        "/console/deadletters/progress?{}",
        items
            .iter()
            .map(|(p, s, _)| format!("item={}", page::encode(&format!("{p}:{s}"))))
            .collect::<Vec<_>>()
            .join("&")
    );
    html! {
        section #progress data-done=(done) hx-get=[(!done).then_some(url.as_str())]
            hx-trigger=[(!done).then_some("load delay:1s")] hx-swap="outerHTML" {
            p role="status" #progress-summary {
                (delivered) " delivered, " (failed) " dead-lettered again, "
                (items.len() - delivered - failed) " in progress (of " (items.len()) ")."
            }
            progress max=(items.len()) value=(delivered + failed) aria-labelledby="progress-summary" {}
            @if !done { p { a href=(url) { "Refresh" } } }
            table.data #progress-items {
                thead { tr {
                    th scope="col" { "Subscription" } th scope="col" { "Status" }
                    th scope="col" { "Last attempt" } th scope="col" { "Event" }
                } }
                tbody {
                    @for (position, sub, v) in items {
                        @let last = v["history"].as_array().and_then(|h| h.iter().rev().find(|e| e["attempt"].as_u64().unwrap_or(0) > 0));
                        tr data-status=[v["status"].as_str()] {
                            td { (sub) }
                            td { (page::badge(v["status"].as_str().unwrap_or("pending"))) }
                            td { @if let Some(last) = last {
                                (page::status_badge(last["status"].as_u64())) " "
                                (last["latencyMs"]) " ms · " (last["time"].as_str().unwrap_or_default())
                            } }
                            td { a href=(event_path(*position)) { "Event" } }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /console/deadletters/progress?item=POSITION:SUBSCRIPTION…`.
pub async fn show_progress(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ConsoleResult<Response> {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let mut items = Vec::new();
    for (_, value) in pairs
        .iter()
        .filter(|(k, _)| k == "item")
        .take(PAGE as usize)
    {
        let (position, sub) = value
            .split_once(':')
            .ok_or_else(|| bad(format!("`{value}` is not POSITION:SUBSCRIPTION"), "item"))?;
        let position: Position = position
            .parse()
            .map_err(|_| bad(format!("`{position}` is not a position"), "item"))?;
        let deliveries = deliveries_json(&state.store.event_deliveries(position).await?);
        let entry = deliveries
            .into_iter()
            .find(|d| d["subscription"] == sub)
            .unwrap_or(Value::Null);
        items.push((position, sub.to_owned(), entry));
    }
    let section = progress(&items);
    if page::is_htmx(&headers) {
        return Ok(section.into_response());
    }
    let body = html! {
        h1 { "Redelivery progress" }
        (section)
        p { a href="/console/deadletters" { "Back to dead letters" } }
    };
    Ok(page::respond(
        "Redelivery progress",
        Nav::DeadLetters,
        &viewer,
        body,
    ))
}
