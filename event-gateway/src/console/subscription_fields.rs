//! The subscription form's fields, all text as browsers send them, and how they become the
//! API's JSON body (and back, from a subscription's wire form, to edit it). Only what is not
//! even the right kind of value (filters that are not JSON, a retry that is not a number) is
//! refused here; everything else is the API's to judge, so the form and the API cannot
//! disagree.

use serde::Deserialize;
use serde_json::{Map, Value, json};

/// The form's fields, all text as browsers send them.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct SubscriptionForm {
    #[serde(default)]
    pub(super) editing: String,
    #[serde(default)]
    pub(super) id: String,
    #[serde(default)]
    pub(super) mode: String,
    #[serde(default)]
    pub(super) sink: String,
    #[serde(default)]
    pub(super) format: String,
    #[serde(default)]
    pub(super) filters: String,
    #[serde(default)]
    pub(super) retry: String,
    #[serde(default)]
    pub(super) backoff_policy: String,
    #[serde(default)]
    pub(super) backoff_delay: String,
    #[serde(default)]
    pub(super) backoff_max: String,
    #[serde(default)]
    pub(super) timeout: String,
    #[serde(default)]
    pub(super) dead_letter_sink: String,
    #[serde(default)]
    pub(super) ttl: String,
    #[serde(default)]
    pub(super) ordering: String,
    #[serde(default)]
    pub(super) from: String,
    #[serde(default)]
    pub(super) secret: String,
    #[serde(default)]
    pub(super) rate_limit: String,
}

impl SubscriptionForm {
    /// The form of an existing subscription's wire form.
    pub(super) fn of(wire: &Value) -> Self {
        let text = |v: &Value| match v {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let d = &wire["delivery"];
        Self {
            editing: text(&wire["id"]),
            id: text(&wire["id"]),
            mode: text(&d["mode"]),
            sink: text(&wire["sink"]),
            format: text(&wire["format"]),
            filters: serde_json::to_string_pretty(&wire["filters"]).unwrap_or_default(),
            retry: text(&d["retry"]),
            backoff_policy: text(&d["backoffPolicy"]),
            backoff_delay: text(&d["backoffDelay"]),
            backoff_max: text(&d["backoffMax"]),
            timeout: text(&d["timeout"]),
            dead_letter_sink: text(&d["deadLetterSink"]),
            ttl: text(&d["ttl"]),
            ordering: text(&d["ordering"]),
            from: text(&wire["from"]),
            secret: "keep".to_owned(),
            rate_limit: text(&wire["rateLimit"]),
        }
    }

    /// The API body the fields describe; a field that is not even the right kind of value
    /// (filters that are not JSON, a retry that is not a number) is named in the error.
    pub(super) fn body(&self) -> Result<Value, (String, String)> {
        let mut body = Map::new();
        let mut delivery = Map::new();
        let set = |map: &mut Map<String, Value>, key: &str, text: &str| {
            if !text.trim().is_empty() {
                map.insert(key.to_owned(), Value::from(text.trim()));
            }
        };
        set(&mut body, "id", &self.id);
        set(&mut body, "sink", &self.sink);
        set(&mut body, "format", &self.format);
        if self.editing.is_empty() {
            set(&mut body, "from", &self.from);
        }
        let filters = if self.filters.trim().is_empty() {
            json!([])
        } else {
            serde_json::from_str(&self.filters)
                .map_err(|e| ("filters".to_owned(), format!("is not JSON: {e}")))?
        };
        body.insert("filters".to_owned(), filters);
        if !self.retry.trim().is_empty() {
            let retry: u64 = self.retry.trim().parse().map_err(|_| {
                (
                    "delivery.retry".to_owned(),
                    "must be a whole number".to_owned(),
                )
            })?;
            delivery.insert("retry".to_owned(), Value::from(retry));
        }
        if !self.rate_limit.trim().is_empty() {
            let rate: f64 = self.rate_limit.trim().parse().map_err(|_| {
                (
                    "rateLimit".to_owned(),
                    "must be a number of events per second".to_owned(),
                )
            })?;
            body.insert("rateLimit".to_owned(), json!(rate));
        }
        set(&mut delivery, "backoffPolicy", &self.backoff_policy);
        set(&mut delivery, "backoffDelay", &self.backoff_delay);
        set(&mut delivery, "backoffMax", &self.backoff_max);
        set(&mut delivery, "timeout", &self.timeout);
        set(&mut delivery, "deadLetterSink", &self.dead_letter_sink);
        set(&mut delivery, "ttl", &self.ttl);
        if self.mode == "pull" {
            delivery.insert("mode".to_owned(), Value::from("pull"));
            body.remove("sink");
        }
        if self.ordering == "partitionkey" {
            delivery.insert("ordering".to_owned(), Value::from("partitionkey"));
        }
        body.insert("delivery".to_owned(), Value::Object(delivery));
        match self.secret.as_str() {
            "generate" => {
                body.insert("secret".to_owned(), Value::from("generate"));
            }
            "remove" => {
                body.insert("secret".to_owned(), Value::Null);
            }
            _ => {}
        }
        Ok(Value::Object(body))
    }
}
