//! Both services' AsyncAPI documents validate against the AsyncAPI 3.0.0 JSON Schema, have an
//! operation per type in the right direction, and reference the registry's schema Versions.

use serde_json::Value;
use shared_events::asyncapi::{self, ORDER_SERVICE, PAYMENT_SERVICE, ServiceSpec};
use shared_events::producer::{DEFAULT_SCHEMA_BASE, Producer};
use std::path::PathBuf;
use url::Url;

fn validator() -> jsonschema::Validator {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/conformance/asyncapi/asyncapi-3.0.0.schema.json");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let schema: Value = serde_json::from_str(&text).expect("json");
    jsonschema::validator_for(&schema).expect("the AsyncAPI schema compiles")
}

fn errors(document: &Value) -> Vec<String> {
    validator()
        .iter_errors(document)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect()
}

fn check(service: &ServiceSpec) {
    let document = asyncapi::document(service);
    let errors = errors(&document);
    assert!(errors.is_empty(), "{}: {errors:#?}", service.name);
    assert_eq!(document["asyncapi"], "3.0.0");
    let producer = Producer::new(
        service.source,
        Url::parse(DEFAULT_SCHEMA_BASE).expect("url"),
    );
    let operations = document["operations"].as_object().expect("operations");
    assert_eq!(
        operations.len(),
        service.sends.len() + service.receives.len()
    );
    for ty in service.sends {
        let key = ty.replace('.', "_");
        assert_eq!(operations[&format!("send_{key}")]["action"], "send", "{ty}");
        let message = &document["components"]["messages"][&key];
        assert_eq!(
            message["payload"]["schema"]["$ref"],
            producer.dataschema(ty).as_str()
        );
        assert_eq!(message["headers"]["properties"]["ce-type"]["const"], *ty);
    }
    for ty in service.receives {
        let key = ty.replace('.', "_");
        assert_eq!(
            operations[&format!("receive_{key}")]["action"],
            "receive",
            "{ty}"
        );
    }
    for (query, reply) in service.replies {
        let operation = &operations[&format!("receive_{}", query.replace('.', "_"))];
        assert_eq!(
            operation["reply"]["messages"][0]["$ref"],
            format!("#/channels/events/messages/{}", reply.replace('.', "_"))
        );
    }
    let headers = &document["components"]["messageTraits"]["cloudEventsHttpBinary"]["headers"];
    assert_eq!(headers["properties"]["ce-specversion"]["const"], "1.0");
}

#[test]
fn order_service_document_is_valid_asyncapi_3() {
    check(&ORDER_SERVICE);
    let document = asyncapi::document(&ORDER_SERVICE);
    assert_eq!(
        document["components"]["messages"]["com_example_order_created_v1"]["deprecated"],
        true
    );
    assert_eq!(document["servers"]["self"]["host"], "127.0.0.1:8081");
}

#[test]
fn payment_service_document_is_valid_asyncapi_3() {
    check(&PAYMENT_SERVICE);
}

#[test]
fn a_broken_document_is_refused_by_the_asyncapi_schema() {
    let mut document = asyncapi::document(&PAYMENT_SERVICE);
    document["operations"]["send_com_example_payment_created_v1"]["action"] = "publish".into();
    assert!(!errors(&document).is_empty());
}
