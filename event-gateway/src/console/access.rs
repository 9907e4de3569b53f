//! Who may use the console, decided once at start ([`Access::decide`]) and enforced on every
//! request ([`gate`]):
//!
//! - With API tokens configured, the console needs one, exactly as the API does (a read token
//!   may look, a write token may also act). A browser gives it once through the login form and
//!   keeps it in an `HttpOnly`, `SameSite=Strict` cookie scoped to `/console`; scripts and
//!   tools may send `Authorization: Bearer` instead.
//! - Without tokens on a loopback listener, the console is open, like the API — but only to
//!   requests whose `Host` is a loopback name, so a web page cannot reach it through DNS
//!   rebinding.
//! - Without tokens on any other listener (`--insecure`), the console is off: an open API on a
//!   trusted network is a choice for machines, not a browser tab anyone there could open.
//!
//! Every form post must come from the console itself: a `Sec-Fetch-Site` other than
//! `same-origin` (or `none`), or an `Origin` other than the request's own, is refused, whatever
//! the cookie says.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Query, Request, State};
use axum::http::header::{AUTHORIZATION, COOKIE, HOST, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use maud::html;
use serde::Deserialize;

use super::ConsoleSettings;
use super::page::{self, Viewer};
use crate::auth::{Scope, Tokens};

/// The login cookie's name.
pub const COOKIE_NAME: &str = "gateway_console";

/// Who may use the console.
#[derive(Debug, Clone)]
pub enum Access {
    /// No tokens, loopback listener: anyone on this machine.
    Open,
    /// Tokens configured: only with one.
    Protected(Tokens),
    /// No tokens, reachable from the network: nobody.
    Off,
}

impl Access {
    /// The access of a console listening on `listen` with `tokens`.
    pub fn decide(listen: IpAddr, tokens: &Tokens) -> Self {
        if tokens.enabled() {
            Self::Protected(tokens.clone())
        } else if listen.is_loopback() {
            Self::Open
        } else {
            Self::Off
        }
    }
}

/// The token a request carries: a bearer header, else the login cookie.
fn presented_token(headers: &HeaderMap) -> Option<(String, bool)> {
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    if let Some(token) = bearer {
        return Some((token.to_owned(), false));
    }
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .and_then(|(_, value)| URL_SAFE_NO_PAD.decode(value).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .map(|token| (token, true))
}

/// Whether `host` (a `Host` header) names this machine's loopback interface.
pub fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(name, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                name
            } else {
                host
            }
        })
    };
    name.eq_ignore_ascii_case("localhost")
        || name.to_ascii_lowercase().ends_with(".localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether a state-changing request comes from the console's own pages (or from a tool that
/// sends neither header).
fn same_origin(headers: &HeaderMap) -> bool {
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if fetch_site.is_some_and(|site| site != "same-origin" && site != "none") {
        return false;
    }
    let Some(origin) = headers.get("origin").and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers.get(HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'));
    matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
}

fn refuse(status: StatusCode, title: &str, detail: &str) -> Response {
    page::error_page(status, title, detail)
}

/// The middleware in front of every console route: decides who the viewer is (or refuses),
/// and puts the security headers on every answer.
pub async fn gate(
    State(settings): State<Arc<ConsoleSettings>>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let public = path == "/console/login" || path.starts_with("/console/assets/");
    let writes = !matches!(*request.method(), Method::GET | Method::HEAD);
    if writes && !same_origin(request.headers()) {
        return refuse(
            StatusCode::FORBIDDEN,
            "Cross-site request refused",
            "The console only accepts forms posted from its own pages.",
        );
    }
    let viewer = match &settings.access {
        Access::Off => {
            return refuse(
                StatusCode::FORBIDDEN,
                "The console is off",
                "This gateway listens on a non-loopback address without API tokens. Configure \
                 tokens (GATEWAY_API_TOKENS or --api-token) to use the console from the \
                 network, or listen on a loopback address.",
            );
        }
        Access::Open => {
            let host = request
                .headers()
                .get(HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !is_loopback_host(host) {
                return refuse(
                    StatusCode::FORBIDDEN,
                    "Use a loopback address",
                    "Without API tokens the console answers only requests addressed to \
                     localhost or a loopback IP address.",
                );
            }
            Viewer::open()
        }
        Access::Protected(tokens) => {
            let scope = presented_token(request.headers())
                .and_then(|(token, cookie)| tokens.scope_of(&token).map(|s| (s, cookie)));
            match scope {
                Some((scope, cookie)) => Viewer {
                    can_write: scope == Scope::Write,
                    signed_in: cookie,
                },
                None if public => Viewer::anonymous(),
                None if *request.method() == Method::GET => {
                    let target = request
                        .uri()
                        .path_and_query()
                        .map_or("/console", |p| p.as_str());
                    let location = format!("/console/login?next={}", page::encode(target));
                    return (StatusCode::SEE_OTHER, [(LOCATION, location)]).into_response();
                }
                None => {
                    return refuse(
                        StatusCode::UNAUTHORIZED,
                        "Sign in first",
                        "This action needs an API token: sign in at /console/login.",
                    );
                }
            }
        }
    };
    if writes && !viewer.can_write && !public {
        return refuse(
            StatusCode::FORBIDDEN,
            "Read-only token",
            "This token may only read; redelivering, pausing and editing need a write token.",
        );
    }
    request.extensions_mut().insert(viewer);
    let mut response = next.run(request).await;
    page::secure_headers(response.headers_mut(), path.starts_with("/console/assets/"));
    response
}

/// `GET /console/login` parameters.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// Where to go after signing in: a console path, never another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/console") && !n.starts_with("//") && !n.contains('\\') => {
            n.to_owned()
        }
        _ => "/console".to_owned(),
    }
}

