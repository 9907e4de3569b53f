//! The one error type of order-service's API and use cases, and its one `IntoResponse`: every
//! error leaves as `application/problem+json`; 5xx causes are logged, never sent.

use crate::store::StoreError;
use axum::response::{IntoResponse, Response};
use shared_events::Problem;
use shared_events::bus::BusError;
use shared_events::catalog::values::OrderId;

/// Everything that can go wrong handling a request or an event.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The input is not valid (400).
    #[error("{0}")]
    Validation(String),
    /// A prepared problem (a CloudEvent binding or decoding failure, 400).
    #[error("{0}")]
    Problem(Box<Problem>),
    /// The thing asked about does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// A concurrent change won (409).
    #[error("{0}")]
    Conflict(String),
    /// An `Idempotency-Key` was reused with another body (422).
    #[error("the Idempotency-Key was already used with a different request body")]
    IdempotencyMismatch,
    /// Storage failed (500, opaque).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A bus was misused (500, opaque).
    #[error(transparent)]
    Bus(#[from] BusError),
    /// Anything else (500, opaque).
    #[error("{0}")]
    Unexpected(String),
}

impl ApiError {
    /// 404 for an order.
    pub fn not_found(id: OrderId) -> Self {
        Self::NotFound(format!("order {id} does not exist"))
    }

    /// An unexpected failure with a description for the logs.
    pub fn unexpected(what: impl Into<String>) -> Self {
        Self::Unexpected(what.into())
    }

    /// The problem document this error is answered with.
    pub fn to_problem(&self) -> Problem {
        match self {
            Self::Validation(detail) => Problem::bad_request(detail.clone()),
            Self::Problem(problem) => (**problem).clone(),
            Self::NotFound(detail) => Problem::not_found(detail.clone()),
            Self::Conflict(detail) => Problem::conflict(detail.clone()),
            Self::IdempotencyMismatch => {
                Problem::new(http::StatusCode::UNPROCESSABLE_ENTITY).with_detail(self.to_string())
            }
            Self::Store(_) | Self::Bus(_) | Self::Unexpected(_) => Problem::internal(),
        }
    }
}

impl From<Problem> for ApiError {
    fn from(problem: Problem) -> Self {
        Self::Problem(Box::new(problem))
    }
}

impl From<shared_events::catalog::DecodeError> for ApiError {
    fn from(error: shared_events::catalog::DecodeError) -> Self {
        Self::Problem(Box::new(error.into()))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.to_problem();
        if problem.status >= 500 {
            let mut chain = self.to_string();
            let mut source = std::error::Error::source(&self);
            while let Some(cause) = source {
                chain.push_str(": ");
                chain.push_str(&cause.to_string());
                source = cause.source();
            }
            tracing::error!(error = %chain, "request failed");
        }
        problem.into_response()
    }
}
