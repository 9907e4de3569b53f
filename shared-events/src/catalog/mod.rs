//! The typed catalog: one Rust type per event, command, query and reply of DESIGN §4, one file
//! each, and [`CATALOG`], the list every component consults to know which types exist.
//!
//! The Rust types are the source of truth: the JSON Schemas in `schemas/` are generated from them
//! (see [`crate::schema`]), and incoming data of a catalog type is validated against its schema
//! before it is deserialised ([`decode`]).

mod order_cancelled_v1;
mod order_created_v1;
mod order_created_v2;
mod order_get_v1;
mod order_paid_v1;
mod order_state_v1;
mod payment_created_v1;
mod payment_declined_v1;
mod payment_get_v1;
mod payment_make_v1;
mod payment_refund_v1;
mod payment_refunded_v1;
mod payment_state_v1;
pub mod values;

pub use order_cancelled_v1::OrderCancelledV1;
pub use order_created_v1::OrderCreatedV1;
pub use order_created_v2::OrderCreatedV2;
pub use order_get_v1::OrderGetV1;
pub use order_paid_v1::OrderPaidV1;
pub use order_state_v1::OrderStateV1;
pub use payment_created_v1::PaymentCreatedV1;
pub use payment_declined_v1::PaymentDeclinedV1;
pub use payment_get_v1::PaymentGetV1;
pub use payment_make_v1::PaymentMakeV1;
pub use payment_refund_v1::PaymentRefundV1;
pub use payment_refunded_v1::PaymentRefundedV1;
pub use payment_state_v1::PaymentStateV1;

use crate::problem::Problem;
use crate::schema::{self, SchemaViolation};
use cloudevents::{AttributesReader, Data, Event};
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// What a catalog type is for: events are past tense and broadcast; commands are imperative and
/// go to one known receiver; queries are answered by a reply in the HTTP response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Something that happened (`order.created`).
    Event,
    /// Something to do (`payment.make`).
    Command,
    /// A question (`order.get`), answered in the HTTP response by a [`Kind::Reply`].
    Query,
    /// The answer to a query (`order.state`).
    Reply,
}

/// A Rust type that is the `data` of one catalog event type.
pub trait CatalogType: Serialize + DeserializeOwned + JsonSchema + Send + Sync + 'static {
    /// The CloudEvents `type`, e.g. `com.example.order.created.v1`.
    const TYPE: &'static str;
    /// Whether it is an event, a command, a query or a reply.
    const KIND: Kind;
    /// One sentence on what it means, for schemas and the registry.
    const DESCRIPTION: &'static str;

    /// The aggregate this message is about; becomes the CloudEvents `subject`.
    fn subject(&self) -> String;
}

/// One entry of the catalog, type-erased so the whole catalog can be listed.
#[derive(Debug, Clone, Copy)]
pub struct CatalogEntry {
    /// The CloudEvents `type`.
    pub event_type: &'static str,
    /// What it is for.
    pub kind: Kind,
    /// One sentence on what it means.
    pub description: &'static str,
    /// Generates its JSON Schema from the Rust type.
    pub schema: fn() -> Value,
}

impl CatalogEntry {
    /// The entry of `T`.
    pub const fn of<T: CatalogType>() -> Self {
        Self {
            event_type: T::TYPE,
            kind: T::KIND,
            description: T::DESCRIPTION,
            schema: schema::generate::<T>,
        }
    }
}

/// Every type of the catalog, in DESIGN §4 order.
pub static CATALOG: &[CatalogEntry] = &[
    CatalogEntry::of::<OrderCreatedV1>(),
    CatalogEntry::of::<PaymentMakeV1>(),
    CatalogEntry::of::<PaymentCreatedV1>(),
    CatalogEntry::of::<PaymentDeclinedV1>(),
    CatalogEntry::of::<PaymentRefundV1>(),
    CatalogEntry::of::<PaymentRefundedV1>(),
    CatalogEntry::of::<OrderPaidV1>(),
    CatalogEntry::of::<OrderCancelledV1>(),
    CatalogEntry::of::<OrderCreatedV2>(),
    CatalogEntry::of::<OrderGetV1>(),
    CatalogEntry::of::<OrderStateV1>(),
    CatalogEntry::of::<PaymentGetV1>(),
    CatalogEntry::of::<PaymentStateV1>(),
];

