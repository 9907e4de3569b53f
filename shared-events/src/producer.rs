//! Building outgoing events from typed catalog values, with every attribute DESIGN §4 requires:
//! UUIDv7 `id`, `source`, `subject` (the aggregate id), `time`, `datacontenttype`, `dataschema`
//! (the absolute URL of the schema revision in the registry) and `traceparent`.

use crate::catalog::CatalogType;
use crate::schema;
use crate::trace::{TRACEPARENT, Traceparent};
use chrono::{DateTime, Utc};
use cloudevents::{Event, EventBuilder, EventBuilderV10};
use url::Url;
use uuid::Uuid;

/// The default registry base URL: the gateway on its default port.
pub const DEFAULT_SCHEMA_BASE: &str = "http://127.0.0.1:8080/registry";

/// One producer of events (a service), knowing its `source` and where its schemas are served.
#[derive(Debug, Clone)]
pub struct Producer {
    source: String,
    schema_base: Url,
}

impl Producer {
    /// A producer named `source` (a URI reference such as `/order-service`) whose events point
    /// their `dataschema` at the registry under `schema_base`.
    pub fn new(source: impl Into<String>, schema_base: Url) -> Self {
        Self {
            source: source.into(),
            schema_base,
        }
    }

    /// This producer's `source`.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The absolute URL of the current schema revision of `event_type` in the registry:
    /// `<base>/schemagroups/<domain>/schemas/<type>/versions/<n>`.
    pub fn dataschema(&self, event_type: &str) -> Url {
        let domain = crate::EventType::parse(event_type)
            .map(|ty| ty.domain().to_owned())
            .unwrap_or_else(|_| "default".to_owned());
        let revision = schema::current_revision(event_type).unwrap_or(1);
        let mut url = self.schema_base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments
                .pop_if_empty()
                .extend(["schemagroups", &domain, "schemas", event_type, "versions"])
                .push(&revision.to_string());
        }
        url
    }

    /// A new event carrying `data`: a fresh UUIDv7 id, the current time and `trace`.
    pub fn event<T: CatalogType>(&self, data: &T, trace: &Traceparent) -> Event {
        self.event_with(Uuid::now_v7(), Utc::now(), data, trace)
    }

    /// An event with a given id and time: what an outbox uses, so the published event has the
    /// id it was stored under.
    pub fn event_with<T: CatalogType>(
        &self,
        id: Uuid,
        time: DateTime<Utc>,
        data: &T,
        trace: &Traceparent,
    ) -> Event {
        let json = serde_json::to_value(data).unwrap_or_else(|e| {
            // Catalog types are plain structs of strings and numbers; serialising cannot fail.
            unreachable!("catalog type {} failed to serialise: {e}", T::TYPE)
        });
        EventBuilderV10::new()
            .id(id.to_string())
            .source(self.source.clone())
            .ty(T::TYPE)
            .subject(data.subject())
            .time(time)
            .data_with_schema("application/json", self.dataschema(T::TYPE), json)
            .extension(TRACEPARENT, trace.to_string())
            .build()
            .unwrap_or_else(|e| unreachable!("every required attribute is set above: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::OrderGetV1;
    use crate::catalog::values::OrderId;
    use cloudevents::AttributesReader;

    #[test]
    fn an_outgoing_event_carries_every_required_attribute() {
        let producer = Producer::new(
            "/order-service",
            Url::parse(DEFAULT_SCHEMA_BASE).expect("url"),
        );
        let trace = Traceparent::generate();
        let order_id = OrderId::new();
        let event = producer.event(&OrderGetV1 { order_id }, &trace);
        let id = Uuid::parse_str(event.id()).expect("uuid id");
        assert_eq!(id.get_version_num(), 7);
        assert_eq!(event.source().as_str(), "/order-service");
        assert_eq!(event.ty(), "com.example.order.get.v1");
        assert_eq!(event.subject(), Some(order_id.to_string().as_str()));
        assert!(event.time().is_some());
        assert_eq!(event.datacontenttype(), Some("application/json"));
        let schema = event.dataschema().expect("dataschema").as_str().to_owned();
        assert!(
            schema.starts_with("http://127.0.0.1:8080/registry/schemagroups/com.example/schemas/com.example.order.get.v1/versions/"),
            "{schema}"
        );
        assert_eq!(
            event.extension(TRACEPARENT).map(|v| v.to_string()),
            Some(trace.to_string())
        );
    }
}
