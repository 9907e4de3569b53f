//! Creating and editing a subscription: one form whose fields become the API's JSON body
//! (`POST /subscriptions`, `PUT /subscriptions/{id}`, through the same functions), shown again
//! with the API's field error when it is refused, and a filter preview that runs the filters
//! against the most recent retained events (htmx while typing; a submit button without
//! scripts).

use axum::extract::{Path, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use maud::{Markup, html};
use serde_json::Value;
use shared_events::{AttributesReader, format};

use super::page::{self, ConsoleError, ConsoleResult, Nav, Viewer};
use super::subscription_fields::SubscriptionForm;
use crate::domain::{Filter, SubscriptionId};
use crate::error::ApiError;
use crate::routes::AppState;
use crate::store::EventSearch;

/// How many recent events the preview runs the filters against.
pub const PREVIEW: u32 = 100;

fn text_field(id: &str, name: &str, label: &str, value: &str, hint: &str) -> Markup {
    html! {
        div.field {
            label for=(id) { (label) }
            input #(id) name=(name) value=(value) aria-describedby={ (id) "-hint" };
            small #{ (id) "-hint" } .muted { (hint) }
        }
    }
}

fn choice(id: &str, name: &str, label: &str, value: &str, options: &[(&str, &str)]) -> Markup {
    html! {
        div.field {
            label for=(id) { (label) }
            select #(id) name=(name) {
                @for (v, text) in options { option value=(v) selected[*v == value] { (text) } }
            }
        }
    }
}

/// The form, with an error to show (field, message) and a preview section.
fn form_page(f: &SubscriptionForm, error: Option<(String, String)>, preview: Markup) -> Markup {
    let editing = !f.editing.is_empty();
    let action = if editing {
        format!("/console/subscriptions/{}", page::encode(&f.editing))
    } else {
        "/console/subscriptions".to_owned()
    };
    html! {
        h1 { @if editing { "Edit " (f.editing) } @else { "New subscription" } }
        @if let Some((field, message)) = &error {
            p.banner.bad #form-error role="alert" { "Not saved: " code { (field) } " " (message) }
        }
        form.subscription #subscription-form method="post" action=(action) {
            input type="hidden" name="editing" value=(f.editing);
            fieldset {
                legend { "Where" }
                div.field {
                    label for="sub-id" { "Id" }
                    input #sub-id name="id" value=(f.id) readonly[editing] pattern=r"[A-Za-z0-9._~\-]{1,128}"
                        aria-describedby="sub-id-hint";
                    small #sub-id-hint .muted { "Letters, digits, . _ ~ -; empty for a generated one." }
                }
                (choice("sub-mode", "mode", "Mode", &f.mode, &[("push", "push: the gateway POSTs to a sink"), ("pull", "pull: consumers receive")]))
                (text_field("sub-sink", "sink", "Sink URL", &f.sink, "Where deliveries are POSTed (push mode)."))
                (choice("sub-format", "format", "Format", &f.format, &[("binary", "binary"), ("structured", "structured")]))
            }
            fieldset {
                legend { "Which events" }
                div.field {
                    label for="sub-filters" { "Filters (JSON)" }
                    textarea #sub-filters name="filters" rows="4" spellcheck="false"
                        aria-describedby="sub-filters-hint"
                        hx-post="/console/subscriptions/preview" hx-trigger="input changed delay:500ms"
                        hx-target="#preview" hx-select="#preview" hx-swap="outerHTML" { (f.filters) }
                    small #sub-filters-hint .muted {
                        "All must match. Dialects: exact, prefix, suffix, all, any, not, sql. "
                        "Example: " code { r#"[{"prefix": {"type": "com.example.order."}}]"# }
                    }
                }
                @if !editing {
                    (choice("sub-from", "from", "Start from", &f.from, &[("latest", "new events only"), ("earliest", "every retained event, then new ones")]))
                }
                button.secondary #preview-button type="submit" formaction="/console/subscriptions/preview"
                    hx-post="/console/subscriptions/preview" hx-target="#preview" hx-select="#preview" hx-swap="outerHTML" {
                    "Preview filters"
                }
            }
            fieldset {
                legend { "Delivery" }
                (text_field("sub-retry", "retry", "Retries", &f.retry, "Attempts after the first; empty for the gateway's default."))
                (choice("sub-backoff", "backoff_policy", "Backoff", &f.backoff_policy, &[("", "default"), ("exponential", "exponential"), ("linear", "linear")]))
                (text_field("sub-delay", "backoff_delay", "Backoff delay", &f.backoff_delay, "ISO 8601, e.g. PT1S."))
                (text_field("sub-max", "backoff_max", "Backoff max", &f.backoff_max, "ISO 8601, e.g. PT1M."))
                (text_field("sub-timeout", "timeout", "Timeout", &f.timeout, "Per attempt, ISO 8601, e.g. PT10S."))
                (text_field("sub-dls", "dead_letter_sink", "Dead-letter sink", &f.dead_letter_sink, "Optional URL that gets a copy of each dead letter."))
                (text_field("sub-ttl", "ttl", "Event TTL", &f.ttl, "Optional: older events are dead-lettered instead of retried."))
                (choice("sub-ordering", "ordering", "Ordering", &f.ordering, &[("", "none"), ("partitionkey", "per partitionkey")]))
                (text_field("sub-rate", "rate_limit", "Rate limit", &f.rate_limit, "Optional, events per second."))
                (choice("sub-secret", "secret", "Signing", &f.secret, if editing {
                    &[("keep", "keep as it is"), ("generate", "new secret (shown once)"), ("remove", "stop signing")]
                } else {
                    &[("", "unsigned"), ("generate", "sign with a new secret (shown once)")]
                }))
            }
            div.actions {
                button #save type="submit" { @if editing { "Save" } @else { "Create subscription" } }
                " " a href="/console/subscriptions" { "Cancel" }
            }
        }
        (preview)
    }
}