/// The catalog entry of `event_type`, if it is one of ours.
pub fn lookup(event_type: &str) -> Option<&'static CatalogEntry> {
    CATALOG.iter().find(|entry| entry.event_type == event_type)
}

/// Why an event's data is not a valid value of a catalog type.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    /// The event has another `type`.
    #[error("expected an event of type `{expected}`, got `{actual}`")]
    WrongType {
        /// The type asked for.
        expected: &'static str,
        /// The type the event has.
        actual: String,
    },
    /// The event has no data.
    #[error("`{0}` requires data, but the event has none")]
    MissingData(&'static str),
    /// The data is not JSON (by `datacontenttype` or by content).
    #[error("`{event_type}` requires JSON data: {reason}")]
    NotJson {
        /// The event type.
        event_type: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The data does not satisfy the type's schema.
    #[error(transparent)]
    Schema(#[from] SchemaViolation),
}

impl From<DecodeError> for Problem {
    fn from(error: DecodeError) -> Self {
        let detail = error.to_string();
        match error {
            DecodeError::Schema(violation) => Problem::bad_request(detail)
                .with("attribute", "data")
                .with("pointer", violation.pointer),
            DecodeError::WrongType { .. } => Problem::bad_request(detail).with("attribute", "type"),
            _ => Problem::bad_request(detail).with("attribute", "data"),
        }
    }
}

/// The data of `event` as JSON, whatever mode it arrived in.
///
/// # Errors
/// [`DecodeError::MissingData`] or [`DecodeError::NotJson`].
pub fn data_as_json(event: &Event, event_type: &'static str) -> Result<Value, DecodeError> {
    if let Some(content_type) = event.datacontenttype() {
        if !crate::http::media_type::is_json(content_type) {
            return Err(DecodeError::NotJson {
                event_type,
                reason: format!("datacontenttype is `{content_type}`"),
            });
        }
    }
    let not_json = |e: serde_json::Error| DecodeError::NotJson {
        event_type,
        reason: e.to_string(),
    };
    match event.data() {
        None => Err(DecodeError::MissingData(event_type)),
        Some(Data::Json(value)) => Ok(value.clone()),
        Some(Data::String(text)) => serde_json::from_str(text).map_err(not_json),
        Some(Data::Binary(bytes)) => serde_json::from_slice(bytes).map_err(not_json),
    }
}

/// Checks that `event` is of type `T`, validates its data against `T`'s schema and deserialises
/// it.
///
/// # Errors
/// A [`DecodeError`] saying what is wrong; it converts into a 400 [`Problem`] that names the
/// attribute and, for schema violations, the JSON pointer.
pub fn decode<T: CatalogType>(event: &Event) -> Result<T, DecodeError> {
    if event.ty() != T::TYPE {
        return Err(DecodeError::WrongType {
            expected: T::TYPE,
            actual: event.ty().to_owned(),
        });
    }
    let value = data_as_json(event, T::TYPE)?;
    schema::validate(T::TYPE, &value)?;
    serde_json::from_value(value).map_err(|e| {
        DecodeError::Schema(SchemaViolation {
            event_type: T::TYPE.to_owned(),
            pointer: String::new(),
            message: e.to_string(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EventType;

    #[test]
    fn every_catalog_type_is_a_well_formed_unique_event_type() {
        let mut seen = std::collections::HashSet::new();
        for entry in CATALOG {
            let ty = EventType::parse(entry.event_type).expect("catalog types parse");
            assert_eq!(ty.domain(), "com.example");
            assert!(
                seen.insert(entry.event_type),
                "duplicate {}",
                entry.event_type
            );
            assert!(lookup(entry.event_type).is_some());
        }
        assert_eq!(CATALOG.len(), 13);
        assert!(lookup("com.example.order.shipped.v1").is_none());
    }
}
