//! The CloudEvents 1.0.2 HTTP protocol binding, for requests and responses alike.
//!
//! # Modes
//!
//! The receiver tells the three content modes apart by `Content-Type`, matched case-insensitively
//! and with parameters ([`Mode::detect`]):
//!
//! - **Structured** (`application/cloudevents+json`): the whole event is the body, in the JSON
//!   event format ([`crate::format`]). Headers other than Content-Type are ignored.
//! - **Batched** (`application/cloudevents-batch+json`): the body is a JSON array of events,
//!   possibly empty.
//! - **Binary** (any other Content-Type, or none): each attribute is a `ce-<name>` header,
//!   its value the attribute's canonical string, percent-encoded ([`percent`]) so that any UTF-8
//!   survives; `datacontenttype` is Content-Type and the body is the data. A JSON Content-Type
//!   keeps the data as [`Data::Json`](cloudevents::Data::Json), UTF-8 text becomes
//!   [`Data::String`](cloudevents::Data::String), anything else (or no Content-Type, which
//!   means no `datacontenttype`) stays [`Data::Binary`](cloudevents::Data::Binary); an empty body
//!   is no data. Extension values arrive as strings: headers do not say whether `5` was an
//!   Integer. Headers without the `ce-` prefix (`user-agent`, …) are transport metadata.
//!
//! Any other `application/cloudevents…` type (`application/cloudevents+xml`) is a format we do
//! not support: 415. Every event read is checked with [`crate::attributes::validate`], so empty
//! `id`s, bad extension names and malformed `time`s are 400s naming the attribute and header.
//!
//! # Decisions where the binding leaves room
//!
//! - A header value is unquoted only when the whole of it is one quoted-string; a stray `%` (not
//!   followed by two hex digits) and raw UTF-8 bytes are accepted as they are. Senders that do
//!   not percent-encode (the Python SDK, the conformance tool's `{"othervalue": 5}`) get through.
//! - A `ce-datacontenttype` header is refused (the binding says it MUST NOT be present), and so
//!   is a `ce-` header sent twice.
//! - `application/cloudevents+xml` and other formats are answered 415 rather than forwarded as
//!   binary (which the binding allows but this platform cannot route).
//! - [`Data::String`](cloudevents::Data::String) under a JSON content type is sent as JSON text
//!   (the body as is; embedded as the value it parses to in structured mode); without any
//!   content type it is sent as a plain body with no Content-Type.
//!
//! The core here is transport-independent ([`decode_request`], [`encode_binary`],
//! [`encode_structured`], [`encode_batch`]); [`axum`] (feature `axum`) and [`reqwest`] (feature
//! `reqwest`) wrap it as extractors, responses and builder extensions.
//!
//! # Example
//!
//! ```
//! use bytes::Bytes;
//! use shared_events::http::{self, Incoming, Mode};
//! use shared_events::{AttributesReader, EventBuilder, EventBuilderV10};
//!
//! let event = EventBuilderV10::new()
//!     .id("1")
//!     .source("/order-service")
//!     .ty("com.example.order.created.v1")
//!     .subject("Euro € 😀")
//!     .data("application/json", serde_json::json!({"order_id": "o-1"}))
//!     .build()?;
//! let (headers, body) = http::encode_binary(&event)?;
//! assert_eq!(headers["ce-subject"], "Euro%20%E2%82%AC%20%F0%9F%98%80");
//! assert_eq!(headers["content-type"], "application/json");
//!
//! let Incoming::Single(received, Mode::Binary) = http::decode_request(&headers, body)? else {
//!     unreachable!("one binary-mode event")
//! };
//! assert_eq!(received.subject(), Some("Euro € 😀"));
//! assert_eq!(received.data(), event.data());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use bytes::Bytes;
use cloudevents::Event;
use http::header::{CONTENT_TYPE, HeaderMap, HeaderValue};

use crate::attributes::AttributeError;
use crate::format;

#[cfg(feature = "axum")]
pub mod axum;
mod binary;
pub mod curl;
mod error;
pub mod media_type;
pub mod percent;
#[cfg(feature = "reqwest")]
pub mod query;
#[cfg(feature = "reqwest")]
pub mod reqwest;

pub use binary::header_name;
pub use error::BindingError;
pub use media_type::MediaType;

/// The media type of structured mode (the JSON event format).
pub const STRUCTURED_CONTENT_TYPE: &str = format::MEDIA_TYPE;
/// The media type of batched mode (the JSON batch format).
pub const BATCH_CONTENT_TYPE: &str = format::BATCH_MEDIA_TYPE;
/// The largest body the receivers read unless told otherwise: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// How an event travels in an HTTP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Attributes in `ce-` headers, data in the body.
    Binary,
    /// One event in the body, JSON format.
    Structured,
    /// A JSON array of events in the body.
    Batch,
}

