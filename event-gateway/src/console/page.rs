//! What every console page shares: the layout (navigation, skip link, keyboard help), the
//! security headers, the HTML error page, and small formatting helpers.

use std::time::Duration;

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use maud::{DOCTYPE, Markup, html};

use super::assets;
use crate::error::ApiError;

/// Who is looking, as [`super::access::gate`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    /// May act (redeliver, pause, edit), not only look.
    pub can_write: bool,
    /// Came in with the login cookie (so may sign out).
    pub signed_in: bool,
}

impl Viewer {
    /// Anyone on an open console.
    pub fn open() -> Self {
        Self {
            can_write: true,
            signed_in: false,
        }
    }

    /// Nobody yet (the login page).
    pub fn anonymous() -> Self {
        Self {
            can_write: false,
            signed_in: false,
        }
    }
}

/// The navigation entry of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// Overview.
    Overview,
    /// Live tail.
    Tail,
    /// Events (search and detail).
    Events,
    /// Dead letters.
    DeadLetters,
    /// Subscriptions.
    Subscriptions,
    /// Catalog.
    Catalog,
    /// None (login, errors).
    None,
}

const NAV: &[(Nav, &str, &str, &str)] = &[
    (Nav::Overview, "/console", "Overview", "g o"),
    (Nav::Tail, "/console/tail", "Live tail", "g t"),
    (Nav::Events, "/console/events", "Events", "g e"),
    (
        Nav::DeadLetters,
        "/console/deadletters",
        "Dead letters",
        "g d",
    ),
    (
        Nav::Subscriptions,
        "/console/subscriptions",
        "Subscriptions",
        "g s",
    ),
    (Nav::Catalog, "/console/catalog", "Catalog", "g c"),
];

const SHORTCUTS: &[(&str, &str)] = &[
    (
        "g o, g t, g e, g d, g s, g c",
        "go to a page (as in the menu)",
    ),
    ("/", "focus the page's filter or search box"),
    ("Esc", "leave a text box; close this help"),
    ("Space", "live tail: pause or resume"),
    ("j / k", "live tail: next / previous entry"),
    ("Enter", "live tail: open the selected entry's event"),
    ("?", "show this help"),
];

/// The page around `main`.
pub fn layout(title: &str, current: Nav, viewer: &Viewer, main: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="htmx-config" content=r#"{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false}"#;
                title { (title) " · event-gateway console" }
                link rel="icon" href="data:,";
                link rel="stylesheet" href=(assets::url("console.css"));
                script src=(assets::url("htmx.min.js")) defer {}
                script src=(assets::url("console.js")) defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/console" { "event-gateway" }
                    nav aria-label="Console" {
                        ul {
                            @for (nav, href, label, keys) in NAV {
                                li {
                                    a href=(href) aria-current=[(*nav == current).then_some("page")]
                                        data-shortcut=(keys) { (label) }
                                }
                            }
                        }
                    }
                    @if viewer.signed_in {
                        form.signout method="post" action="/console/logout" {
                            button.link type="submit" { "Sign out" }
                        }
                    }
                }
                main #main tabindex="-1" { (main) }
                footer.bottom {
                    "Press " kbd { "?" } " for keyboard shortcuts. "
                    a href="/metrics" { "Metrics" } " · " a href="/registry" { "Registry" }
                }
                dialog #help aria-labelledby="help-title" {
                    h2 #help-title { "Keyboard shortcuts" }
                    dl.shortcuts {
                        @for (keys, what) in SHORTCUTS {
                            dt { kbd { (keys) } } dd { (what) }
                        }
                    }
                    form method="dialog" { button type="submit" { "Close" } }
                }
            }
        }
    }
}

/// A full page answer.
pub fn respond(title: &str, current: Nav, viewer: &Viewer, main: Markup) -> Response {
    layout(title, current, viewer, main).into_response()
}

/// The security headers of console answers: no framing, no sniffing, scripts and styles only
/// from the console's own assets; pages are never cached, assets for a year (their URLs change
/// with their content).
pub fn secure_headers(headers: &mut HeaderMap, asset: bool) {
    let set = |headers: &mut HeaderMap, name: &'static str, value: &'static str| {
        headers
            .entry(name)
            .or_insert_with(|| HeaderValue::from_static(value));
    };
    set(
        headers,
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'",
    );
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "x-frame-options", "DENY");
    set(headers, "referrer-policy", "same-origin");
    if !asset {
        let html = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        if html {
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
}

/// An HTML error page with `status`.
pub fn error_page(status: StatusCode, title: &str, detail: &str) -> Response {
    let body = html! {
        h1 { (title) }
        p.banner.bad role="alert" { (detail) }
        p { a href="/console" { "Back to the overview" } }
    };
    (status, layout(title, Nav::None, &Viewer::anonymous(), body)).into_response()
}

/// What a console handler fails with: the API's errors, shown as a page.
#[derive(Debug)]
pub struct ConsoleError(pub ApiError);

impl<E: Into<ApiError>> From<E> for ConsoleError {
    fn from(error: E) -> Self {
        Self(error.into())
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let detail = self.0.to_string();
        // The API's answer decides the status (and logs a 5xx with its cause).
        let status = self.0.into_response().status();
        let title = status.canonical_reason().unwrap_or("Error");
        error_page(status, title, &detail)
    }
}

/// A console handler's result.
pub type ConsoleResult<T = Response> = Result<T, ConsoleError>;

/// A not-found error.
pub fn not_found(what: impl Into<String>) -> ConsoleError {
    ConsoleError(ApiError::NotFound(what.into()))
}

/// Whether the request came from htmx (so a fragment, not a page, is the answer).
pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request") && !headers.contains_key("hx-boosted")
}

