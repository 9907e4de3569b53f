//! AsyncAPI 3.0 documents for the business services, generated from the catalog.
//!
//! A [`ServiceSpec`] names a service, the server it listens on and which catalog types it sends
//! and receives; [`document`] turns it into an AsyncAPI 3.0 document with a `send` or `receive`
//! operation per type (queries with their reply, answered in the HTTP response), one message per
//! type, and the message trait [`CLOUDEVENTS_BINARY_TRAIT`] that describes the CloudEvents HTTP
//! binary-mode `ce-*` headers (AsyncAPI has no official one).
//!
//! Payloads reference the same schemas the events name in `dataschema`: the URL of the schema
//! Version in the registry, not an embedded copy. The generated schemas are JSON Schema draft
//! 2020-12 with `$defs` and local `$ref`s, which would point into the wrong document if pasted
//! into an AsyncAPI file (whose own schema dialect is draft-07 based), and a reference keeps one
//! source of truth: a tool that resolves the payload gets byte for byte what a consumer
//! validating an event's `dataschema` gets. The cost is that the document is not
//! self-contained; it needs the registry (the gateway) to be reachable to resolve payloads.
//!
//! [`ORDER_SERVICE`] and [`PAYMENT_SERVICE`] are the two services' specs, shared by the
//! services (which serve `GET /asyncapi.json`) and the tests.

use crate::catalog::{self, Kind};
use crate::producer::DEFAULT_SCHEMA_BASE;
use serde_json::{Map, Value, json};
use url::Url;

/// What a service sends and receives.
#[derive(Debug, Clone, Copy)]
pub struct ServiceSpec {
    /// The service's name (`order-service`), also the document's title.
    pub name: &'static str,
    /// One sentence on what it does.
    pub description: &'static str,
    /// The CloudEvents `source` it stamps on what it sends.
    pub source: &'static str,
    /// Where it listens by default (its `POST /events` is there).
    pub server: &'static str,
    /// The types it sends to its sink (`K_SINK`): events and commands.
    pub sends: &'static [&'static str],
    /// The types it accepts on `POST /events`.
    pub receives: &'static [&'static str],
    /// Queries it answers, with the reply type it answers them with in the HTTP response.
    pub replies: &'static [(&'static str, &'static str)],
}

/// order-service: orders and the order side of the payment saga.
pub const ORDER_SERVICE: ServiceSpec = ServiceSpec {
    name: "order-service",
    description: "Orders and the order side of the payment saga.",
    source: "/order-service",
    server: "http://127.0.0.1:8081",
    sends: &[
        "com.example.order.created.v1",
        "com.example.order.created.v2",
        "com.example.order.paid.v1",
        "com.example.order.cancelled.v1",
        "com.example.payment.make.v1",
        "com.example.payment.refund.v1",
        "com.example.payment.get.v1",
    ],
    receives: &[
        "com.example.payment.created.v1",
        "com.example.payment.declined.v1",
        "com.example.payment.refunded.v1",
        "com.example.order.get.v1",
    ],
    replies: &[("com.example.order.get.v1", "com.example.order.state.v1")],
};

/// payment-service: charges and refunds.
pub const PAYMENT_SERVICE: ServiceSpec = ServiceSpec {
    name: "payment-service",
    description: "Payments: charges orders, declines over the limit, refunds.",
    source: "/payment-service",
    server: "http://127.0.0.1:8082",
    sends: &[
        "com.example.payment.created.v1",
        "com.example.payment.declined.v1",
        "com.example.payment.refunded.v1",
    ],
    receives: &[
        "com.example.payment.make.v1",
        "com.example.payment.refund.v1",
        "com.example.payment.get.v1",
    ],
    replies: &[("com.example.payment.get.v1", "com.example.payment.state.v1")],
};

/// Every service spec.
pub const SERVICES: &[&ServiceSpec] = &[&ORDER_SERVICE, &PAYMENT_SERVICE];

/// The `source` of the one service that sends (or replies with) `event_type`, if exactly one
/// does.
pub fn producer_of(event_type: &str) -> Option<&'static str> {
    let mut producers = SERVICES.iter().filter(|s| {
        s.sends.contains(&event_type) || s.replies.iter().any(|(_, reply)| *reply == event_type)
    });
    let first = producers.next()?;
    producers.next().is_none().then_some(first.source)
}

/// The name of the message trait for the binary-mode headers.
pub const CLOUDEVENTS_BINARY_TRAIT: &str = "cloudEventsHttpBinary";

