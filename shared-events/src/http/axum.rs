//! Receiving and answering CloudEvents with axum (feature `axum`).
//!
//! - [`CloudEvent`]: one event, binary or structured mode; a batch gets 400.
//! - [`CloudEventBatch`]: a batch only (`application/cloudevents-batch+json`); anything else gets
//!   415, so a client cannot mistake a batch endpoint for a single-event one. It is also a
//!   response: a batch body.
//! - [`Incoming`]: either, with the mode.
//! - [`Mode`]: the request's mode alone (from its headers), to answer in kind.
//! - [`Typed<T>`]: one event of a catalog type, its data checked against the type's schema and
//!   deserialised; a wrong type or invalid data gets 400 naming the attribute (and JSON pointer).
//! - [`CloudEventResponse`]: a reply event in binary, structured or batched mode.
//!
//! Rejections are [`BindingError`]s, answered as 400/413/415 `application/problem+json` naming
//! the attribute and header. Bodies are limited to [`DEFAULT_BODY_LIMIT`] (1 MiB) unless a
//! [`BodyLimit`] request extension says otherwise (`.layer(Extension(BodyLimit(64 * 1024)))`);
//! a larger body is a 413. axum's `DefaultBodyLimit` does not apply to these extractors.
//!
//! # Example
//!
//! ```
//! use axum::{Router, routing::post};
//! use shared_events::AttributesReader;
//! use shared_events::http::Mode;
//! use shared_events::http::axum::{CloudEvent, CloudEventResponse};
//!
//! async fn handle_event(mode: Mode, CloudEvent(event): CloudEvent) -> CloudEventResponse {
//!     // Answer with the same event, in the request's mode.
//!     assert_eq!(event.subject(), Some("Euro € 😀"));
//!     CloudEventResponse::new(event, mode)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let app = Router::new().route("/events", post(handle_event));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let url = format!("http://{}/events", listener.local_addr()?);
//! tokio::spawn(async move { axum::serve(listener, app).await });
//!
//! // What `curl -H 'ce-specversion: 1.0' …` would send.
//! let response = reqwest::Client::new()
//!     .post(&url)
//!     .header("ce-specversion", "1.0")
//!     .header("ce-id", "1")
//!     .header("ce-source", "/curl")
//!     .header("ce-type", "com.example.order.get.v1")
//!     .header("ce-subject", "Euro%20%E2%82%AC%20%F0%9F%98%80")
//!     .header("content-type", "application/json")
//!     .body(r#"{"order_id": "o-1"}"#)
//!     .send()
//!     .await?;
//! assert_eq!(response.status(), 200);
//! assert_eq!(response.headers()["ce-id"], "1");
//!
//! // An empty id is a 400 problem naming the attribute.
//! let response = reqwest::Client::new()
//!     .post(&url)
//!     .header("ce-specversion", "1.0")
//!     .header("ce-id", "")
//!     .header("ce-source", "/curl")
//!     .header("ce-type", "com.example.order.get.v1")
//!     .send()
//!     .await?;
//! assert_eq!(response.status(), 400);
//! assert_eq!(response.headers()["content-type"], "application/problem+json");
//! let problem: serde_json::Value = response.json().await?;
//! assert_eq!(problem["attribute"], "id");
//! # Ok(())
//! # }
//! ```

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use cloudevents::{AttributesReader, Event};
use http::StatusCode;
use http::header::CONTENT_LENGTH;
use http::request::Parts;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::{BindingError, DEFAULT_BODY_LIMIT, Incoming, Mode};
use crate::catalog::{self, CatalogType};
use crate::problem::Problem;

/// The largest body the extractors read, as a request extension; [`DEFAULT_BODY_LIMIT`] when
/// absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimit(pub usize);

impl Default for BodyLimit {
    fn default() -> Self {
        Self(DEFAULT_BODY_LIMIT)
    }
}

/// One CloudEvent, in binary or structured mode.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudEvent(pub Event);

/// A batch of CloudEvents (`application/cloudevents-batch+json`), possibly empty. As a response,
/// a 200 with the batch as its body.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudEventBatch(pub Vec<Event>);

