//! Page 1, the overview: ingest rate, delivery success rate and p99 latency over a window, the
//! backlog and oldest pending age per subscription, dead letters, and the last failures with
//! one-click redelivery. Every figure is read from the store (the `events` and `attempts`
//! tables), so it is exact, the same on every replica and survives restarts; the part below
//! the heading refreshes itself when the stream shows activity (and every 15 s).

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use maud::{Markup, html};
use serde::Deserialize;

use super::page::{self, ConsoleResult, Nav, Viewer};
use crate::routes::AppState;
use crate::store::{Backlog, RecentFailure, Traffic, TrafficCounts};

/// The windows the overview offers, as (parameter, length).
pub const WINDOWS: &[(&str, Duration)] = &[
    ("1m", Duration::from_secs(60)),
    ("5m", Duration::from_secs(300)),
    ("15m", Duration::from_secs(900)),
    ("1h", Duration::from_secs(3600)),
    ("24h", Duration::from_secs(86_400)),
];

/// How many failures the overview lists (the newest of each delivery), and how many attempts
/// it reads to find them.
const FAILURES: usize = 10;
const FAILED_ATTEMPTS: u32 = 100;

/// `?window=` of the overview.
#[derive(Debug, Deserialize)]
pub struct OverviewQuery {
    window: Option<String>,
}

fn window(query: &OverviewQuery) -> (&'static str, Duration) {
    WINDOWS
        .iter()
        .find(|(name, _)| Some(*name) == query.window.as_deref())
        .copied()
        .unwrap_or(WINDOWS[1])
}

/// Everything the live part shows.
struct Figures {
    traffic: Traffic,
    backlog: Vec<Backlog>,
    dead_letters: BTreeMap<String, u64>,
    failures: Vec<RecentFailure>,
    subscriptions: Vec<(String, String)>,
}

async fn figures(state: &AppState, window: Duration) -> ConsoleResult<Figures> {
    let since = Utc::now() - chrono::Duration::from_std(window).unwrap_or_default();
    let store = state.store.as_ref();
    Ok(Figures {
        traffic: store.traffic(since).await?,
        backlog: store.backlog().await?,
        dead_letters: store
            .dead_letter_counts()
            .await?
            .into_iter()
            .map(|(id, n)| (id.to_string(), n))
            .collect(),
        failures: newest_per_delivery(store.recent_failures(FAILED_ATTEMPTS).await?),
        subscriptions: store
            .subscriptions()
            .await?
            .iter()
            .map(|s| (s.id.to_string(), s.state.status.as_str().to_owned()))
            .collect(),
    })
}

/// The newest failure of each delivery (event and subscription), at most [`FAILURES`]: an
/// event that failed three times is one line with one redelivery button.
fn newest_per_delivery(failures: Vec<RecentFailure>) -> Vec<RecentFailure> {
    let mut seen = std::collections::BTreeSet::new();
    failures
        .into_iter()
        .filter(|f| {
            let at = f.attempt.cursor.map_or(-f.attempt.id, |c| c.position);
            seen.insert((at, f.attempt.subscription.clone()))
        })
        .take(FAILURES)
        .collect()
}

/// A rate per second over `window`, with a sensible precision.
fn per_second(count: u64, window: Duration) -> String {
    let rate = count as f64 / window.as_secs_f64();
    if rate >= 10.0 {
        format!("{rate:.0}")
    } else {
        format!("{rate:.2}")
    }
}

fn percent(counts: &TrafficCounts) -> String {
    counts
        .success_rate()
        .map_or("—".to_owned(), |r| format!("{:.1} %", r * 100.0))
}

fn millis(ms: Option<u64>) -> String {
    ms.map_or("—".to_owned(), |ms| {
        page::duration(Duration::from_millis(ms))
    })
}

fn cards(f: &Figures, name: &str, window: Duration) -> Markup {
    let total = &f.traffic.total;
    let pending: u64 = f.backlog.iter().map(|b| b.pending).sum();
    let dead: u64 = f.dead_letters.values().sum();
    html! {
        dl.cards {
            div.card #card-ingest {
                dt { "Ingest rate" }
                dd.figure { (per_second(f.traffic.events, window)) " events/s" }
                dd.muted { (f.traffic.events) " accepted in the last " (name) }
            }
            div.card #card-success {
                dt { "Delivery success" }
                dd.figure { (percent(total)) }
                dd.muted { (total.delivered) " of " (total.attempts()) " attempts delivered" }
            }
            div.card #card-latency {
                dt { "p99 latency" }
                dd.figure { (millis(total.p99_delivery_ms)) }
                dd.muted { "accepted → delivered; subscriber answers p99 " (millis(total.p99_response_ms)) }
            }
            div.card #card-backlog {
                dt { "Backlog" }
                dd.figure { (pending) }
                dd.muted { "deliveries pending" }
            }
            div.card #card-dead {
                dt { "Dead letters" }
                dd.figure { a href="/console/deadletters" { (dead) } }
                dd.muted { "waiting for redelivery" }
            }
        }
    }
}