/// The preview: how many of the recent events the filters match, and which.
async fn preview(state: &AppState, filters: &str) -> ConsoleResult<Markup> {
    let text = if filters.trim().is_empty() {
        "[]"
    } else {
        filters
    };
    let parsed = serde_json::from_str::<Value>(text)
        .map_err(|e| format!("the filters are not JSON: {e}"))
        .and_then(|v| Filter::parse_list(&v, "filters").map_err(|e| e.to_string()));
    let filters = match parsed {
        Ok(filters) => filters,
        Err(error) => {
            return Ok(html! {
                section #preview aria-live="polite" { h2 { "Preview" } p.banner.bad #preview-error { (error) } }
            });
        }
    };
    let recent = state
        .store
        .search_events(&EventSearch {
            limit: PREVIEW,
            ..EventSearch::default()
        })
        .await?;
    let mut matched = Vec::new();
    for summary in &recent {
        let Some(stored) = state.store.event_at(summary.cursor.position).await? else {
            continue;
        };
        let Ok(event) = format::from_slice(&stored.body) else {
            continue;
        };
        if filters.iter().all(|f| f.matches(&event)) {
            matched.push((summary.cursor, event));
        }
    }
    Ok(html! {
        section #preview aria-live="polite" aria-labelledby="preview-title" {
            h2 #preview-title { "Preview" }
            p #preview-count { "Matches " strong { (matched.len()) } " of the last " (recent.len()) " events." }
            @if !matched.is_empty() {
                ul.preview {
                    @for (cursor, e) in matched.iter().take(20) {
                        li { a href={ "/console/events/" (cursor) } { (e.ty()) } " " span.mono.muted { (e.source()) " " (e.id()) } }
                    }
                }
            }
        }
    })
}

fn respond(
    status: StatusCode,
    viewer: &Viewer,
    f: &SubscriptionForm,
    error: Option<(String, String)>,
    preview: Markup,
) -> Response {
    let title = if f.editing.is_empty() {
        "New subscription"
    } else {
        "Edit subscription"
    };
    (
        status,
        page::layout(
            title,
            Nav::Subscriptions,
            viewer,
            form_page(f, error, preview),
        ),
    )
        .into_response()
}

