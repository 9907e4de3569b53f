//! Subscriptions: where matching events go and how hard the gateway tries.
//!
//! The wire shape follows the CloudEvents Subscriptions API (`id`, `sink`, `protocol`, `filters`)
//! with Knative's delivery fields (`retry`, `backoffPolicy`, `backoffDelay`, `backoffMax`,
//! `timeout`, `retryAfterMax`, `deadLetterSink`). [`Subscription::from_json`] is the one parser,
//! used for request bodies, the static subscriptions file and rows read back from storage; every
//! error names the field it is about.

use std::fmt;

use serde_json::{Map, Value, json};

use super::delivery::parse_delivery;
pub use super::delivery::{DeliveryMode, DeliveryPolicy, Ordering};
use super::duration::IsoDuration;
use super::filter::{EventAttributes, Filter};
use super::signing::{SigningKey, WebhookSecret};
use super::sink::SinkUrl;
use super::state::{RateLimit, SubscriptionState};

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
    /// Where deliveries go (`None` for a pull subscription).
    pub sink: Option<SinkUrl>,
    /// Which events it starts with: only new ones, or first the retained history.
    pub from: StartFrom,
    /// All must match for an event to be delivered (an empty list matches everything).
    pub filters: Vec<Filter>,
    /// Retries, backoff, timeouts, dead letters.
    pub delivery: DeliveryPolicy,
    /// Binary or structured mode.
    pub format: Format,
    /// At most this many attempts per second (`rateLimit`).
    pub rate_limit: Option<RateLimit>,
    /// The Standard Webhooks secrets deliveries are signed with (write-only).
    pub secrets: Vec<SigningKey>,
    /// The gateway's state of it (read-only; kept apart from the spec in storage).
    pub state: SubscriptionState,
}

/// Where a new subscription starts in the stream (`from`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartFrom {
    /// Events accepted from now on (the default).
    #[default]
    Latest,
    /// Every retained event it matches first, then live ones.
    Earliest,
    /// Retained events accepted at or after this time first, then live ones.
    Time(chrono::DateTime<chrono::Utc>),
}

impl StartFrom {
    fn parse(value: &Value) -> Result<Self, FieldError> {
        let invalid = || {
            FieldError::new(
                "from",
                "must be \"latest\", \"earliest\" or an RFC 3339 time",
            )
        };
        match value {
            Value::Null => Ok(Self::Latest),
            Value::String(text) if text == "latest" => Ok(Self::Latest),
            Value::String(text) if text == "earliest" => Ok(Self::Earliest),
            Value::String(text) => chrono::DateTime::parse_from_rfc3339(text)
                .map(|t| Self::Time(t.to_utc()))
                .map_err(|_| invalid()),
            _ => Err(invalid()),
        }
    }

    fn to_json(self) -> Value {
        match self {
            Self::Latest => Value::from("latest"),
            Self::Earliest => Value::from("earliest"),
            Self::Time(t) => Value::from(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        }
    }
}

/// What a body's `secret` field asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretInput {
    /// Absent: a new subscription is unsigned, a replaced one keeps its secrets.
    Keep,
    /// `null`: stop signing.
    Remove,
    /// `"whsec_…"`: sign with this secret.
    Set(WebhookSecret),
    /// `"generate"`: sign with a fresh secret, shown once in the response.
    Generate,
}