fn backlog_table(f: &Figures, name: &str) -> Markup {
    let now = Utc::now();
    let traffic: BTreeMap<&str, &TrafficCounts> = f
        .traffic
        .per_subscription
        .iter()
        .map(|(id, c)| (id.as_str(), c))
        .collect();
    let backlog: BTreeMap<&str, &Backlog> = f
        .backlog
        .iter()
        .map(|b| (b.subscription.as_str(), b))
        .collect();
    html! {
        h2 #backlog-title { "Subscriptions" }
        @if f.subscriptions.is_empty() {
            p.muted { "No subscriptions yet. " a href="/console/subscriptions/new" { "Create one" } "." }
        } @else {
            table.data #backlog aria-labelledby="backlog-title" {
                thead { tr {
                    th scope="col" { "Subscription" } th scope="col" { "Status" }
                    th scope="col" .num { "Pending" } th scope="col" .num { "Retrying" }
                    th scope="col" { "Oldest pending" } th scope="col" .num { "Dead letters" }
                    th scope="col" .num { "Success (" (name) ")" } th scope="col" .num { "p99 (" (name) ")" }
                } }
                tbody {
                    @for (id, status) in &f.subscriptions {
                        @let b = backlog.get(id.as_str());
                        @let t = traffic.get(id.as_str());
                        tr data-subscription=(id) {
                            th scope="row" { a href={ "/console/subscriptions/" (page::encode(id)) } { (id) } }
                            td { (page::badge(status)) }
                            td.num.pending { (b.map_or(0, |b| b.pending)) }
                            td.num { (b.map_or(0, |b| b.retrying)) }
                            td.oldest { @match b.and_then(|b| b.oldest_ingested_at) {
                                Some(at) => { (page::age(at, now)) }
                                None => { span.muted { "—" } }
                            } }
                            td.num { (f.dead_letters.get(id).copied().unwrap_or(0)) }
                            td.num { (t.map_or("—".to_owned(), |t| percent(t))) }
                            td.num { (millis(t.and_then(|t| t.p99_delivery_ms))) }
                        }
                    }
                }
            }
        }
    }
}

/// One row of the failures table; also the answer to a one-click redelivery.
pub fn failure_row(failure: &RecentFailure, viewer: &Viewer, note: Option<&str>) -> Markup {
    let a = &failure.attempt;
    let r = &a.record;
    html! {
        tr {
            td { (page::time(r.at)) }
            td { a href={ "/console/subscriptions/" (page::encode(a.subscription.as_str())) } { (a.subscription) } }
            td {
                @match (&a.event, a.cursor) {
                    (Some((id, _, ty)), Some(cursor)) => {
                        a href={ "/console/events/" (cursor) } { (ty) } br; span.muted.mono { (id) }
                    }
                    _ => { span.muted { "(event purged)" } }
                }
            }
            td.num { (r.attempt) }
            td { (page::badge(&r.outcome)) " " (page::status_badge(r.status.map(u64::from))) }
            td.excerpt { (r.error.as_deref().or(r.response.as_deref()).unwrap_or("")) }
            td {
                @if let Some(note) = note {
                    span.badge.info role="status" { (note) }
                } @else if let (Some(dl), true) = (failure.dead_letter, viewer.can_write) {
                    form method="post" action={ "/console/deadletters/" (dl) "/redeliver" }
                        hx-post={ "/console/deadletters/" (dl) "/redeliver" }
                        hx-target="closest tr" hx-swap="outerHTML" {
                        input type="hidden" name="next" value="/console";
                        button type="submit" { "Redeliver" }
                    }
                } @else if failure.dead_letter.is_none() && r.outcome == "retry" {
                    span.muted { "retrying" }
                } @else if failure.dead_letter.is_none() {
                    span.muted { "redelivered or deleted" }
                }
            }
        }
    }
}

fn failures_table(f: &Figures, viewer: &Viewer) -> Markup {
    html! {
        h2 #failures-title { "Last failures" }
        @if f.failures.is_empty() {
            p.muted #no-failures { "No failed attempts in the retained history." }
        } @else {
            table.data #failures aria-labelledby="failures-title" {
                thead { tr {
                    th scope="col" { "When" } th scope="col" { "Subscription" } th scope="col" { "Event" }
                    th scope="col" .num { "Attempt" } th scope="col" { "Outcome" }
                    th scope="col" { "Error or answer" } th scope="col" { span.visually-hidden { "Action" } }
                } }
                tbody {
                    @for failure in &f.failures { (failure_row(failure, viewer, None)) }
                }
            }
        }
    }
}

fn live(f: &Figures, name: &str, window: Duration, viewer: &Viewer) -> Markup {
    let url = format!("/console/overview/stats?window={name}");
    html! {
        div #overview-live hx-get=(url) hx-trigger="every 15s, gateway-activity from:body throttle:2s"
            hx-swap="outerHTML" data-live="activity" {
            (cards(f, name, window))
            (backlog_table(f, name))
            (failures_table(f, viewer))
        }
    }
}

/// `GET /console`: the overview.
pub async fn show_overview(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Query(query): Query<OverviewQuery>,
) -> ConsoleResult {
    let (name, length) = window(&query);
    let f = figures(&state, length).await?;
    let body = html! {
        h1 { "Overview" }
        nav.windows aria-label="Window" {
            "Over the last: "
            @for (w, _) in WINDOWS {
                a href={ "/console?window=" (w) } aria-current=[(*w == name).then_some("true")] { (w) }
                " "
            }
        }
        (live(&f, name, length, &viewer))
    };
    Ok(page::respond("Overview", Nav::Overview, &viewer, body))
}

/// `GET /console/overview/stats`: the live part alone (what htmx swaps in).
pub async fn show_stats(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Query(query): Query<OverviewQuery>,
    headers: HeaderMap,
) -> ConsoleResult<Response> {
    let (name, length) = window(&query);
    let f = figures(&state, length).await?;
    if page::is_htmx(&headers) {
        return Ok(live(&f, name, length, &viewer).into_response());
    }
    Ok(page::respond(
        "Overview",
        Nav::Overview,
        &viewer,
        live(&f, name, length, &viewer),
    ))
}
