//! Delivery policy: how a subscription's deliveries are retried, timed out and dead-lettered
//! (Knative's `delivery` fields), and the parser of the `delivery` object.

use std::time::Duration;

use serde_json::Value;
use shared_events::service::backoff::{Backoff, BackoffPolicy};

use super::duration::IsoDuration;
use super::sink::SinkUrl;
use super::subscription::{FieldError, check_known};

/// How a subscription's deliveries are retried and where the ones that fail end up.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryPolicy {
    /// Retries after the first attempt (`retry: N` → N + 1 attempts).
    pub retry: u32,
    /// The backoff schedule between attempts.
    pub backoff: Backoff,
    /// The per-attempt timeout.
    pub timeout: Duration,
    /// The longest `Retry-After` the gateway honours.
    pub retry_after_max: Duration,
    /// Where dead letters are also sent, with the `knativeerror*` extensions.
    pub dead_letter_sink: Option<SinkUrl>,
    /// Events older than this when an attempt is due are dead-lettered (`ttl_expired`).
    pub ttl: Option<Duration>,
    /// At most this many attempts in flight at once for this subscription.
    pub max_concurrency: Option<u32>,
    /// Ask the sink's consent first (the CloudEvents webhook handshake).
    pub handshake: bool,
    /// Pushed to a sink, or pulled by consumers.
    pub mode: DeliveryMode,
    /// Whether events of one `partitionkey` are delivered one at a time, in ingest order.
    pub ordering: Ordering,
}

/// How events reach a subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeliveryMode {
    /// The gateway POSTs each event to the subscription's sink.
    #[default]
    Push,
    /// Consumers fetch events (`/subscriptions/{id}/receive`) and settle them by lock token;
    /// the subscription has no sink. Its `timeout` is how long a received event stays locked.
    Pull,
}

impl DeliveryMode {
    /// The mode as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Push => "push",
            Self::Pull => "pull",
        }
    }
}

/// Whether a subscription's deliveries are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ordering {
    /// Deliveries run concurrently, in no particular order.
    #[default]
    None,
    /// Events with the same `partitionkey` extension go one at a time in ingest order; a
    /// retrying head holds back its key only. Events without the extension are unordered.
    PartitionKey,
}

impl Ordering {
    /// The ordering as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::PartitionKey => "partitionkey",
        }
    }
}

impl Default for DeliveryPolicy {
    /// The gateway's documented defaults: 5 retries, exponential backoff from 1 s capped at
    /// 1 min, a 10 s attempt timeout, `Retry-After` honoured up to 1 min.
    fn default() -> Self {
        Self {
            retry: 5,
            backoff: Backoff {
                policy: BackoffPolicy::Exponential,
                delay: Duration::from_secs(1),
                max: Duration::from_secs(60),
            },
            timeout: Duration::from_secs(10),
            retry_after_max: Duration::from_secs(60),
            dead_letter_sink: None,
            ttl: None,
            max_concurrency: None,
            handshake: false,
            mode: DeliveryMode::Push,
            ordering: Ordering::None,
        }
    }
}

const DELIVERY_FIELDS: &[&str] = &[
    "retry",
    "backoffPolicy",
    "backoffDelay",
    "backoffMax",
    "timeout",
    "retryAfterMax",
    "deadLetterSink",
    "ttl",
    "maxConcurrency",
    "mode",
    "ordering",
    "handshake",
];

pub(super) fn parse_delivery(
    value: &Value,
    defaults: &DeliveryPolicy,
) -> Result<DeliveryPolicy, FieldError> {
    let object = value
        .as_object()
        .ok_or_else(|| FieldError::new("delivery", "must be an object"))?;
    check_known(object, "delivery.", DELIVERY_FIELDS)?;
    let mut policy = defaults.clone();
    let duration = |name: &str| -> Result<Option<Duration>, FieldError> {
        let field = format!("delivery.{name}");
        match object.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => IsoDuration::parse(text)
                .map(|d| Some(d.get()))
                .map_err(|e| FieldError::new(&field, e.to_string())),
            Some(_) => Err(FieldError::new(
                &field,
                "must be an ISO 8601 duration string such as \"PT1S\"",
            )),
        }
    };
    let count = |name: &str, max: u64| -> Result<Option<u32>, FieldError> {
        match object.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .filter(|n| *n <= max)
                .map(|n| Some(n as u32))
                .ok_or_else(|| {
                    FieldError::new(
                        &format!("delivery.{name}"),
                        format!("must be an integer from 0 to {max}"),
                    )
                }),
        }
    };
    if let Some(retry) = count("retry", 1000)? {
        policy.retry = retry;
    }
    match object.get("backoffPolicy").map(|v| v.as_str()) {
        None => {}
        Some(Some("linear")) => policy.backoff.policy = BackoffPolicy::Linear,
        Some(Some("exponential")) => policy.backoff.policy = BackoffPolicy::Exponential,
        Some(_) => {
            return Err(FieldError::new(
                "delivery.backoffPolicy",
                "must be \"linear\" or \"exponential\"",
            ));
        }
    }
    if let Some(d) = duration("backoffDelay")? {
        policy.backoff.delay = d;
    }
    if let Some(d) = duration("backoffMax")? {
        policy.backoff.max = d;
    }
    if let Some(d) = duration("timeout")? {
        if d.is_zero() {
            return Err(FieldError::new(
                "delivery.timeout",
                "must be longer than zero",
            ));
        }
        policy.timeout = d;
    }
    if let Some(d) = duration("retryAfterMax")? {
        policy.retry_after_max = d;
    }
    if let Some(d) = duration("ttl")? {
        policy.ttl = Some(d);
    }
    if let Some(max) = count("maxConcurrency", 10_000)? {
        if max == 0 {
            return Err(FieldError::new(
                "delivery.maxConcurrency",
                "must be at least 1",
            ));
        }
        policy.max_concurrency = Some(max);
    }
    match object.get("handshake") {
        None | Some(Value::Null) => {}
        Some(Value::Bool(on)) => policy.handshake = *on,
        Some(_) => {
            return Err(FieldError::new(
                "delivery.handshake",
                "must be true or false",
            ));
        }
    }
    match object.get("deadLetterSink") {
        None | Some(Value::Null) => {}
        Some(Value::String(text)) => {
            policy.dead_letter_sink = Some(
                SinkUrl::parse(text)
                    .map_err(|e| FieldError::new("delivery.deadLetterSink", e.to_string()))?,
            );
        }
        Some(_) => {
            return Err(FieldError::new(
                "delivery.deadLetterSink",
                "must be a string",
            ));
        }
    }
    match object
        .get("mode")
        .filter(|v| !v.is_null())
        .map(Value::as_str)
    {
        None => {}
        Some(Some("push")) => policy.mode = DeliveryMode::Push,
        Some(Some("pull")) => policy.mode = DeliveryMode::Pull,
        Some(_) => {
            return Err(FieldError::new(
                "delivery.mode",
                "must be \"push\" or \"pull\"",
            ));
        }
    }
    match object
        .get("ordering")
        .filter(|v| !v.is_null())
        .map(Value::as_str)
    {
        None => {}
        Some(Some("none")) => policy.ordering = Ordering::None,
        Some(Some("partitionkey")) => policy.ordering = Ordering::PartitionKey,
        Some(_) => {
            return Err(FieldError::new(
                "delivery.ordering",
                "must be \"none\" or \"partitionkey\"",
            ));
        }
    }
    Ok(policy)
}
