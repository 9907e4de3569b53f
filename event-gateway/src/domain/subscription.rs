//! Subscriptions: where matching events go and how hard the gateway tries.
//!
//! The wire shape follows the CloudEvents Subscriptions API (`id`, `sink`, `protocol`, `filters`)
//! with Knative's delivery fields (`retry`, `backoffPolicy`, `backoffDelay`, `backoffMax`,
//! `timeout`, `retryAfterMax`, `deadLetterSink`). [`Subscription::from_json`] is the one parser,
//! used for request bodies, the static subscriptions file and rows read back from storage; every
//! error names the field it is about.

use std::fmt;

use serde_json::{Map, Value, json};

pub use super::delivery::DeliveryPolicy;
use super::delivery::parse_delivery;
use super::duration::IsoDuration;
use super::filter::{EventAttributes, Filter};
use super::sink::SinkUrl;

/// A subscription's id: 1–128 characters from `[A-Za-z0-9._~-]`, so it is safe in a URL path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubscriptionId(String);

impl SubscriptionId {
    /// Parses an id.
    ///
    /// # Errors
    /// A message saying what an id may contain.
    pub fn parse(text: &str) -> Result<Self, String> {
        let ok = !text.is_empty()
            && text.len() <= 128
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._~-".contains(&b));
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err("an id is 1-128 characters from A-Z, a-z, 0-9, `.`, `_`, `~` and `-`".to_owned())
        }
    }

    /// A fresh id (a UUIDv7).
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().to_string())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SubscriptionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How deliveries are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// HTTP binary mode: attributes in `ce-` headers, data as the body.
    #[default]
    Binary,
    /// HTTP structured mode: the whole event as `application/cloudevents+json`.
    Structured,
}

/// A subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    /// Its id.
    pub id: SubscriptionId,
    /// Where deliveries go.
    pub sink: SinkUrl,
    /// All must match for an event to be delivered (an empty list matches everything).
    pub filters: Vec<Filter>,
    /// Retries, backoff, timeouts, dead letters.
    pub delivery: DeliveryPolicy,
    /// Binary or structured mode.
    pub format: Format,
}

/// A field of a request body that is wrong: its path (`delivery.backoffDelay`) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}` {message}")]
pub struct FieldError {
    /// The JSON path of the field.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
    /// For expressions (CESQL), the byte offset of the error in the field's text.
    pub position: Option<usize>,
}

impl FieldError {
    /// A field error.
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
            position: None,
        }
    }

    /// The same error, pointing at byte `position` of the field's text.
    #[must_use]
    pub fn at(mut self, position: usize) -> Self {
        self.position = Some(position);
        self
    }
}

const TOP_FIELDS: &[&str] = &["id", "sink", "protocol", "filters", "delivery", "format"];
/// Fields of the design that later gateway versions implement; refused rather than ignored.
const NOT_YET: &[&str] = &[
    "secret",
    "from",
    "rateLimit",
    "types",
    "config",
    "protocolsettings",
];

impl Subscription {
    /// Parses a subscription body. `id` is used when the body names none; `defaults` fills the
    /// delivery fields it leaves out.
    ///
    /// # Errors
    /// [`FieldError`] naming the first field that is wrong.
    pub fn from_json(
        body: &Value,
        id: Option<SubscriptionId>,
        defaults: &DeliveryPolicy,
    ) -> Result<Self, FieldError> {
        let object = body
            .as_object()
            .ok_or_else(|| FieldError::new("", "the body must be a JSON object"))?;
        check_known(object, "", TOP_FIELDS)?;
        let id = match (object.get("id"), id) {
            (Some(Value::String(text)), given) => {
                let parsed = SubscriptionId::parse(text).map_err(|m| FieldError::new("id", m))?;
                if given.is_some_and(|g| g != parsed) {
                    return Err(FieldError::new("id", "does not match the id in the path"));
                }
                parsed
            }
            (Some(_), _) => return Err(FieldError::new("id", "must be a string")),
            (None, Some(given)) => given,
            (None, None) => SubscriptionId::generate(),
        };
        if let Some(protocol) = object.get("protocol") {
            if protocol
                .as_str()
                .is_none_or(|p| !p.eq_ignore_ascii_case("HTTP"))
            {
                return Err(FieldError::new(
                    "protocol",
                    "must be \"HTTP\", the only protocol this gateway speaks",
                ));
            }
        }
        let sink = match object.get("sink") {
            Some(Value::String(text)) => {
                SinkUrl::parse(text).map_err(|e| FieldError::new("sink", e.to_string()))?
            }
            Some(_) => return Err(FieldError::new("sink", "must be a string")),
            None => return Err(FieldError::new("sink", "is required")),
        };
        let filters = match object.get("filters") {
            None | Some(Value::Null) => Vec::new(),
            Some(value) => Filter::parse_list(value, "filters")?,
        };
        let format = match object.get("format").map(|v| v.as_str()) {
            None | Some(Some("binary")) => Format::Binary,
            Some(Some("structured")) => Format::Structured,
            Some(_) => {
                return Err(FieldError::new(
                    "format",
                    "must be \"binary\" or \"structured\"",
                ));
            }
        };
        let delivery = match object.get("delivery") {
            None | Some(Value::Null) => defaults.clone(),
            Some(value) => parse_delivery(value, defaults)?,
        };
        Ok(Self {
            id,
            sink,
            filters,
            delivery,
            format,
        })
    }

