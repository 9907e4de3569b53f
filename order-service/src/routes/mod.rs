//! The HTTP API, one file per resource, each exporting `router()`; [`crate::startup`] merges
//! them. Shared edge helpers live here: a JSON body reader whose every failure is problem+json,
//! and the `traceparent` of a request.

pub mod events;
pub mod health;
pub mod metrics;
pub mod order_events;
pub mod orders;

use crate::error::ApiError;
use axum::extract::FromRequest;
use axum::extract::Request;
use bytes::Bytes;
use http::HeaderMap;
use serde::de::DeserializeOwned;
use shared_events::Problem;
use shared_events::trace::{TRACEPARENT, Traceparent};

/// The largest JSON body `POST /orders` reads.
pub const MAX_JSON_BODY: usize = 64 * 1024;

/// A JSON request body, parsed with serde; too large is 413, malformed or invalid is 400, both
/// problem+json. Also keeps the raw value (for idempotency hashing).
pub struct JsonBody<T> {
    /// The parsed body.
    pub value: T,
    /// The body as a JSON value.
    pub json: serde_json::Value,
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                let status = rejection.status();
                ApiError::from(Problem::new(status).with_detail(rejection.body_text()))
            })?;
        let json: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::Validation(format!("the body is not JSON: {e}")))?;
        let value = serde_json::from_value(json.clone())
            .map_err(|e| ApiError::Validation(e.to_string()))?;
        Ok(Self { value, json })
    }
}

/// The request's `traceparent`, if it sent a valid one.
pub fn request_trace(headers: &HeaderMap) -> Option<Traceparent> {
    headers
        .get(TRACEPARENT)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Traceparent::parse(v).ok())
}

/// Query-string parameters parsed with serde; a bad one is a 400 problem.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|rejection| ApiError::Validation(rejection.body_text()))
    }
}
