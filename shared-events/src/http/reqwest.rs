//! Sending CloudEvents with reqwest and reading reply events (feature `reqwest`).
//!
//! [`RequestBuilderExt`] adds `.cloudevent(&event)` (binary mode), `.cloudevent_structured`
//! and `.cloudevent_batch` to [`reqwest::RequestBuilder`]; [`ResponseExt`] adds
//! `.into_cloudevent()` and `.into_incoming()` to [`reqwest::Response`]. Both traits are sealed.
//!
//! # Example
//!
//! ```
//! use axum::{Router, routing::post};
//! use shared_events::http::axum::{CloudEvent, CloudEventResponse};
//! use shared_events::http::reqwest::{RequestBuilderExt, ResponseExt};
//! use shared_events::{AttributesReader, EventBuilder, EventBuilderV10};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let app = Router::new().route(
//! #     "/events",
//! #     post(|CloudEvent(event): CloudEvent| async move { CloudEventResponse::structured(event) }),
//! # );
//! # let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! # let sink = format!("http://{}/events", listener.local_addr()?);
//! # tokio::spawn(async move { axum::serve(listener, app).await });
//! let event = EventBuilderV10::new()
//!     .id("0190b2a4-7c1e-7000-8000-000000000001")
//!     .source("/order-service")
//!     .ty("com.example.order.get.v1")
//!     .data("application/json", serde_json::json!({"order_id": "o-1"}))
//!     .build()?;
//!
//! let response = reqwest::Client::new()
//!     .post(&sink) // K_SINK
//!     .cloudevent(&event)?
//!     .send()
//!     .await?
//!     .error_for_status()?;
//! let reply = response.into_cloudevent().await?.expect("a reply event");
//! assert_eq!(reply.id(), event.id());
//! # Ok(())
//! # }
//! ```

use std::future::Future;

use bytes::{Bytes, BytesMut};
use cloudevents::Event;
use reqwest::{RequestBuilder, Response};

use super::{BindingError, DEFAULT_BODY_LIMIT, EncodeError, Incoming};

mod sealed {
    pub trait Sealed {}
    impl Sealed for reqwest::RequestBuilder {}
    impl Sealed for reqwest::Response {}
}

/// CloudEvents for [`reqwest::RequestBuilder`]. Each sets Content-Type and the body (and the
/// `ce-` headers in binary mode), replacing any set before.
pub trait RequestBuilderExt: sealed::Sealed + Sized {
    /// Sends `event` in binary mode: `ce-` headers, Content-Type from `datacontenttype`.
    ///
    /// # Errors
    ///
    /// [`EncodeError`] when the event breaks the attribute rules.
    fn cloudevent(self, event: &Event) -> Result<Self, EncodeError>;

    /// Sends `event` in structured mode (`application/cloudevents+json`).
    ///
    /// # Errors
    ///
    /// [`EncodeError`] when the event breaks the attribute rules.
    fn cloudevent_structured(self, event: &Event) -> Result<Self, EncodeError>;

    /// Sends `events` in batched mode (`application/cloudevents-batch+json`).
    ///
    /// # Errors
    ///
    /// [`EncodeError`] with the index of the first event that breaks the attribute rules.
    fn cloudevent_batch(self, events: &[Event]) -> Result<Self, EncodeError>;
}

impl RequestBuilderExt for RequestBuilder {
    fn cloudevent(self, event: &Event) -> Result<Self, EncodeError> {
        let (headers, body) = super::encode_binary(event)?;
        Ok(self.headers(headers).body(body))
    }

    fn cloudevent_structured(self, event: &Event) -> Result<Self, EncodeError> {
        let (headers, body) = super::encode_structured(event)?;
        Ok(self.headers(headers).body(body))
    }

    fn cloudevent_batch(self, events: &[Event]) -> Result<Self, EncodeError> {
        let (headers, body) = super::encode_batch(events)?;
        Ok(self.headers(headers).body(body))
    }
}

/// Reading reply events from a [`reqwest::Response`], in any mode. Bodies over
/// [`DEFAULT_BODY_LIMIT`] are refused. The status is not checked: call
/// `error_for_status()` first if an error response should be an error.
pub trait ResponseExt: sealed::Sealed {
    /// The one event the response carries, `None` if it carries none (no `ce-specversion`
    /// header and not a CloudEvents media type).
    ///
    /// # Errors
    ///
    /// [`BindingError`] when the event is malformed, the body cannot be read, or the response
    /// is a batch ([`BindingError::UnexpectedBatch`]).
    fn into_cloudevent(self) -> impl Future<Output = Result<Option<Event>, BindingError>> + Send;

    /// The event or batch the response carries, `None` if it carries none.
    ///
    /// # Errors
    ///
    /// [`BindingError`] when the event is malformed or the body cannot be read.
    fn into_incoming(self) -> impl Future<Output = Result<Option<Incoming>, BindingError>> + Send;
}

impl ResponseExt for Response {
    async fn into_cloudevent(self) -> Result<Option<Event>, BindingError> {
        match self.into_incoming().await? {
            None => Ok(None),
            Some(Incoming::Single(event, _)) => Ok(Some(event)),
            Some(Incoming::Batch(_)) => Err(BindingError::UnexpectedBatch),
        }
    }

    async fn into_incoming(mut self) -> Result<Option<Incoming>, BindingError> {
        if !super::carries_event(self.headers())? {
            return Ok(None);
        }
        let headers = std::mem::take(self.headers_mut());
        let body = read_limited(self, DEFAULT_BODY_LIMIT).await?;
        super::decode_request(&headers, body).map(Some)
    }
}

async fn read_limited(mut response: Response, limit: usize) -> Result<Bytes, BindingError> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(BindingError::BodyTooLarge { limit });
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| BindingError::Body(error.to_string()))?
    {
        if body.len() + chunk.len() > limit {
            return Err(BindingError::BodyTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
