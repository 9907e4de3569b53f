//! Page 3, events: search the retained events by id, type, source, subject and time range,
//! newest first; each row says how many subscriptions the event reached. The query string is
//! the search, so every result page is a link; htmx swaps only the results in and pushes the
//! URL.

use axum::Extension;
use axum::extract::{Query, State};
use chrono::{DateTime, NaiveDateTime, Utc};
use maud::{Markup, html};
use serde::Deserialize;

use super::page::{self, ConsoleError, ConsoleResult, Nav, Viewer};
use crate::error::ApiError;
use crate::routes::AppState;
use crate::store::{Cursor, EventSearch, EventSummary};

/// Rows per page.
const PAGE: u32 = 50;

/// The search, as the query string carries it.
#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    id: String,
    #[serde(rename = "type", default)]
    event_type: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    before: String,
}

/// Reads a time field: RFC 3339, or a `datetime-local` value (taken as UTC).
pub fn parse_time(text: &str, field: &'static str) -> Result<Option<DateTime<Utc>>, ConsoleError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(Some(t.to_utc()));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(Some(t.and_utc()));
        }
    }
    Err(ConsoleError(ApiError::BadRequest {
        detail: format!("`{field}` is not a time: use RFC 3339 or YYYY-MM-DDTHH:MM (UTC)"),
        parameter: field,
    }))
}

fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

impl SearchQuery {
    fn search(&self) -> Result<EventSearch, ConsoleError> {
        let before = match self.before.trim() {
            "" => None,
            text => Some(
                Cursor::parse(text)
                    .map_err(|e| {
                        ConsoleError(ApiError::BadRequest {
                            detail: format!("`before`: {e}"),
                            parameter: "before",
                        })
                    })?
                    .position,
            ),
        };
        Ok(EventSearch {
            id: optional(&self.id),
            source: optional(&self.source),
            type_prefix: optional(&self.event_type),
            subject_prefix: optional(&self.subject),
            since: parse_time(&self.since, "since")?,
            until: parse_time(&self.until, "until")?,
            before,
            limit: PAGE,
        })
    }

    fn link(&self, before: Option<Cursor>) -> String {
        let before = before.map(|c| c.to_string()).unwrap_or_default();
        format!(
            "/console/events{}",
            page::query(&[
                ("id", &self.id),
                ("type", &self.event_type),
                ("source", &self.source),
                ("subject", &self.subject),
                ("since", &self.since),
                ("until", &self.until),
                ("before", &before),
            ])
        )
    }
}

/// How far an event got, in words and a badge.
pub fn reach(e: &EventSummary) -> Markup {
    let r = e.reach;
    html! {
        @if r.routed == 0 {
            span.muted { "no subscription" }
        } @else {
            span.reach data-routed=(r.routed) data-delivered=(r.delivered) {
                (r.delivered) " of " (r.routed) " delivered"
            }
            @if r.dead_lettered > 0 { " " span.badge.bad { (r.dead_lettered) " dead" } }
        }
    }
}

fn results(q: &SearchQuery, found: &[EventSummary]) -> Markup {
    html! {
        section #results aria-labelledby="results-title" {
            h2 #results-title { (found.len()) @if found.len() as u32 == PAGE { "+" } " events" }
            @if found.is_empty() {
                p.muted { "No retained event matches." }
            } @else {
                table.data #event-results {
                    thead { tr {
                        th scope="col" { "Accepted" } th scope="col" { "Type" } th scope="col" { "Source" }
                        th scope="col" { "Id" } th scope="col" { "Subject" } th scope="col" { "Reached" }
                    } }
                    tbody {
                        @for e in found {
                            tr data-event-id=(e.id) {
                                td { a href={ "/console/events/" (e.cursor) } { (page::time(e.ingested_at)) } }
                                td { (e.event_type) }
                                td.mono { (e.source) }
                                td.mono { a href={ "/console/events/" (e.cursor) } { (e.id) } }
                                td { (e.subject.as_deref().unwrap_or("")) }
                                td { (reach(e)) }
                            }
                        }
                    }
                }
                @if found.len() as u32 == PAGE {
                    p { a rel="next" href=(q.link(found.last().map(|e| e.cursor))) { "Older events →" } }
                }
            }
        }
    }
}

/// `GET /console/events`: the search form and its results.
pub async fn search_events(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Query(q): Query<SearchQuery>,
) -> ConsoleResult {
    let search = q.search()?;
    let found = state.store.search_events(&search).await?;
    let body = html! {
        h1 { "Events" }
        form.filters #event-search role="search" method="get" action="/console/events"
            hx-get="/console/events" hx-target="#results" hx-select="#results" hx-swap="outerHTML"
            hx-push-url="true" aria-label="Search events" {
            div { label for="s-id" { "Id" } input #s-id type="search" name="id" value=(q.id) data-filter="id"; }
            div { label for="s-type" { "Type starts with" } input #s-type type="search" name="type" value=(q.event_type); }
            div { label for="s-source" { "Source" } input #s-source type="search" name="source" value=(q.source); }
            div { label for="s-subject" { "Subject starts with" } input #s-subject type="search" name="subject" value=(q.subject); }
            div { label for="s-since" { "Accepted from (UTC)" } input #s-since name="since" value=(q.since) placeholder="2025-01-31T09:00"; }
            div { label for="s-until" { "until (UTC)" } input #s-until name="until" value=(q.until) placeholder="2025-01-31T10:00"; }
            div.actions { button type="submit" { "Search" } " " a href="/console/events" { "Clear" } }
        }
        (results(&q, &found))
    };
    Ok(page::respond("Events", Nav::Events, &viewer, body))
}
