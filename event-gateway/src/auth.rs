//! Bearer tokens for the management API and `/events`: a write token may do anything, a read
//! token only `GET`/`HEAD`. Tokens come from settings (never logged: `Debug` redacts them) and
//! are compared in constant time. With no token configured the API is open, which
//! [`crate::startup`] allows only on a loopback listener (or with `--insecure`).

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{Method, StatusCode};
use shared_events::Problem;

use crate::domain::signing::tokens_match;

/// A bearer token. `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct BearerToken(String);

impl BearerToken {
    /// The token's bytes, for comparing.
    fn bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl FromStr for BearerToken {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.len() < 16 || !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("a token is at least 16 visible ASCII characters".to_owned());
        }
        Ok(Self(text.to_owned()))
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken(redacted)")
    }
}

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `GET` and `HEAD`.
    Read,
    /// Everything.
    Write,
}

/// The configured tokens.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    write: Arc<[BearerToken]>,
    read: Arc<[BearerToken]>,
}

impl Tokens {
    /// Tokens from settings.
    pub fn new(write: Vec<BearerToken>, read: Vec<BearerToken>) -> Self {
        Self {
            write: write.into(),
            read: read.into(),
        }
    }

    /// Whether any token is configured (and so the API is protected).
    pub fn enabled(&self) -> bool {
        !self.write.is_empty() || !self.read.is_empty()
    }

    /// The scope `given` grants, checking every token without stopping early.
    pub fn scope_of(&self, given: &str) -> Option<Scope> {
        let given = given.as_bytes();
        let write = self
            .write
            .iter()
            .fold(false, |found, t| tokens_match(given, t.bytes()) | found);
        let read = self
            .read
            .iter()
            .fold(false, |found, t| tokens_match(given, t.bytes()) | found);
        if write {
            Some(Scope::Write)
        } else if read {
            Some(Scope::Read)
        } else {
            None
        }
    }
}

fn unauthorized(detail: &str) -> Response {
    let mut response = Problem::new(StatusCode::UNAUTHORIZED)
        .with_detail(detail)
        .into_response();
    response.headers_mut().insert(
        WWW_AUTHENTICATE,
        http::HeaderValue::from_static("Bearer realm=\"event-gateway\""),
    );
    response
}

/// The middleware: lets a request through when its `Authorization: Bearer` token has the scope
/// its method needs; 401 (no or unknown token) or 403 (read token, write method) otherwise.
pub async fn require_token(State(tokens): State<Tokens>, request: Request, next: Next) -> Response {
    if !tokens.enabled() {
        return next.run(request).await;
    }
    let given = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    let Some(given) = given else {
        return unauthorized("this endpoint needs an `Authorization: Bearer <token>` header");
    };
    let needs = if matches!(*request.method(), Method::GET | Method::HEAD) {
        Scope::Read
    } else {
        Scope::Write
    };
    match (tokens.scope_of(given), needs) {
        (None, _) => unauthorized("the bearer token is not valid"),
        (Some(Scope::Read), Scope::Write) => Problem::new(StatusCode::FORBIDDEN)
            .with_detail("this token may only read (GET); writing needs a write token")
            .into_response(),
        _ => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(text: &str) -> BearerToken {
        text.parse().expect("a token")
    }

    #[test]
    fn tokens_grant_their_scope_and_never_show() {
        let tokens = Tokens::new(
            vec![token("write-token-0123456789")],
            vec![token("read-token-0123456789")],
        );
        assert_eq!(
            tokens.scope_of("write-token-0123456789"),
            Some(Scope::Write)
        );
        assert_eq!(tokens.scope_of("read-token-0123456789"), Some(Scope::Read));
        assert_eq!(tokens.scope_of("read-token-012345678"), None);
        assert!(!format!("{tokens:?}").contains("0123456789"));
        assert!("short".parse::<BearerToken>().is_err());
    }
}
