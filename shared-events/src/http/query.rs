//! Request/response over CloudEvents (feature `reqwest`): send a typed query event, get the typed
//! reply event from the HTTP response, or a typed error, within a timeout.
//!
//! The responder answers 200 with the reply (binary or structured mode), 404 problem+json when it
//! knows nothing about the query's subject, and 400 for a malformed query.

use super::reqwest::{RequestBuilderExt, ResponseExt};
use crate::catalog::{self, CatalogType, Kind};
use crate::producer::Producer;
use crate::trace::Traceparent;
use std::time::Duration;
use url::Url;

/// Why a typed query got no typed reply.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The responder knows nothing about the subject (404).
    #[error("not found")]
    NotFound,
    /// No answer within the timeout, a transport failure or an error status.
    #[error("no answer: {0}")]
    Unavailable(String),
    /// An answer that is not the expected reply.
    #[error("unexpected reply: {0}")]
    BadReply(String),
}

/// Sends `query` (built by `producer`, carrying `trace`) to `url` in binary mode and decodes the
/// reply as `R`, all within `timeout` (connect, send and reading the reply).
///
/// # Errors
/// [`QueryError`] saying why there is no reply.
pub async fn query<Q: CatalogType, R: CatalogType>(
    client: &reqwest::Client,
    url: &Url,
    producer: &Producer,
    query: &Q,
    trace: &Traceparent,
    timeout: Duration,
) -> Result<R, QueryError> {
    debug_assert_eq!(Q::KIND, Kind::Query, "{} is not a query", Q::TYPE);
    debug_assert_eq!(R::KIND, Kind::Reply, "{} is not a reply", R::TYPE);
    let event = producer.event(query, trace);
    // reqwest's per-request timeout covers the whole exchange, body included.
    let response = client
        .post(url.clone())
        .timeout(timeout)
        .cloudevent(&event)
        .map_err(|e| QueryError::BadReply(e.to_string()))?
        .send()
        .await
        .map_err(|e| QueryError::Unavailable(e.to_string()))?;
    let status = response.status();
    if status == reqwest::StatusCode::NOT_FOUND {
        return Err(QueryError::NotFound);
    }
    if !status.is_success() {
        return Err(QueryError::Unavailable(format!("answered {status}")));
    }
    let reply = response
        .into_cloudevent()
        .await
        .map_err(|e| QueryError::BadReply(e.to_string()))?
        .ok_or_else(|| QueryError::BadReply("the response carries no event".to_owned()))?;
    catalog::decode::<R>(&reply).map_err(|e| QueryError::BadReply(e.to_string()))
}