impl SecretInput {
    /// Reads the `secret` field of a body object.
    ///
    /// # Errors
    /// [`FieldError`] on `secret` when it is neither absent, `null`, `"generate"` nor a valid
    /// `whsec_` secret.
    pub fn from_body(object: &Map<String, Value>) -> Result<Self, FieldError> {
        match object.get("secret") {
            None => Ok(Self::Keep),
            Some(Value::Null) => Ok(Self::Remove),
            Some(Value::String(text)) if text == "generate" => Ok(Self::Generate),
            Some(Value::String(text)) => WebhookSecret::parse(text)
                .map(Self::Set)
                .map_err(|e| FieldError::new("secret", e.to_string())),
            Some(_) => Err(FieldError::new(
                "secret",
                "must be a `whsec_…` string, \"generate\" or null",
            )),
        }
    }
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

const TOP_FIELDS: &[&str] = &[
    "id",
    "sink",
    "from",
    "protocol",
    "filters",
    "delivery",
    "format",
    "rateLimit",
    "secret",
];
/// Read-only fields of the wire form: accepted in bodies (so a read can be written back) and
/// ignored.
const READ_ONLY: &[&str] = &["secretSet", "status", "statusReason", "statusSince"];
/// Fields of the design that later gateway versions implement; refused rather than ignored.
const NOT_YET: &[&str] = &["types", "config", "protocolsettings"];

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
                Some(SinkUrl::parse(text).map_err(|e| FieldError::new("sink", e.to_string()))?)
            }
            None | Some(Value::Null) => None,
            Some(_) => return Err(FieldError::new("sink", "must be a string")),
        };
        let from = object
            .get("from")
            .map_or(Ok(StartFrom::Latest), StartFrom::parse)?;
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
        match (delivery.mode, &sink) {
            (DeliveryMode::Push, None) => {
                return Err(FieldError::new(
                    "sink",
                    "is required (or set `delivery.mode` to \"pull\")",
                ));
            }
            (DeliveryMode::Pull, Some(_)) => {
                return Err(FieldError::new(
                    "sink",
                    "must be left out: consumers pull from a pull subscription",
                ));
            }
            (DeliveryMode::Pull, None) if delivery.handshake => {
                return Err(FieldError::new(
                    "delivery.handshake",
                    "needs a sink: a pull subscription has none",
                ));
            }
            _ => {}
        }
        let rate_limit = match object.get("rateLimit") {
            None | Some(Value::Null) => None,
            Some(value) => Some(
                value
                    .as_f64()
                    .and_then(RateLimit::per_second)
                    .filter(|r| r.get() <= 1_000_000.0)
                    .ok_or_else(|| {
                        FieldError::new(
                            "rateLimit",
                            "must be a positive number of events per second",
                        )
                    })?,
            ),
        };
        let now = chrono::Utc::now();
        let secrets = match SecretInput::from_body(object)? {
            SecretInput::Keep | SecretInput::Remove => Vec::new(),
            SecretInput::Set(secret) => vec![SigningKey {
                secret,
                created_at: now,
                expires_at: None,
            }],
            SecretInput::Generate => vec![SigningKey {
                secret: WebhookSecret::generate(),
                created_at: now,
                expires_at: None,
            }],
        };
        Ok(Self {
            id,
            sink,
            from,
            filters,
            delivery,
            format,
            rate_limit,
            secrets,
            state: SubscriptionState::default(),
        })
    }

    /// The rate attempts are held to: the stricter of `rateLimit` and what the sink granted in
    /// the handshake.
    pub fn effective_rate(&self) -> Option<RateLimit> {
        RateLimit::stricter(
            self.rate_limit,
            self.state
                .granted_per_minute
                .and_then(RateLimit::per_minute),
        )
    }

    /// Whether `event` passes every filter.
    pub fn matches(&self, event: &impl EventAttributes) -> bool {
        self.filters.iter().all(|f| f.matches(event))
    }

    /// The subscription in its wire form, every delivery field spelled out, with the
    /// read-only `status` fields and `secretSet` (never a secret).
    pub fn to_json(&self) -> Value {
        let mut wire = self.spec_json();
        let state = &self.state;
        wire["status"] = Value::from(state.status.as_str());
        if let Some(reason) = &state.reason {
            wire["statusReason"] = Value::from(reason.as_str());
        }
        if let Some(since) = state.since {
            wire["statusSince"] =
                Value::from(since.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        }
        wire["secretSet"] = Value::from(!self.secrets.is_empty());
        wire
    }

    /// What the client asked for, as stored: the wire form without state and secrets.
    pub fn spec_json(&self) -> Value {
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
        if d.handshake {
            delivery["handshake"] = Value::from(true);
        }
        if d.mode != DeliveryMode::Push {
            delivery["mode"] = Value::from(d.mode.as_str());
        }
        if d.ordering != Ordering::None {
            delivery["ordering"] = Value::from(d.ordering.as_str());
        }
        let mut wire = json!({
            "id": self.id.as_str(),
            "protocol": "HTTP",
            "from": self.from.to_json(),
            "filters": self.filters.iter().map(Filter::to_json).collect::<Vec<_>>(),
            "delivery": delivery,
            "format": match self.format { Format::Binary => "binary", Format::Structured => "structured" },
        });
        if let Some(sink) = &self.sink {
            wire["sink"] = Value::from(sink.as_str());
        }
        if let Some(rate) = self.rate_limit {
            wire["rateLimit"] = Value::from(rate.get());
        }
        wire
    }
}

pub(super) fn check_known(
    object: &Map<String, Value>,
    prefix: &str,
    known: &[&str],
) -> Result<(), FieldError> {
    for name in object.keys() {
        if prefix.is_empty() && READ_ONLY.contains(&name.as_str()) {
            continue;
        }
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
        let limited = parse(
            json!({"sink": "http://example.com/", "rateLimit": 5, "delivery": {"handshake": true}}),
        )
        .expect("valid");
        assert_eq!(parse(limited.to_json()).expect("valid"), limited);
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
        assert_eq!(field(json!({"sink": sink, "rateLimit": 0})), "rateLimit");
        assert_eq!(field(json!({"sink": sink, "secret": "hunter2"})), "secret");
        assert_eq!(
            field(json!({"sink": sink, "delivery": {"handshake": "yes"}})),
            "delivery.handshake"
        );
    }
}