/// Percent-encodes `text` for a URL query value or path segment.
pub fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A query string (`?a=1&b=2`, empty without pairs) of the pairs whose value is not empty.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// A time as the console shows it, in a `<time>` element with the exact instant.
pub fn time(at: DateTime<Utc>) -> Markup {
    html! {
        time datetime=(at.to_rfc3339_opts(SecondsFormat::Millis, true))
            title=(at.to_rfc3339_opts(SecondsFormat::Millis, true)) {
            (at.format("%Y-%m-%d %H:%M:%S%.3f"))
        }
    }
}

/// A duration in the largest sensible unit: `840 ms`, `12.4 s`, `3 min 5 s`, `2 h 10 min`.
pub fn duration(d: Duration) -> String {
    let ms = d.as_millis();
    let secs = d.as_secs();
    if ms < 1000 {
        format!("{ms} ms")
    } else if secs < 60 {
        format!("{:.1} s", d.as_secs_f64())
    } else if secs < 3600 {
        format!("{} min {} s", secs / 60, secs % 60)
    } else if secs < 86_400 {
        format!("{} h {} min", secs / 3600, (secs % 3600) / 60)
    } else {
        format!("{} d {} h", secs / 86_400, (secs % 86_400) / 3600)
    }
}

/// How long ago `at` was, as [`duration`].
pub fn age(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    duration((now - at).to_std().unwrap_or_default())
}

/// A status badge: its class says how it went (`good`, `bad`, `warn`, `info`).
pub fn badge(text: &str) -> Markup {
    let class = match text {
        "delivered" | "active" | "valid" => "good",
        "dead_lettered" | "disabled" | "refused" | "invalid" | "failed" => "bad",
        "retry" | "retrying" | "paused" | "pending_validation" | "in_flight" => "warn",
        _ => "info",
    };
    html! { span class={ "badge " (class) } { (text.replace('_', " ")) } }
}

/// An HTTP status as a badge (`200` good, `4xx`/`5xx` bad, none as "—").
pub fn status_badge(status: Option<u64>) -> Markup {
    match status {
        Some(s) if (200..300).contains(&s) => html! { span.badge.good { (s) } },
        Some(s) => html! { span.badge.bad { (s) } },
        None => html! { span.muted { "—" } },
    }
}

/// JSON pretty-printed (the text itself when it is not JSON).
pub fn pretty_json(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_owned())
}

/// The `?done=` of a page that a form redirected to: which action just succeeded.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Done {
    /// A code of [`flash`]'s.
    pub done: Option<String>,
}

/// The message of a `?done=` code (codes, not text, so a link cannot make the console say
/// anything else).
pub fn flash(code: Option<&str>) -> Markup {
    let message = match code {
        Some("resent") => "Sending again: a replay job of this event started.",
        Some("redelivered") => "Redelivered: the delivery is due again.",
        Some("created") => "Subscription created.",
        Some("updated") => "Subscription saved.",
        Some("paused") => "Paused: matching events are kept and nothing is attempted.",
        Some("resumed") => "Resumed: deliveries flow again.",
        _ => return html! {},
    };
    html! { p.banner.good #flash role="status" { (message) } }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time_text(text: &str) -> Markup {
        html! { time datetime=(text) { (text) } }
    }

    #[test]
    fn durations_read_in_their_largest_unit() {
        assert_eq!(duration(Duration::from_millis(840)), "840 ms");
        assert_eq!(duration(Duration::from_millis(12_400)), "12.4 s");
        assert_eq!(duration(Duration::from_secs(185)), "3 min 5 s");
        assert_eq!(duration(Duration::from_secs(7_800)), "2 h 10 min");
        assert_eq!(duration(Duration::from_secs(90_000)), "1 d 1 h");
    }

    #[test]
    fn query_strings_skip_empty_values_and_encode_the_rest() {
        assert_eq!(query(&[("a", ""), ("b", "")]), "");
        assert_eq!(
            query(&[("type", "a b&c"), ("x", ""), ("id", "<1>")]),
            "?type=a+b%26c&id=%3C1%3E"
        );
    }

    #[test]
    fn hostile_text_is_escaped_in_every_helper() {
        let hostile = "<script>alert(1)</script>";
        let rendered =
            html! { (badge(hostile)) (flash(Some(hostile))) (time_text(hostile)) }.into_string();
        assert!(!rendered.contains("<script>"), "{rendered}");
        assert!(rendered.contains("&lt;script&gt;"));
    }
}
