//! Page 7, the catalog: the event types of the registry the gateway serves (`/registry`), with
//! their schemas, an example (generated from the schema and checked against it, and the
//! newest retained event of the type, if any) and who subscribes: the subscriptions whose
//! filters match an example event of the type from its producer's source.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use maud::{Markup, html};
use serde_json::Value;
use shared_events::registry::TypeEntry;
use shared_events::{Event, EventBuilder, EventBuilderV10, format, schema};

use super::ConsoleSettings;
use super::page::{self, ConsoleResult, Nav, Viewer};
use super::sample;
use crate::domain::Subscription;
use crate::routes::AppState;
use crate::store::TypeCount;

fn kind(t: &TypeEntry) -> String {
    serde_json::to_value(t.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn compatibility(t: &TypeEntry) -> String {
    serde_json::to_value(t.meta.compatibility)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The latest schema of `t` as JSON.
fn latest_schema(t: &TypeEntry) -> Value {
    serde_json::from_str(&t.latest().document).unwrap_or(Value::Null)
}

/// An example event of `t`: example data, the producer's source.
fn example_event(t: &TypeEntry, data: &Value) -> Option<Event> {
    EventBuilderV10::new()
        .id("example-1")
        .source(t.source.unwrap_or("/example"))
        .ty(t.event_type)
        .subject("example")
        .data("application/json", data.clone())
        .build()
        .ok()
}

/// The subscriptions whose filters match an example of `t`.
fn subscribers<'a>(subs: &'a [Subscription], t: &TypeEntry, data: &Value) -> Vec<&'a Subscription> {
    match example_event(t, data) {
        Some(event) => subs.iter().filter(|s| s.matches(&event)).collect(),
        None => Vec::new(),
    }
}

/// `GET /console/catalog`.
pub async fn list_types(
    State(state): State<AppState>,
    Extension(settings): Extension<Arc<ConsoleSettings>>,
    Extension(viewer): Extension<Viewer>,
) -> ConsoleResult {
    let seen: BTreeMap<String, TypeCount> = state
        .store
        .event_types()
        .await?
        .into_iter()
        .map(|c| (c.event_type.clone(), c))
        .collect();
    let subs = state.store.subscriptions().await?;
    let body = html! {
        h1 { "Catalog" }
        p.muted { "The event types of the registry this gateway serves at " a href="/registry" { "/registry" } "." }
        table.data #catalog {
            thead { tr {
                th scope="col" { "Type" } th scope="col" { "Kind" } th scope="col" { "What it means" }
                th scope="col" .num { "Revision" } th scope="col" .num { "Retained" }
                th scope="col" .num { "Subscribers" }
            } }
            tbody {
                @for t in settings.registry.types() {
                    @let data = sample::example(&latest_schema(t), &latest_schema(t));
                    tr data-type=(t.event_type) {
                        th scope="row" {
                            a href={ "/console/catalog/" (page::encode(t.event_type)) } { (t.event_type) }
                            @if t.meta.deprecated.is_some() { " " span.badge.warn { "deprecated" } }
                        }
                        td { (kind(t)) }
                        td { (t.description) }
                        td.num { (t.latest().revision) }
                        td.num { (seen.get(t.event_type).map_or(0, |c| c.count)) }
                        td.num { (subscribers(&subs, t, &data).len()) }
                    }
                }
            }
        }
    };
    Ok(page::respond("Catalog", Nav::Catalog, &viewer, body))
}

fn example_section(t: &TypeEntry, data: &Value) -> Markup {
    let verdict = schema::validate(t.event_type, data);
    html! {
        section aria-labelledby="example-title" {
            h2 #example-title { "Example" }
            @match &verdict {
                Ok(()) => { p.banner.good #example-verdict { "Generated from the schema; the schema accepts it." } }
                Err(e) => { p.banner.bad #example-verdict { "Generated from the schema, which refuses it: " (e) } }
            }
            pre.code #example tabindex="0" { (serde_json::to_string_pretty(data).unwrap_or_default()) }
        }
    }
}

/// `GET /console/catalog/{type}`.
pub async fn show_type(
    State(state): State<AppState>,
    Extension(settings): Extension<Arc<ConsoleSettings>>,
    Extension(viewer): Extension<Viewer>,
    Path(event_type): Path<String>,
) -> ConsoleResult {
    let t = settings
        .registry
        .types()
        .iter()
        .find(|t| t.event_type == event_type)
        .ok_or_else(|| page::not_found(format!("`{event_type}` is not a catalog type")))?;
    let document = latest_schema(t);
    let data = sample::example(&document, &document);
    let subs = state.store.subscriptions().await?;
    let who = subscribers(&subs, t, &data);
    let seen = state
        .store
        .event_types()
        .await?
        .into_iter()
        .find(|c| c.event_type == t.event_type);
    let newest = match &seen {
        Some(c) => state.store.event_at(c.newest).await?,
        None => None,
    };
    let newest_event = newest
        .as_ref()
        .and_then(|s| format::from_slice(&s.body).ok());
    let body = html! {
        p.crumbs { a href="/console/catalog" { "Catalog" } " / " (t.event_type) }
        h1 { (t.event_type) }
        p { (t.description) }
        table.attrs #type-facts {
            tbody {
                tr { th scope="row" { "kind" } td { (kind(t)) } }
                tr { th scope="row" { "producer source" } td.mono { (t.source.unwrap_or("—")) } }
                tr { th scope="row" { "compatibility" } td.mono { (compatibility(t)) } }
                @if let Some(d) = &t.meta.deprecated {
                    tr { th scope="row" { "deprecated" } td { "use " (d.alternative.as_deref().unwrap_or("another type")) } }
                }
                tr { th scope="row" { "revisions" } td {
                    @for v in &t.versions {
                        a href=(settings.registry.schema_version_url(t, v.revision)) { (v.revision) }
                        @if !v.compatibility_validated { " " span.badge.bad title=[v.compatibility_reason.as_deref()] { "incompatible" } }
                        " "
                    }
                } }
                tr { th scope="row" { "retained" } td {
                    @match &seen {
                        Some(c) => { (c.count) " events, newest " (page::time(c.last_ingested_at)) }
                        None => { "none" }
                    }
                } }
            }
        }
        section aria-labelledby="subscribers-title" {
            h2 #subscribers-title { "Who subscribes" }
            p.muted { "Subscriptions whose filters match an example of this type from its producer's source." }
            @if who.is_empty() {
                p #subscribers .muted { "Nobody." }
            } @else {
                ul #subscribers {
                    @for s in &who {
                        li { a href={ "/console/subscriptions/" (page::encode(s.id.as_str())) } { (s.id) } " " (page::badge(s.state.status.as_str())) }
                    }
                }
            }
        }
        div.columns {
            (example_section(t, &data))
            @if let (Some(stored), Some(event)) = (&newest, &newest_event) {
                section aria-labelledby="newest-title" {
                    h2 #newest-title { "Newest retained event" }
                    p { a href={ "/console/events/" (stored.cursor) } { (shared_events::AttributesReader::id(event)) } " " (page::time(stored.ingested_at)) }
                    pre.code tabindex="0" { (page::pretty_json(&String::from_utf8_lossy(&stored.body))) }
                }
            }
        }
        section aria-labelledby="schema-title" {
            h2 #schema-title { "Schema (revision " (t.latest().revision) ")" }
            pre.code #schema tabindex="0" { (serde_json::to_string_pretty(&document).unwrap_or_default()) }
        }
    };
    Ok(page::respond(t.event_type, Nav::Catalog, &viewer, body))
}
