//! The HTTP API, one file per resource, each exporting `router()`; [`crate::startup`] merges
//! them.

pub mod events;
pub mod health;
pub mod metrics;
pub mod payments;

use crate::error::ApiError;
use serde::de::DeserializeOwned;

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