/// The message trait describing a CloudEvent in the HTTP binding's binary mode: the context
/// attributes as `ce-*` headers, the data as the body with its `Content-Type`.
pub fn cloudevents_binary_trait() -> Value {
    json!({
        "summary": "A CloudEvent in HTTP binary content mode (CloudEvents 1.0.2).",
        "description": "Context attributes travel as `ce-` headers (values percent-encoded as \
            the binding requires), `datacontenttype` as `Content-Type`, and `data` as the body. \
            Structured mode (`application/cloudevents+json`) and batches \
            (`application/cloudevents-batch+json`) are accepted too.",
        "externalDocs": {
            "url": "https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/http-protocol-binding.md#31-binary-content-mode"
        },
        "headers": {
            "type": "object",
            "required": ["ce-specversion", "ce-id", "ce-source", "ce-type", "content-type"],
            "properties": {
                "ce-specversion": {"type": "string", "const": "1.0"},
                "ce-id": {"type": "string", "minLength": 1,
                    "description": "Unique per source (a UUIDv7); receivers dedupe on (source, id)."},
                "ce-source": {"type": "string", "format": "uri-reference", "minLength": 1,
                    "description": "The producer, e.g. /order-service."},
                "ce-type": {"type": "string", "minLength": 1,
                    "description": "com.example.<entity>.<action>.v<major>"},
                "ce-subject": {"type": "string", "description": "The aggregate id (the order)."},
                "ce-time": {"type": "string", "format": "date-time"},
                "ce-dataschema": {"type": "string", "format": "uri",
                    "description": "The schema Version in the registry."},
                "ce-traceparent": {"type": "string",
                    "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
                    "description": "W3C trace context, shared by one saga's events."},
                "content-type": {"type": "string", "description": "The datacontenttype."}
            }
        }
    })
}

/// The AsyncAPI document of `service` at its default server, with payloads referencing the
/// registry at its default base.
pub fn document(service: &ServiceSpec) -> Value {
    let base = Url::parse(DEFAULT_SCHEMA_BASE).unwrap_or_else(|e| unreachable!("constant: {e}"));
    document_at(service, service.server, &base)
}

fn key_of(event_type: &str) -> String {
    event_type.replace('.', "_")
}

/// [`document`] for a service listening at `server` whose events point at the registry under
/// `registry`.
pub fn document_at(service: &ServiceSpec, server: &str, registry: &Url) -> Value {
    let producer = crate::producer::Producer::new(service.source, registry.clone());
    let host = Url::parse(server)
        .ok()
        .map(|u| {
            let host = u.host_str().unwrap_or("127.0.0.1").to_owned();
            u.port().map_or(host.clone(), |p| format!("{host}:{p}"))
        })
        .unwrap_or_else(|| server.to_owned());
    let gateway = format!(
        "{}:{}",
        registry.host_str().unwrap_or("127.0.0.1"),
        registry.port_or_known_default().unwrap_or(80)
    );
    let mut messages = Map::new();
    let mut inbox = Map::new();
    let mut outbox = Map::new();
    let mut operations = Map::new();
    let add_message = |ty: &str, messages: &mut Map<String, Value>| {
        messages
            .entry(key_of(ty))
            .or_insert_with(|| message(ty, producer.dataschema(ty).as_str()));
    };
    for ty in service.sends {
        add_message(ty, &mut messages);
        outbox.insert(
            key_of(ty),
            json!({"$ref": format!("#/components/messages/{}", key_of(ty))}),
        );
        operations.insert(
            format!("send_{}", key_of(ty)),
            json!({
                "action": "send",
                "title": format!("Send {ty}"),
                "summary": summary(ty),
                "channel": {"$ref": "#/channels/sink"},
                "messages": [{"$ref": format!("#/channels/sink/messages/{}", key_of(ty))}],
                "bindings": {"http": {"method": "POST", "bindingVersion": "0.3.0"}}
            }),
        );
    }
    for ty in service.receives {
        add_message(ty, &mut messages);
        inbox.insert(
            key_of(ty),
            json!({"$ref": format!("#/components/messages/{}", key_of(ty))}),
        );
        let mut operation = json!({
            "action": "receive",
            "title": format!("Receive {ty}"),
            "summary": summary(ty),
            "channel": {"$ref": "#/channels/events"},
            "messages": [{"$ref": format!("#/channels/events/messages/{}", key_of(ty))}],
            "bindings": {"http": {"method": "POST", "bindingVersion": "0.3.0"}}
        });
        if let Some((_, reply)) = service.replies.iter().find(|(query, _)| query == ty) {
            add_message(reply, &mut messages);
            inbox.insert(
                key_of(reply),
                json!({"$ref": format!("#/components/messages/{}", key_of(reply))}),
            );
            operation["reply"] = json!({
                "channel": {"$ref": "#/channels/events"},
                "messages": [{"$ref": format!("#/channels/events/messages/{}", key_of(reply))}]
            });
            operation["description"] = Value::from(format!(
                "Answered 200 in the HTTP response with a {reply} event, in the request's \
                 mode; 404 problem+json for an unknown order."
            ));
        }
        operations.insert(format!("receive_{}", key_of(ty)), operation);
    }
    json!({
        "asyncapi": "3.0.0",
        "id": format!("urn:com:example:{}", service.name),
        "info": {
            "title": service.name,
            "version": "1.0.0",
            "description": format!("{} CloudEvents over HTTP; schemas in the registry at {registry}.",
                service.description),
            "externalDocs": {"url": registry.as_str()}
        },
        "defaultContentType": "application/json",
        "servers": {
            "self": {"host": host, "protocol": "http",
                "description": format!("{} itself: POST /events receives CloudEvents.", service.name)},
            "sink": {"host": gateway, "protocol": "http",
                "description": "The sink (K_SINK): the gateway's POST /events, or the peer \
                    service's in direct mode."}
        },
        "channels": {
            "events": {"address": "/events", "title": "POST /events",
                "description": format!("What {} accepts.", service.name),
                "servers": [{"$ref": "#/servers/self"}], "messages": inbox},
            "sink": {"address": "/events", "title": "POST K_SINK",
                "description": format!("Where {} sends its events and commands.", service.name),
                "servers": [{"$ref": "#/servers/sink"}], "messages": outbox}
        },
        "operations": operations,
        "components": {
            "messages": messages,
            "messageTraits": {CLOUDEVENTS_BINARY_TRAIT: cloudevents_binary_trait()}
        }
    })
}