impl Mode {
    /// The mode of a message by its `Content-Type` (case-insensitive, parameters allowed).
    ///
    /// # Errors
    ///
    /// [`BindingError::UnsupportedMediaType`] for a CloudEvents media type other than the JSON
    /// event and batch formats.
    pub fn detect(headers: &HeaderMap) -> Result<Self, BindingError> {
        let Some(value) = headers.get(CONTENT_TYPE) else {
            return Ok(Self::Binary);
        };
        let text = value.as_bytes().trim_ascii_start();
        let prefix = b"application/cloudevents";
        if text.len() < prefix.len() || !text[..prefix.len()].eq_ignore_ascii_case(prefix) {
            return Ok(Self::Binary);
        }
        let text = String::from_utf8_lossy(value.as_bytes());
        match MediaType::parse(&text).as_ref().map(MediaType::essence) {
            Some(STRUCTURED_CONTENT_TYPE) => Ok(Self::Structured),
            Some(BATCH_CONTENT_TYPE) => Ok(Self::Batch),
            _ => Err(BindingError::UnsupportedMediaType(text.into_owned())),
        }
    }
}

/// An event or a batch read from an HTTP message.
// One per request, moved a couple of times: boxing the event would add an allocation to the
// common case and a `*` to every pattern, for no measurable gain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// One event, in binary or structured mode.
    Single(Event, Mode),
    /// A batch, possibly empty.
    Batch(Vec<Event>),
}

impl Incoming {
    /// The events, one or many.
    pub fn into_events(self) -> Vec<Event> {
        match self {
            Self::Single(event, _) => vec![event],
            Self::Batch(events) => events,
        }
    }

    /// The mode the message used.
    pub fn mode(&self) -> Mode {
        match self {
            Self::Single(_, mode) => *mode,
            Self::Batch(_) => Mode::Batch,
        }
    }
}

/// Reads the event or batch in an HTTP request from its headers and body.
///
/// # Errors
///
/// [`BindingError`] saying which header, attribute or media type is wrong.
pub fn decode_request(headers: &HeaderMap, body: Bytes) -> Result<Incoming, BindingError> {
    Ok(match Mode::detect(headers)? {
        Mode::Binary => Incoming::Single(binary::decode(headers, body)?, Mode::Binary),
        Mode::Structured => Incoming::Single(format::from_slice(&body)?, Mode::Structured),
        Mode::Batch => Incoming::Batch(format::batch_from_slice(&body)?),
    })
}

/// Reads the event or batch in an HTTP response, `None` when the response carries none (no
/// `ce-specversion` header and not a CloudEvents media type).
///
/// # Errors
///
/// [`BindingError`] when the response claims to carry an event but it is malformed.
pub fn decode_response(headers: &HeaderMap, body: Bytes) -> Result<Option<Incoming>, BindingError> {
    if !carries_event(headers)? {
        return Ok(None);
    }
    decode_request(headers, body).map(Some)
}

/// Whether a message's headers say it carries an event: a CloudEvents media type, or a
/// `ce-specversion` header in binary mode.
///
/// # Errors
///
/// [`BindingError::UnsupportedMediaType`] as [`Mode::detect`].
pub fn carries_event(headers: &HeaderMap) -> Result<bool, BindingError> {
    Ok(Mode::detect(headers)? != Mode::Binary || headers.contains_key("ce-specversion"))
}

/// An event (or a batch) the encoders refused because it breaks the attribute rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{source}", .index.map_or_else(String::new, |i| format!("event {i} of the batch: ")))]
pub struct EncodeError {
    /// Position in the batch.
    pub index: Option<usize>,
    /// What is wrong.
    pub source: AttributeError,
}

impl From<AttributeError> for EncodeError {
    fn from(source: AttributeError) -> Self {
        Self {
            index: None,
            source,
        }
    }
}

/// Binary mode: the headers (`ce-*`, Content-Type) and body of a message carrying `event`.
///
/// # Errors
///
/// [`EncodeError`] when the event breaks the attribute rules ([`crate::attributes::validate`]).
pub fn encode_binary(event: &Event) -> Result<(HeaderMap, Bytes), EncodeError> {
    Ok(binary::encode(event)?)
}

/// Structured mode: Content-Type `application/cloudevents+json; charset=utf-8` and the event in
/// the JSON format as the body.
///
/// # Errors
///
/// [`EncodeError`] when the event breaks the attribute rules.
pub fn encode_structured(event: &Event) -> Result<(HeaderMap, Bytes), EncodeError> {
    crate::attributes::validate(event)?;
    Ok((
        content_type("application/cloudevents+json; charset=utf-8"),
        Bytes::from(format::to_vec(event)),
    ))
}

/// Batched mode: Content-Type `application/cloudevents-batch+json; charset=utf-8` and the
/// events as a JSON array. An empty batch is allowed.
///
/// # Errors
///
/// [`EncodeError`] with the index of the first event that breaks the attribute rules.
pub fn encode_batch(events: &[Event]) -> Result<(HeaderMap, Bytes), EncodeError> {
    for (index, event) in events.iter().enumerate() {
        crate::attributes::validate(event).map_err(|source| EncodeError {
            index: Some(index),
            source,
        })?;
    }
    Ok((
        content_type("application/cloudevents-batch+json; charset=utf-8"),
        Bytes::from(format::batch_to_vec(events)),
    ))
}

/// Encodes `event` in `mode`; [`Mode::Batch`] sends a batch of one.
///
/// # Errors
///
/// [`EncodeError`] when the event breaks the attribute rules.
pub fn encode(event: &Event, mode: Mode) -> Result<(HeaderMap, Bytes), EncodeError> {
    match mode {
        Mode::Binary => encode_binary(event),
        Mode::Structured => encode_structured(event),
        Mode::Batch => encode_batch(std::slice::from_ref(event)),
    }
}

fn content_type(value: &'static str) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(1);
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(value));
    headers
}
