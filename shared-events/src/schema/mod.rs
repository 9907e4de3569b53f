//! JSON Schemas (draft 2020-12) generated from the catalog's Rust types, and validation of
//! incoming data against them.
//!
//! The generated schemas are *writer* schemas: closed (`additionalProperties: false`), so a
//! producer cannot emit a field the contract does not name. Receivers deserialise without
//! `deny_unknown_fields`, so a consumer keeps working when a later revision adds an optional
//! field. The committed files in `schemas/` are checked against [`generate`] by a drift test.

pub mod files;

use crate::catalog::{CATALOG, CatalogType};
use schemars::generate::SchemaSettings;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Data that does not satisfy its type's schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("data of `{event_type}` fails its schema at `{pointer}`: {message}")]
pub struct SchemaViolation {
    /// The event type whose schema failed.
    pub event_type: String,
    /// JSON pointer into the data (`""` for the root).
    pub pointer: String,
    /// What the schema requires there.
    pub message: String,
}

/// The JSON Schema of `T`, with its type as `title` and its description.
pub fn generate<T: CatalogType>() -> Value {
    let schema = SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<T>();
    let mut value = schema.to_value();
    if let Some(object) = value.as_object_mut() {
        object.insert("title".to_owned(), Value::from(T::TYPE));
        object.insert("description".to_owned(), Value::from(T::DESCRIPTION));
    }
    value
}

mod published {
    include!(concat!(env!("OUT_DIR"), "/published.rs"));
}

/// One published, immutable revision of a type's schema (`schemas/<type>/versions/<n>.json`).
#[derive(Debug, Clone, Copy)]
pub struct PublishedSchema {
    /// The event type.
    pub event_type: &'static str,
    /// The revision number, counting from 1.
    pub revision: u32,
    /// The schema document as committed.
    pub document: &'static str,
}

/// Every published revision of every type, ordered by type then revision.
pub fn published() -> impl Iterator<Item = PublishedSchema> {
    published::PUBLISHED
        .iter()
        .map(|&(event_type, revision, document)| PublishedSchema {
            event_type,
            revision,
            document,
        })
}

/// The latest published revision of `event_type`, if it has any.
pub fn current_revision(event_type: &str) -> Option<u32> {
    published()
        .filter(|p| p.event_type == event_type)
        .map(|p| p.revision)
        .max()
}

fn validators() -> &'static HashMap<&'static str, jsonschema::Validator> {
    static VALIDATORS: OnceLock<HashMap<&'static str, jsonschema::Validator>> = OnceLock::new();
    VALIDATORS.get_or_init(|| {
        CATALOG
            .iter()
            .map(|entry| {
                let schema = (entry.schema)();
                let validator = jsonschema::options()
                    .should_validate_formats(true)
                    .build(&schema)
                    .unwrap_or_else(|e| {
                        // Generated from our own types: failing here is a bug in a derive, found
                        // by every test run, never by a user.
                        panic!(
                            "generated schema of {} does not compile: {e}",
                            entry.event_type
                        )
                    });
                (entry.event_type, validator)
            })
            .collect()
    })
}

/// Validates `data` against the schema of catalog type `event_type`. Types outside the catalog
/// have no schema and always pass.
///
/// # Errors
/// The first [`SchemaViolation`], with the JSON pointer of the failing value.
pub fn validate(event_type: &str, data: &Value) -> Result<(), SchemaViolation> {
    let Some(validator) = validators().get(event_type) else {
        return Ok(());
    };
    match validator.iter_errors(data).next() {
        None => Ok(()),
        Some(error) => Err(SchemaViolation {
            event_type: event_type.to_owned(),
            pointer: error.instance_path.to_string(),
            message: error.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn generated_writer_schemas_are_closed_2020_12_documents() {
        for entry in CATALOG {
            let schema = (entry.schema)();
            assert_eq!(
                schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
                "{}",
                entry.event_type
            );
            assert_eq!(
                schema["additionalProperties"], false,
                "{}",
                entry.event_type
            );
            assert_eq!(schema["title"], entry.event_type);
        }
    }

    #[test]
    fn a_violation_names_the_json_pointer() {
        let data = json!({
            "order_id": "0190b6a4-7a1e-7cc2-8a5e-6c1d2f3a4b5c",
            "customer_id": "c-1",
            "items": [{"sku": "A", "quantity": 0, "unit_price_cents": 100}],
            "total_cents": 0,
            "currency": "EUR"
        });
        let error = validate("com.example.order.created.v1", &data).expect_err("quantity 0");
        assert_eq!(error.pointer, "/items/0/quantity");
        assert!(validate("com.example.unknown.thing.v1", &data).is_ok());
    }

    #[test]
    fn formats_are_asserted() {
        let data = json!({"order_id": "not-a-uuid"});
        let error = validate("com.example.order.get.v1", &data).expect_err("bad uuid");
        assert_eq!(error.pointer, "/order_id");
    }
}
