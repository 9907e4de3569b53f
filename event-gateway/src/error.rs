//! The one API error type and its one `IntoResponse`: every error is `application/problem+json`;
//! 5xx causes are logged in full and never sent. [`problem_json`] makes the same true of the
//! answers axum and tower give by themselves (unknown route, wrong method, body too large,
//! timeout), so a client sees problem+json on every 4xx and 5xx.

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::CONTENT_TYPE;
use http_body_util::BodyExt;
use shared_events::Problem;

use crate::domain::FieldError;
use crate::ingest::IngestError;
use crate::store::StoreError;

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A request body field is wrong.
    #[error("invalid {what}: {error}")]
    InvalidField {
        /// What the body is ("subscription").
        what: &'static str,
        /// The field and why.
        error: FieldError,
    },
    /// A query parameter or path segment is wrong.
    #[error("{detail}")]
    BadRequest {
        /// What is wrong.
        detail: String,
        /// The parameter.
        parameter: &'static str,
    },
    /// An event of a request is refused: the problem already says which and why.
    #[error("{0}")]
    InvalidEvent(Box<Problem>),
    /// The thing does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with what exists.
    #[error("{0}")]
    Conflict(String),
    /// The request is not authenticated (a bad or missing webhook signature).
    #[error("{0}")]
    Unauthorized(String),
    /// The gateway is shutting down.
    #[error("the gateway is shutting down")]
    Unavailable,
    /// The database failed.
    #[error("storage failed")]
    Store(#[from] StoreError),
    /// Anything else.
    #[error("unexpected error")]
    Unexpected(#[from] anyhow::Error),
}

impl From<IngestError> for ApiError {
    fn from(error: IngestError) -> Self {
        match error {
            IngestError::Closed => Self::Unavailable,
            IngestError::Store(_) => Self::Unexpected(anyhow::Error::new(error)),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = match &self {
            Self::InvalidField { what, error } => {
                let problem = Problem::bad_request(format!("invalid {what}: {error}"))
                    .with("field", error.field.clone());
                match error.position {
                    Some(position) => problem.with("position", position),
                    None => problem,
                }
            }
            Self::BadRequest { detail, parameter } => {
                Problem::bad_request(detail.clone()).with("parameter", *parameter)
            }
            Self::InvalidEvent(problem) => (**problem).clone(),
            Self::NotFound(detail) => Problem::not_found(detail.clone()),
            Self::Conflict(detail) => Problem::conflict(detail.clone()),
            Self::Unauthorized(detail) => {
                Problem::new(StatusCode::UNAUTHORIZED).with_detail(detail.clone())
            }
            Self::Unavailable => {
                Problem::new(StatusCode::SERVICE_UNAVAILABLE).with_detail(self.to_string())
            }
            Self::Store(_) | Self::Unexpected(_) => {
                tracing::error!(error = ?self, "request failed");
                Problem::internal()
            }
        };
        problem.into_response()
    }
}

/// The most of a plain error body that is carried over into the problem's `detail`.
const DETAIL_MAX: usize = 1024;

/// Middleware: an error answer that is not problem+json already (axum's rejections, 404 and
/// 405, the body limit's 413, the timeout's 408) becomes one with the same status, its text as
/// the `detail`, and its other headers (`Allow`, `Retry-After`) kept. The console's HTML pages
/// (a form shown again with its errors, a refusal) are documents already and pass as they are.
pub async fn problem_json(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_document = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json") || v.starts_with("text/html"));
    if is_document {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = match http_body_util::Limited::new(body, DETAIL_MAX * 4)
        .collect()
        .await
    {
        Ok(collected) => String::from_utf8_lossy(&collected.to_bytes()).into_owned(),
        Err(_) => String::new(),
    };
    let mut problem = Problem::new(status);
    let detail: String = text.trim().chars().take(DETAIL_MAX).collect();
    if !detail.is_empty() {
        problem = problem.with_detail(detail);
    } else if status == StatusCode::NOT_FOUND {
        problem = problem.with_detail("no such resource");
    } else if status == StatusCode::METHOD_NOT_ALLOWED {
        problem = problem.with_detail("this resource does not accept that method");
    }
    let fresh = problem.into_response();
    parts.headers.remove(http::header::CONTENT_LENGTH);
    let (fresh_parts, fresh_body) = fresh.into_parts();
    for (name, value) in &fresh_parts.headers {
        parts.headers.insert(name.clone(), value.clone());
    }
    Response::from_parts(parts, Body::new(fresh_body))
}
