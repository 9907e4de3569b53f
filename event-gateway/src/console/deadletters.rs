//! Page 5, dead letters: filter by subscription and type, select several (or every dead
//! letter of a subscription) for redelivery ([`super::redelivery`]: dry-run count, confirm,
//! progress), and the one-click redelivery the overview and the event page use.

use axum::extract::{Path, Query, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use super::page::{self, ConsoleError, ConsoleResult, Nav, Viewer};
use crate::domain::SubscriptionId;
use crate::error::ApiError;
use crate::routes::AppState;
use crate::store::{DeadLetter, DeadLetterId, DeadLetterQuery, Position};

/// Rows per page, and the most deliveries one progress page follows.
pub(super) const PAGE: u32 = 200;

/// The filters, as the query string carries them.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    subscription: String,
    #[serde(rename = "type", default)]
    event_type: String,
    after: Option<DeadLetterId>,
    done: Option<String>,
}

pub(super) fn bad(detail: String, parameter: &'static str) -> ConsoleError {
    ConsoleError(ApiError::BadRequest { detail, parameter })
}

pub(super) fn subscription(text: &str) -> Result<Option<SubscriptionId>, ConsoleError> {
    match text.trim() {
        "" => Ok(None),
        t => SubscriptionId::parse(t)
            .map(Some)
            .map_err(|e| bad(e, "subscription")),
    }
}

fn row(d: &DeadLetter, viewer: &Viewer) -> Markup {
    let event: Value = serde_json::from_slice(&d.event).unwrap_or(Value::Null);
    let label = format!("Select dead letter {}", d.id);
    html! {
        tr data-dead-letter=(d.id) {
            @if viewer.can_write {
                td { input type="checkbox" name="id" value=(d.id) form="dl-form" aria-label=(label); }
            }
            td { (page::time(d.dead_lettered_at)) }
            td { a href={ "/console/subscriptions/" (page::encode(d.subscription.as_str())) } { (d.subscription) } }
            td { (d.event_type) br; span.mono.muted { (event["id"].as_str().unwrap_or_default()) } }
            td { (page::badge(&d.reason)) }
            td { (page::status_badge(d.last_status.map(u64::from))) }
            td.num { (d.attempts) }
            td { a href=(event_path(d.position)) { "Event" } }
        }
    }
}

/// The event page of the event at `position`: the store answers events by position, so a
/// cursor whose order key is the position finds it on either backend.
pub fn event_path(position: Position) -> String {
    let cursor = crate::store::Cursor {
        order: position,
        position,
    };
    format!("/console/events/{cursor}")
}

/// `GET /console/deadletters`.
pub async fn list_dead_letters(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Query(q): Query<ListQuery>,
) -> ConsoleResult {
    let query = DeadLetterQuery {
        subscription: subscription(&q.subscription)?,
        event_type: Some(q.event_type.trim().to_owned()).filter(|t| !t.is_empty()),
        after: q.after,
        limit: PAGE,
    };
    let found = state.store.dead_letters(&query).await?;
    let counts = state.store.dead_letter_counts().await?;
    let subs = state.store.subscriptions().await?;
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    let of_filter = query
        .subscription
        .as_ref()
        .and_then(|s| counts.iter().find(|(id, _)| id == s).map(|(_, n)| *n));
    let next = (found.len() == PAGE as usize).then(|| {
        format!(
            "/console/deadletters{}",
            page::query(&[
                ("subscription", &q.subscription),
                ("type", &q.event_type),
                (
                    "after",
                    &found.last().map(|d| d.id.to_string()).unwrap_or_default()
                ),
            ])
        )
    });
    let body = html! {
        h1 { "Dead letters" }
        (page::flash(q.done.as_deref()))
        p.muted { (total) " in all." }
        form.filters role="search" method="get" action="/console/deadletters" aria-label="Filter dead letters" {
            div {
                label for="d-sub" { "Subscription" }
                select #d-sub name="subscription" {
                    option value="" { "Any" }
                    @for sub in &subs {
                        option value=(sub.id) selected[sub.id.as_str() == q.subscription.trim()] { (sub.id) }
                    }
                }
            }
            div { label for="d-type" { "Type" } input #d-type type="search" name="type" value=(q.event_type); }
            div.actions { button type="submit" { "Filter" } " " a href="/console/deadletters" { "Clear" } }
        }
        @if viewer.can_write {
            form #dl-form method="post" action="/console/deadletters/redeliver" {
                input type="hidden" name="step" value="confirm";
                div.actions {
                    button #redeliver-selected type="submit" { "Redeliver selected…" }
                    @if let (Some(sub), Some(n)) = (&query.subscription, of_filter) {
                        " "
                        button type="submit" name="all" value=(sub) { "Redeliver all " (n) " of " (sub) "…" }
                    }
                }
            }
        }
        @if found.is_empty() {
            p.muted #no-dead-letters { "No dead letters." }
        } @else {
            table.data #dead-letters {
                thead { tr {
                    @if viewer.can_write {
                        th scope="col" { input #select-all type="checkbox" aria-label="Select every row on this page" data-select-all="id"; }
                    }
                    th scope="col" { "Given up" } th scope="col" { "Subscription" } th scope="col" { "Event" }
                    th scope="col" { "Reason" } th scope="col" { "Last status" } th scope="col" .num { "Attempts" }
                    th scope="col" { span.visually-hidden { "Link" } }
                } }
                tbody { @for d in &found { (row(d, &viewer)) } }
            }
            @if let Some(next) = next { p { a rel="next" href=(next) { "More →" } } }
        }
    };
    Ok(page::respond(
        "Dead letters",
        Nav::DeadLetters,
        &viewer,
        body,
    ))
}

/// The one-click form: where to go back to.
#[derive(Debug, Deserialize)]
pub struct OneForm {
    next: Option<String>,
}

/// `POST /console/deadletters/{id}/redeliver`: one dead letter, from the overview or an
/// event's page; htmx gets the table row that replaces the button's.
pub async fn redeliver_one(
    State(state): State<AppState>,
    Path(id): Path<DeadLetterId>,
    headers: HeaderMap,
    Form(form): Form<OneForm>,
) -> ConsoleResult<Response> {
    let dead = state
        .store
        .dead_letter_by_id(id)
        .await?
        .ok_or_else(|| page::not_found(format!("no dead letter `{id}`")))?;
    crate::routes::deadletters::redeliver_one(&state, id).await?;
    if page::is_htmx(&headers) {
        return Ok(html! {
            tr.redelivered {
                td colspan="7" role="status" {
                    "Redelivered dead letter " (id) " to " (dead.subscription) ". "
                    a href=(event_path(dead.position)) { "Follow it" }
                }
            }
        }
        .into_response());
    }
    let next = match form.next.as_deref() {
        Some(n) if n.starts_with("/console") && !n.starts_with("//") => n.to_owned(),
        _ => "/console/deadletters".to_owned(),
    };
    let sep = if next.contains('?') { '&' } else { '?' };
    let location = format!("{next}{sep}done=redelivered");
    Ok((StatusCode::SEE_OTHER, [(LOCATION, location)]).into_response())
}