fn summary(event_type: &str) -> String {
    catalog::lookup(event_type).map_or_else(String::new, |e| e.description.to_owned())
}

fn message(event_type: &str, dataschema: &str) -> Value {
    let entry = catalog::lookup(event_type);
    let kind = match entry.map(|e| e.kind) {
        Some(Kind::Event) => "event",
        Some(Kind::Command) => "command",
        Some(Kind::Query) => "query",
        Some(Kind::Reply) => "reply",
        None => "unknown",
    };
    let mut message = json!({
        "name": event_type,
        "title": event_type,
        "summary": summary(event_type),
        "contentType": "application/json",
        "tags": [{"name": kind}],
        "headers": {
            "type": "object",
            "properties": {
                "ce-type": {"type": "string", "const": event_type},
                "ce-dataschema": {"type": "string", "const": dataschema}
            }
        },
        "payload": {
            "schemaFormat": "application/schema+json;version=2020-12",
            "schema": {"$ref": dataschema}
        },
        "traits": [{"$ref": format!("#/components/messageTraits/{CLOUDEVENTS_BINARY_TRAIT}")}]
    });
    let deprecated = crate::registry::deprecation_of(event_type);
    if let Some(alternative) = deprecated {
        message["deprecated"] = Value::Bool(true);
        message["description"] = Value::from(format!("Deprecated: move to {alternative}."));
    }
    message
}

/// A router serving `GET /asyncapi.json`: the document of `service` listening at `server`, its
/// payloads referencing the registry under `registry`. Rendered once, served as bytes.
#[cfg(feature = "axum")]
pub fn router<S: Clone + Send + Sync + 'static>(
    service: &ServiceSpec,
    server: &str,
    registry: &Url,
) -> axum::Router<S> {
    let body = bytes::Bytes::from(
        serde_json::to_vec_pretty(&document_at(service, server, registry)).unwrap_or_default(),
    );
    axum::Router::new().route(
        "/asyncapi.json",
        axum::routing::get(move || {
            let body = body.clone();
            async move { ([(http::header::CONTENT_TYPE, "application/json")], body) }
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_service_sends_and_receives_only_catalog_types() {
        for service in SERVICES {
            for ty in service.sends.iter().chain(service.receives) {
                assert!(catalog::lookup(ty).is_some(), "{ty}");
            }
        }
        assert_eq!(
            producer_of("com.example.payment.created.v1"),
            Some("/payment-service")
        );
        assert_eq!(
            producer_of("com.example.order.state.v1"),
            Some("/order-service")
        );
        assert_eq!(producer_of("com.example.order.get.v1"), None);
    }
}
