//! The values of the console's read models: traffic over a window, backlog per subscription,
//! recent failures, event search and event types. Both backends fill them from the same tables
//! (`events`, `deliveries`, `attempts`, `dead_letters`); what can be computed alike in Rust
//! ([`reach_of`]) is, so the two cannot drift apart.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::{Cursor, DeadLetterId, LoggedAttempt, Position};
use crate::domain::SubscriptionId;

/// How deliveries went over a window: settled attempts by outcome, and the 99th percentiles
/// (nearest rank) of delivered attempts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrafficCounts {
    /// Attempts the subscriber accepted.
    pub delivered: u64,
    /// Failed attempts that will be tried again.
    pub retried: u64,
    /// Failed attempts that were given up (dead-lettered).
    pub dead_lettered: u64,
    /// p99 of accepted → delivered, milliseconds: what `gateway_delivery_latency_seconds`
    /// measures.
    pub p99_delivery_ms: Option<u64>,
    /// p99 of the subscriber's answer time on delivered attempts, milliseconds.
    pub p99_response_ms: Option<u64>,
}

impl TrafficCounts {
    /// Attempts that failed (retried or dead-lettered).
    pub fn failed(&self) -> u64 {
        self.retried + self.dead_lettered
    }

    /// Every settled attempt.
    pub fn attempts(&self) -> u64 {
        self.delivered + self.failed()
    }

    /// Delivered attempts over all settled attempts; `None` without any.
    pub fn success_rate(&self) -> Option<f64> {
        let all = self.attempts();
        (all > 0).then(|| self.delivered as f64 / all as f64)
    }
}

/// Traffic since a time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Traffic {
    /// Events accepted since then.
    pub events: u64,
    /// Attempts of every subscription.
    pub total: TrafficCounts,
    /// Attempts per subscription (only those with any), by id.
    pub per_subscription: Vec<(SubscriptionId, TrafficCounts)>,
}

/// The pending deliveries of one subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backlog {
    /// The subscription.
    pub subscription: SubscriptionId,
    /// Deliveries not settled yet (due, waiting for a retry, or in flight).
    pub pending: u64,
    /// Those of them that failed at least once.
    pub retrying: u64,
    /// When the oldest of their events was accepted.
    pub oldest_ingested_at: Option<DateTime<Utc>>,
}

/// A failed attempt, newest first, with the dead letter its delivery is now, if it is one.
#[derive(Debug, Clone)]
pub struct RecentFailure {
    /// The attempt as the delivery log shows it.
    pub attempt: LoggedAttempt,
    /// The dead letter holding the delivery now (what one-click redelivery redelivers).
    pub dead_letter: Option<DeadLetterId>,
}

/// Which retained events to find, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventSearch {
    /// `id` equals.
    pub id: Option<String>,
    /// `source` equals.
    pub source: Option<String>,
    /// `type` starts with.
    pub type_prefix: Option<String>,
    /// `subject` starts with.
    pub subject_prefix: Option<String>,
    /// Accepted at or after.
    pub since: Option<DateTime<Utc>>,
    /// Accepted at or before.
    pub until: Option<DateTime<Utc>>,
    /// Only positions below this (the next page).
    pub before: Option<Position>,
    /// At most this many.
    pub limit: u32,
}

/// One event as a search lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSummary {
    /// Its place in the stream.
    pub cursor: Cursor,
    /// When it was accepted.
    pub ingested_at: DateTime<Utc>,
    /// `id`.
    pub id: String,
    /// `source`.
    pub source: String,
    /// `type`.
    pub event_type: String,
    /// `subject`.
    pub subject: Option<String>,
    /// `time`.
    pub time: Option<DateTime<Utc>>,
    /// Where it went.
    pub reach: Reach,
}

/// How many subscriptions an event went to and how that went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reach {
    /// Subscriptions it was routed to (pending, attempted or dead-lettered).
    pub routed: u32,
    /// Subscriptions that accepted it.
    pub delivered: u32,
    /// Subscriptions whose delivery of it is a dead letter.
    pub dead_lettered: u32,
}

/// Folds `(position, subscription, what)` rows — `what` being `pending`, `dead` or an attempt
/// outcome — into each position's [`Reach`].
pub fn reach_of(rows: &[(Position, String, String)]) -> BTreeMap<Position, Reach> {
    type Sets<'a> = (BTreeSet<&'a str>, BTreeSet<&'a str>, BTreeSet<&'a str>);
    let mut sets: BTreeMap<Position, Sets<'_>> = BTreeMap::new();
    for (position, sub, what) in rows {
        let (routed, delivered, dead) = sets.entry(*position).or_default();
        routed.insert(sub);
        match what.as_str() {
            "delivered" => {
                delivered.insert(sub);
            }
            "dead" => {
                dead.insert(sub);
            }
            _ => {}
        }
    }
    let count = |s: &BTreeSet<&str>| u32::try_from(s.len()).unwrap_or(u32::MAX);
    sets.into_iter()
        .map(|(position, (routed, delivered, dead))| {
            let reach = Reach {
                routed: count(&routed),
                delivered: count(&delivered),
                dead_lettered: count(&dead),
            };
            (position, reach)
        })
        .collect()
}

/// One event type among the retained events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeCount {
    /// The type.
    pub event_type: String,
    /// Retained events of it.
    pub count: u64,
    /// The newest one's position.
    pub newest: Position,
    /// When the newest one was accepted.
    pub last_ingested_at: DateTime<Utc>,
}

/// The nearest-rank index (0-based) of the 99th percentile among `n` sorted values:
/// `ceil(0.99 n) - 1`, in integers. The SQL of both backends uses the same rank.
pub fn p99_rank(n: u64) -> u64 {
    (99 * n).div_ceil(100).saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_p99_rank_is_the_nearest_rank() {
        assert_eq!(p99_rank(1), 0);
        assert_eq!(p99_rank(100), 98);
        assert_eq!(p99_rank(101), 99);
        assert_eq!(p99_rank(200), 197);
    }

    #[test]
    fn reach_counts_each_subscription_once_per_event() {
        let row = |p: i64, s: &str, w: &str| (p, s.to_owned(), w.to_owned());
        let rows = vec![
            row(1, "a", "retry"),
            row(1, "a", "delivered"),
            row(1, "b", "pending"),
            row(1, "c", "dead_lettered"),
            row(1, "c", "dead"),
            row(2, "a", "delivered"),
        ];
        let reach = reach_of(&rows);
        assert_eq!(
            reach[&1],
            Reach {
                routed: 3,
                delivered: 1,
                dead_lettered: 1
            }
        );
        assert_eq!(
            reach[&2],
            Reach {
                routed: 1,
                delivered: 1,
                dead_lettered: 0
            }
        );
    }
}
