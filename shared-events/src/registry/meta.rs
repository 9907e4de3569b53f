//! The JSON of a message definition's attributes and of a Resource's `meta` entity.

use super::entities::GroupKind;
use super::{ENVELOPE, Registry, SCHEMA_FORMAT, TypeEntry};
use crate::catalog::Kind;
use serde_json::{Map, Value, json};

impl Registry {
    pub(super) fn message_attributes(&self, object: &mut Map<String, Value>, t: &TypeEntry) {
        let dataschema = self.schema_version_url(t, t.latest().revision);
        let source = match t.source {
            Some(source) => json!({"type": "uritemplate", "value": source, "required": true}),
            None => json!({"type": "uritemplate", "required": true,
                "description": "the sender, e.g. /order-service (any service may send it)"}),
        };
        let kind = match t.kind {
            Kind::Event => "event",
            Kind::Command => "command",
            Kind::Query => "query",
            Kind::Reply => "reply",
        };
        object.insert("labels".to_owned(), json!({"kind": kind}));
        object.insert("envelope".to_owned(), Value::from(ENVELOPE));
        object.insert(
            "envelopemetadata".to_owned(),
            json!({
                "specversion": {"value": "1.0", "required": true},
                "id": {"required": true, "description": "a UUIDv7, unique per source"},
                "type": {"value": t.event_type, "required": true},
                "source": source,
                "subject": {"required": true, "description": "the aggregate id (the order)"},
                "time": {"type": "timestamp", "required": true},
                "datacontenttype": {"value": "application/json", "required": true},
                "dataschema": {"type": "uri", "value": dataschema, "required": true},
                "traceparent": {"required": true,
                    "description": "W3C trace context carried from the request that started the saga"}
            }),
        );
        object.insert(
            "datacontenttype".to_owned(),
            Value::from("application/json"),
        );
        object.insert("dataschemaformat".to_owned(), Value::from(SCHEMA_FORMAT));
        object.insert("dataschemauri".to_owned(), Value::from(dataschema));
    }

    /// A Resource's `meta` entity: compatibility rule, deprecation and default Version.
    pub fn meta(&self, kind: GroupKind, t: &TypeEntry) -> Value {
        let xid = Self::resource_xid(kind, t);
        let mut object = self.common(
            kind.resource_id(),
            t.event_type,
            &format!("{xid}/meta"),
            self.url(&format!("{xid}/meta")),
        );
        self.times(&mut object);
        object.insert("readonly".to_owned(), Value::from(true));
        let compatibility = match kind {
            GroupKind::Messages => "none".to_owned(),
            GroupKind::Schemas => t.meta.compatibility.as_str().to_ascii_lowercase(),
        };
        object.insert("compatibility".to_owned(), Value::from(compatibility));
        object.insert("compatibilityauthority".to_owned(), Value::from("external"));
        if let Some(deprecated) = &t.meta.deprecated {
            let mut d = Map::new();
            if let Some(alternative) = &deprecated.alternative {
                let url = self
                    .types
                    .iter()
                    .find(|o| o.event_type == alternative.as_str())
                    .map(|o| {
                        self.url(&format!(
                            "{}{}",
                            Self::resource_xid(kind, o),
                            Self::details(kind)
                        ))
                    })
                    .unwrap_or_else(|| alternative.clone());
                d.insert("alternative".to_owned(), Value::from(url));
            }
            if let Some(docs) = deprecated
                .docs
                .as_deref()
                .filter(|d| url::Url::parse(d).is_ok())
            {
                d.insert("documentation".to_owned(), Value::from(docs));
            }
            object.insert("deprecated".to_owned(), Value::Object(d));
        }
        let default = match kind {
            GroupKind::Messages => "1".to_owned(),
            GroupKind::Schemas => t.latest().revision.to_string(),
        };
        object.insert(
            "defaultversionurl".to_owned(),
            Value::from(self.url(&format!("{xid}/versions/{default}{}", Self::details(kind)))),
        );
        object.insert("defaultversionid".to_owned(), Value::from(default));
        object.insert("defaultversionsticky".to_owned(), Value::from(false));
        Value::Object(object)
    }
}