fn login_page(status: StatusCode, next: &str, error: Option<&str>, open: bool) -> Response {
    let body = html! {
        h1 { "Sign in" }
        @if open {
            p { "This console is open to this machine: no token is needed." }
            p { a href="/console" { "Go to the overview" } }
        } @else {
            p { "Give one of the gateway's API tokens. It is kept in a cookie only this console \
                 reads (HttpOnly, SameSite=Strict) until you sign out or close the browser." }
            @if let Some(error) = error {
                p.banner.bad role="alert" { (error) }
            }
            form.login method="post" action="/console/login" {
                input type="hidden" name="next" value=(next);
                label for="token" { "API token" }
                input #token type="password" name="token" autocomplete="current-password" required autofocus;
                button type="submit" { "Sign in" }
            }
        }
    };
    let markup = page::layout("Sign in", page::Nav::None, &Viewer::anonymous(), body);
    (status, markup).into_response()
}

/// The login form.
pub async fn show_login(
    Extension(settings): Extension<Arc<ConsoleSettings>>,
    Query(query): Query<LoginQuery>,
) -> Response {
    let open = matches!(settings.access, Access::Open);
    login_page(
        StatusCode::OK,
        &safe_next(query.next.as_deref()),
        None,
        open,
    )
}

/// The login form's fields.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    token: String,
    next: Option<String>,
}

/// Checks the token and keeps it in the login cookie.
pub async fn log_in(
    Extension(settings): Extension<Arc<ConsoleSettings>>,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let Access::Protected(tokens) = &settings.access else {
        return (StatusCode::SEE_OTHER, [(LOCATION, next)]).into_response();
    };
    let token = form.token.trim();
    if tokens.scope_of(token).is_none() {
        return login_page(
            StatusCode::UNAUTHORIZED,
            &next,
            Some("That is not one of this gateway's tokens."),
            false,
        );
    }
    let secure = if settings.secure_cookie {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{COOKIE_NAME}={}; Path=/console; HttpOnly; SameSite=Strict{secure}",
        URL_SAFE_NO_PAD.encode(token)
    );
    let mut response = (StatusCode::SEE_OTHER, [(LOCATION, next)]).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    response
}

/// Forgets the login cookie.
pub async fn log_out() -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(LOCATION, "/console/login")]).into_response();
    response.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_static(
            "gateway_console=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0",
        ),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(text: &str) -> crate::auth::BearerToken {
        text.parse().expect("a token")
    }

    #[test]
    fn the_console_is_off_on_a_network_listener_without_tokens() {
        let none = Tokens::default();
        let some = Tokens::new(vec![token("write-token-0123456789")], vec![]);
        let lan: IpAddr = "0.0.0.0".parse().expect("an address");
        let lo: IpAddr = "127.0.0.1".parse().expect("an address");
        assert!(matches!(Access::decide(lan, &none), Access::Off));
        assert!(matches!(Access::decide(lo, &none), Access::Open));
        assert!(matches!(Access::decide(lan, &some), Access::Protected(_)));
        assert!(matches!(Access::decide(lo, &some), Access::Protected(_)));
    }

    #[test]
    fn only_loopback_host_names_pass_when_the_console_is_open() {
        for host in [
            "localhost",
            "localhost:8080",
            "127.0.0.1:9",
            "[::1]:8080",
            "app.localhost:1",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:8080",
            "10.0.0.1:80",
            "localhost.evil.example",
            "",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn forms_posted_from_other_sites_are_told_apart() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (k, v) in pairs {
                map.insert(*k, HeaderValue::from_static(v));
            }
            map
        };
        assert!(same_origin(&headers(&[("host", "127.0.0.1:8080")])));
        assert!(same_origin(&headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080"),
            ("sec-fetch-site", "same-origin"),
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://evil.example"),
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "127.0.0.1:8080"),
            ("sec-fetch-site", "cross-site"),
        ])));
        assert_eq!(safe_next(Some("//evil.example")), "/console");
        assert_eq!(safe_next(Some("https://evil.example")), "/console");
        assert_eq!(
            safe_next(Some("/console/events?id=1")),
            "/console/events?id=1"
        );
    }
}
