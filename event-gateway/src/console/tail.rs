//! Page 2, the live tail: events and delivery outcomes as they happen, read from the API's own
//! SSE stream (`/console/stream`, the `GET /events/stream` handler, with deliveries), filtered
//! by type, source, subscription and status in the browser, with pause and resume, a banner
//! when entries were missed (a pause buffer or a render queue that overflowed, a connection
//! that came back without a position to resume from), and the keyboard: Space pauses, `/`
//! focuses the filters, `j`/`k` move, Enter opens an entry's event.
//!
//! The page is the filters form (it works without scripts: it reloads with the filters in the
//! query string, which makes every view a link) and an empty table that `tail.js` fills.

use axum::Extension;
use axum::extract::{Query, State};
use maud::html;
use serde::Deserialize;

use super::assets;
use super::page::{self, ConsoleResult, Nav, Viewer};
use crate::routes::AppState;

/// How many entries a paused tail keeps (and the render queue holds) unless `?buffer=` says.
pub const BUFFER: u32 = 1000;

/// The filters, as the query string carries them.
#[derive(Debug, Default, Deserialize)]
pub struct TailQuery {
    #[serde(rename = "type", default)]
    event_type: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    subscription: String,
    #[serde(default)]
    status: String,
    buffer: Option<u32>,
}

const STATUSES: &[(&str, &str)] = &[
    ("", "Any"),
    ("event", "Events only"),
    ("delivered", "Delivered"),
    ("failed", "Failed (retry or dead letter)"),
    ("dead_lettered", "Dead-lettered"),
];

/// `GET /console/tail`.
pub async fn show_tail(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Query(q): Query<TailQuery>,
) -> ConsoleResult {
    let subs = state.store.subscriptions().await?;
    let buffer = q.buffer.unwrap_or(BUFFER).clamp(1, 100_000);
    let body = html! {
        h1 { "Live tail" }
        form #tail-filters .filters role="search" method="get" action="/console/tail" aria-label="Filter the tail" {
            div {
                label for="f-type" { "Type starts with" }
                input #f-type type="search" name="type" value=(q.event_type) data-filter="type" autocomplete="off";
            }
            div {
                label for="f-source" { "Source starts with" }
                input #f-source type="search" name="source" value=(q.source) data-filter="source" autocomplete="off";
            }
            div {
                label for="f-subscription" { "Subscription" }
                select #f-subscription name="subscription" data-filter="subscription" {
                    option value="" { "Any" }
                    @for sub in &subs {
                        option value=(sub.id) selected[sub.id.as_str() == q.subscription] { (sub.id) }
                    }
                }
            }
            div {
                label for="f-status" { "Status" }
                select #f-status name="status" data-filter="status" {
                    @for (value, label) in STATUSES {
                        option value=(value) selected[*value == q.status] { (label) }
                    }
                }
            }
            noscript { button type="submit" { "Apply" } }
        }
        div.tail-bar {
            button #tail-toggle type="button" aria-pressed="false" aria-keyshortcuts="Space" {
                "Pause"
            }
            span #tail-state role="status" aria-live="polite" { "Connecting…" }
        }
        div #tail-missed .banner.warn role="alert" hidden {
            span #tail-missed-text {}
            " "
            a #tail-missed-link href="/console/events" { "Find them in Events" }
            " "
            button #tail-missed-dismiss type="button" { "Dismiss" }
        }
        noscript {
            p.banner.warn { "The live tail needs JavaScript. "
                a href="/console/events" { "Search events" } " works without it." }
        }
        table.data.tail #tail data-stream="/console/stream?include=deliveries" data-buffer=(buffer)
            aria-describedby="tail-help" {
            caption #tail-help {
                "Newest first. " kbd { "Space" } " pause · " kbd { "/" } " filter · "
                kbd { "j" } "/" kbd { "k" } " move · " kbd { "Enter" } " open"
            }
            thead { tr {
                th scope="col" { "Time" } th scope="col" { "Kind" } th scope="col" { "Type" }
                th scope="col" { "Source / id" } th scope="col" { "Subscription" }
                th scope="col" { "Outcome" } th scope="col" .num { "Latency" }
            } }
            tbody #tail-rows {}
        }
        script src=(assets::url("tail.js")) defer {}
    };
    Ok(page::respond("Live tail", Nav::Tail, &viewer, body))
}
