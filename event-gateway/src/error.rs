//! The one API error type and its one `IntoResponse`: every error is `application/problem+json`;
//! 5xx causes are logged in full and never sent.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
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