/// Reads the body within the request's [`BodyLimit`].
async fn read_body(request: Request) -> Result<(Parts, Bytes), BindingError> {
    let (parts, body) = request.into_parts();
    let limit = parts
        .extensions
        .get::<BodyLimit>()
        .copied()
        .unwrap_or_default()
        .0;
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(BindingError::BodyTooLarge { limit });
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok((parts, collected.to_bytes())),
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => {
            Err(BindingError::BodyTooLarge { limit })
        }
        Err(error) => Err(BindingError::Body(error.to_string())),
    }
}

impl<S: Send + Sync> FromRequest<S> for Incoming {
    type Rejection = BindingError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        Mode::detect(request.headers())?;
        let (parts, body) = read_body(request).await?;
        super::decode_request(&parts.headers, body)
    }
}

impl<S: Send + Sync> FromRequest<S> for CloudEvent {
    type Rejection = BindingError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if Mode::detect(request.headers())? == Mode::Batch {
            return Err(BindingError::UnexpectedBatch);
        }
        match Incoming::from_request(request, state).await? {
            Incoming::Single(event, _) => Ok(Self(event)),
            Incoming::Batch(_) => Err(BindingError::UnexpectedBatch),
        }
    }
}

impl<S: Send + Sync> FromRequest<S> for CloudEventBatch {
    type Rejection = BindingError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if Mode::detect(request.headers())? != Mode::Batch {
            let found = request
                .headers()
                .get(http::header::CONTENT_TYPE)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .unwrap_or_default();
            return Err(BindingError::ExpectedBatch { found });
        }
        Ok(Self(
            Incoming::from_request(request, state).await?.into_events(),
        ))
    }
}

/// One event of catalog type `T` (binary or structured mode) with its data decoded: the event's
/// `type` must be `T::TYPE` and its data must satisfy `T`'s schema ([`catalog::decode`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Typed<T> {
    /// The event as received.
    pub event: Event,
    /// Its data as `T`.
    pub data: T,
}

impl<S: Send + Sync, T: CatalogType> FromRequest<S> for Typed<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let CloudEvent(event) = CloudEvent::from_request(request, state).await?;
        let data = catalog::decode::<T>(&event)?;
        Ok(Self { event, data })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Mode {
    type Rejection = BindingError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Mode::detect(&parts.headers)
    }
}

/// A reply event: 200 (or [`CloudEventResponse::with_status`]) carrying `event` in `mode`
/// ([`Mode::Batch`] answers a batch of one). An event that breaks the attribute rules is the
/// server's fault: it is logged and answered 500.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudEventResponse {
    /// The event to send.
    pub event: Event,
    /// How to send it.
    pub mode: Mode,
    /// The status code, 200 unless set.
    pub status: StatusCode,
}

impl CloudEventResponse {
    /// `event` in `mode` with status 200.
    pub fn new(event: Event, mode: Mode) -> Self {
        Self {
            event,
            mode,
            status: StatusCode::OK,
        }
    }

    /// `event` in binary mode.
    pub fn binary(event: Event) -> Self {
        Self::new(event, Mode::Binary)
    }

    /// `event` in structured mode.
    pub fn structured(event: Event) -> Self {
        Self::new(event, Mode::Structured)
    }

    /// Sets the status code.
    #[must_use]
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }
}

impl IntoResponse for CloudEventResponse {
    fn into_response(self) -> Response {
        match super::encode(&self.event, self.mode) {
            Ok((headers, body)) => (self.status, headers, body).into_response(),
            Err(error) => {
                tracing::error!(%error, event_id = self.event.id(), "refused to send an invalid reply event");
                Problem::internal().into_response()
            }
        }
    }
}

impl IntoResponse for CloudEventBatch {
    fn into_response(self) -> Response {
        match super::encode_batch(&self.0) {
            Ok((headers, body)) => (StatusCode::OK, headers, body).into_response(),
            Err(error) => {
                tracing::error!(%error, "refused to send an invalid batch");
                Problem::internal().into_response()
            }
        }
    }
}