/// `GET /console/subscriptions/new`.
pub async fn new_subscription(Extension(viewer): Extension<Viewer>) -> Response {
    let f = SubscriptionForm {
        mode: "push".to_owned(),
        format: "binary".to_owned(),
        filters: "[]".to_owned(),
        from: "latest".to_owned(),
        ..SubscriptionForm::default()
    };
    respond(
        StatusCode::OK,
        &viewer,
        &f,
        None,
        html! { section #preview {} },
    )
}

/// `GET /console/subscriptions/{id}/edit`.
pub async fn edit_subscription(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
) -> ConsoleResult<Response> {
    let missing = || page::not_found(format!("no subscription `{id}`"));
    let sub_id = SubscriptionId::parse(&id).map_err(|_| missing())?;
    let sub = state
        .store
        .subscription(&sub_id)
        .await?
        .ok_or_else(missing)?;
    let f = SubscriptionForm::of(&sub.to_json());
    let preview = preview(&state, &f.filters).await?;
    Ok(respond(StatusCode::OK, &viewer, &f, None, preview))
}

/// `POST /console/subscriptions/preview`: the preview (htmx), or the form with it.
pub async fn preview_filters(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    headers: HeaderMap,
    Form(f): Form<SubscriptionForm>,
) -> ConsoleResult<Response> {
    let preview = preview(&state, &f.filters).await?;
    if page::is_htmx(&headers) {
        return Ok(preview.into_response());
    }
    Ok(respond(StatusCode::OK, &viewer, &f, None, preview))
}

/// Saves the form through the API's own create or replace.
async fn save(state: &AppState, viewer: &Viewer, f: SubscriptionForm) -> ConsoleResult<Response> {
    let body = match f.body() {
        Ok(body) => body,
        Err(error) => {
            let preview = preview(state, &f.filters).await?;
            return Ok(respond(
                StatusCode::UNPROCESSABLE_ENTITY,
                viewer,
                &f,
                Some(error),
                preview,
            ));
        }
    };
    let saved = if f.editing.is_empty() {
        crate::routes::subscriptions::create(state, &body).await
    } else {
        crate::routes::subscriptions::replace(state, &f.editing, &body).await
    };
    let wire = match saved {
        Ok(wire) => wire,
        Err(ApiError::InvalidField { error, .. }) => {
            let preview = preview(state, &f.filters).await?;
            let message = (error.field.clone(), error.message.clone());
            return Ok(respond(
                StatusCode::UNPROCESSABLE_ENTITY,
                viewer,
                &f,
                Some(message),
                preview,
            ));
        }
        Err(ApiError::Conflict(detail)) => {
            let preview = preview(state, &f.filters).await?;
            let message = ("id".to_owned(), detail);
            return Ok(respond(
                StatusCode::CONFLICT,
                viewer,
                &f,
                Some(message),
                preview,
            ));
        }
        Err(other) => return Err(ConsoleError(other)),
    };
    let id = wire["id"].as_str().unwrap_or_default().to_owned();
    let path = format!("/console/subscriptions/{}", page::encode(&id));
    if let Some(secret) = wire["secret"].as_str() {
        let body = html! {
            h1 { "Saved " (id) }
            p.banner.warn role="alert" { "Its signing secret, shown this once — keep it where the subscriber can read it:" }
            pre.code #secret { (secret) }
            p { a href=(path) { "Go to the subscription" } }
        };
        return Ok(page::respond(
            "Subscription saved",
            Nav::Subscriptions,
            viewer,
            body,
        ));
    }
    let done = if f.editing.is_empty() {
        "created"
    } else {
        "updated"
    };
    Ok((
        StatusCode::SEE_OTHER,
        [(LOCATION, format!("{path}?done={done}"))],
    )
        .into_response())
}

/// `POST /console/subscriptions`: create.
pub async fn create_subscription(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Form(mut f): Form<SubscriptionForm>,
) -> ConsoleResult<Response> {
    f.editing.clear();
    save(&state, &viewer, f).await
}

/// `POST /console/subscriptions/{id}`: save an edit.
pub async fn update_subscription(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
    Form(mut f): Form<SubscriptionForm>,
) -> ConsoleResult<Response> {
    f.editing = id.clone();
    f.id = id;
    save(&state, &viewer, f).await
}
