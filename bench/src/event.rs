//! The event every throughput scenario posts: about 450 bytes as structured JSON, shaped like an
//! `order.created` (a non-catalog type, so the gateway stores and routes it without schema
//! validation), with an id that encodes its sequence number so receivers can count it without a
//! lookup.

use shared_events::{Event, EventBuilder, EventBuilderV10};
use uuid::Uuid;

/// The `type` of the bench's events.
pub const BENCH_TYPE: &str = "com.example.bench.tick.v1";

/// The `source` of the bench's events.
pub const BENCH_SOURCE: &str = "/bench";

/// Ids of one run: a random UUID whose last 12 hex digits are replaced by the sequence number,
/// so every id is a well-formed UUID and unique across runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdScheme {
    prefix: String,
}

impl IdScheme {
    /// A fresh scheme (a new random prefix).
    pub fn new() -> Self {
        let random = Uuid::new_v4().to_string();
        Self {
            prefix: random[..24].to_owned(),
        }
    }

    /// The id of event `seq` (`seq` below 2^48).
    pub fn id(&self, seq: u64) -> String {
        format!("{}{:012x}", self.prefix, seq & 0xffff_ffff_ffff)
    }

    /// The sequence number of `id`, if it belongs to this scheme.
    pub fn seq(&self, id: &str) -> Option<u64> {
        let digits = id.strip_prefix(self.prefix.as_str())?;
        if digits.len() != 12 {
            return None;
        }
        u64::from_str_radix(digits, 16).ok()
    }
}

impl Default for IdScheme {
    fn default() -> Self {
        Self::new()
    }
}

/// Event `seq` of a run.
///
/// # Panics
/// Never: every attribute is valid by construction.
pub fn bench_event(ids: &IdScheme, seq: u64) -> Event {
    let data = serde_json::json!({
        "order_id": format!("0190b2a4-7c1e-7000-8000-{seq:012x}"),
        "customer_id": "customer-0042",
        "items": [
            {"sku": "SKU-RED-SHIRT-M", "quantity": 2, "unit_price_cents": 1999}
        ],
        "total_cents": 3998,
        "currency": "EUR"
    });
    EventBuilderV10::new()
        .id(ids.id(seq))
        .source(BENCH_SOURCE)
        .ty(BENCH_TYPE)
        .subject(format!("order-{seq}"))
        .time(chrono::Utc::now())
        .data("application/json", data)
        .extension(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .build()
        .unwrap_or_else(|e| unreachable!("the bench event is valid by construction: {e}"))
}
