//! Encoding shared by the backends: times as fixed-width RFC 3339 text (sortable, portable),
//! due times as integer milliseconds, and the outgoing CloudEvent rebuilt from a stored row.

use super::{StoreError, StoredEvent};
use chrono::{DateTime, SecondsFormat, Utc};
use shared_events::catalog::values::OrderId;
use shared_events::service::relay::PendingEvent;
use shared_events::{Event, EventBuilder, EventBuilderV10};
use std::str::FromStr;

/// Now, in Unix milliseconds (due times).
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// A time as stored: RFC 3339, microseconds, `Z`.
pub fn format_time(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A stored time.
///
/// # Errors
/// [`StoreError::Corrupt`] when it is not RFC 3339.
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("time `{text}`: {e}")))
}

/// A stored order id.
///
/// # Errors
/// [`StoreError::Corrupt`] when it is not a UUID.
pub fn parse_order_id(text: &str) -> Result<OrderId, StoreError> {
    OrderId::from_str(text).map_err(|e| StoreError::Corrupt(format!("order id `{text}`: {e}")))
}

/// Whether the database refused a row for a unique key (portable across backends).
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

/// The CloudEvent a stored event is published as: the same id, source, type and time, the
/// stream as `subject`, its `dataschema` and `traceparent`.
///
/// # Errors
/// [`StoreError::Corrupt`] when the stored attributes do not make a valid event.
pub fn pending_event(
    stored: StoredEvent,
    dataschema: Option<String>,
    attempts: u32,
) -> Result<PendingEvent, StoreError> {
    let mut builder = EventBuilderV10::new()
        .id(stored.id)
        .source(stored.source)
        .ty(stored.event_type)
        .subject(stored.stream_id.to_string())
        .time(stored.time)
        .extension("traceparent", stored.traceparent);
    builder = match dataschema.as_deref().map(url::Url::parse) {
        Some(Ok(schema)) => builder.data_with_schema("application/json", schema, stored.data),
        _ => builder.data("application/json", stored.data),
    };
    let event: Event = builder
        .build()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(PendingEvent {
        position: stored.position,
        aggregate: stored.stream_id.to_string(),
        attempts,
        event,
    })
}