    /// Whether `event` passes every filter.
    pub fn matches(&self, event: &impl EventAttributes) -> bool {
        self.filters.iter().all(|f| f.matches(event))
    }

    /// The subscription in its wire form, every delivery field spelled out.
    pub fn to_json(&self) -> Value {
        let d = &self.delivery;
        let mut delivery = json!({
            "retry": d.retry,
            "backoffPolicy": d.backoff.policy,
            "backoffDelay": IsoDuration::from_duration(d.backoff.delay),
            "backoffMax": IsoDuration::from_duration(d.backoff.max),
            "timeout": IsoDuration::from_duration(d.timeout),
            "retryAfterMax": IsoDuration::from_duration(d.retry_after_max),
        });
        if let Some(sink) = &d.dead_letter_sink {
            delivery["deadLetterSink"] = Value::from(sink.as_str());
        }
        if let Some(ttl) = d.ttl {
            delivery["ttl"] = json!(IsoDuration::from_duration(ttl));
        }
        if let Some(max) = d.max_concurrency {
            delivery["maxConcurrency"] = Value::from(max);
        }
        json!({
            "id": self.id.as_str(),
            "protocol": "HTTP",
            "sink": self.sink.as_str(),
            "filters": self.filters.iter().map(Filter::to_json).collect::<Vec<_>>(),
            "delivery": delivery,
            "format": match self.format { Format::Binary => "binary", Format::Structured => "structured" },
        })
    }
}

pub(super) fn check_known(
    object: &Map<String, Value>,
    prefix: &str,
    known: &[&str],
) -> Result<(), FieldError> {
    for name in object.keys() {
        let path = format!("{prefix}{name}");
        if NOT_YET.contains(&name.as_str()) {
            return Err(FieldError::new(
                &path,
                "is not supported by this gateway version",
            ));
        }
        if !known.contains(&name.as_str()) {
            return Err(FieldError::new(
                &path,
                format!("is not a known field; known fields: {}", known.join(", ")),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn parse(body: Value) -> Result<Subscription, FieldError> {
        Subscription::from_json(&body, None, &DeliveryPolicy::default())
    }

    #[test]
    fn a_minimal_body_gets_the_documented_defaults() {
        let sub = parse(json!({"sink": "http://example.com/hook"})).expect("valid");
        assert_eq!(sub.delivery, DeliveryPolicy::default());
        assert_eq!(sub.format, Format::Binary);
        assert!(sub.filters.is_empty());
    }

    #[test]
    fn a_subscription_reads_back_from_its_wire_form() {
        let sub = parse(json!({
            "id": "orders", "sink": "http://example.com/hook", "format": "structured",
            "filters": [{"prefix": {"type": "com.example.order."}}],
            "delivery": {"retry": 3, "backoffPolicy": "linear", "backoffDelay": "PT0.2S", "backoffMax": "PT5S",
                         "timeout": "PT2S", "retryAfterMax": "PT30S", "deadLetterSink": "http://example.com/dls",
                         "ttl": "PT1H", "maxConcurrency": 4}
        }))
        .expect("valid");
        let again = parse(sub.to_json()).expect("its own wire form is valid");
        assert_eq!(again, sub);
        assert_eq!(sub.delivery.backoff.delay, Duration::from_millis(200));
    }

    #[test]
    fn every_invalid_field_is_named() {
        let field = |body: Value| parse(body).expect_err("invalid").field;
        let sink = "http://example.com/";
        assert_eq!(field(json!({})), "sink");
        assert_eq!(field(json!({"sink": "nope"})), "sink");
        assert_eq!(field(json!({"sink": sink, "id": "a b"})), "id");
        assert_eq!(field(json!({"sink": sink, "format": "xml"})), "format");
        assert_eq!(
            field(json!({"sink": sink, "delivery": {"backoffDelay": "1s"}})),
            "delivery.backoffDelay"
        );
        assert_eq!(
            field(json!({"sink": sink, "delivery": {"retry": -1}})),
            "delivery.retry"
        );
        assert_eq!(
            field(json!({"sink": sink, "delivery": {"timeout": "PT0S"}})),
            "delivery.timeout"
        );
        assert_eq!(
            field(json!({"sink": sink, "delivery": {"backoffPolicy": "random"}})),
            "delivery.backoffPolicy"
        );
        assert_eq!(
            field(json!({"sink": sink, "delivery": {"deadLetterSink": "x"}})),
            "delivery.deadLetterSink"
        );
        assert_eq!(
            field(json!({"sink": sink, "delivery": {"bogus": 1}})),
            "delivery.bogus"
        );
        assert_eq!(
            field(json!({"sink": sink, "filters": [{"exact": 1}]})),
            "filters[0].exact"
        );
        assert_eq!(field(json!({"sink": sink, "surprise": true})), "surprise");
    }
}
