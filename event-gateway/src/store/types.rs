//! The values that cross the storage boundary: events to ingest, claims and their leases,
//! settled attempts, dead letters and retention requests.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::JobId;
use crate::domain::SubscriptionId;

/// An event's place in ingest order: the stream cursor.
pub type Position = i64;

/// An event to ingest, with its fan-out already computed.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// `source`.
    pub source: String,
    /// `id`.
    pub id: String,
    /// `type`.
    pub event_type: String,
    /// `subject`, if any.
    pub subject: Option<String>,
    /// `time`, if any.
    pub time: Option<DateTime<Utc>>,
    /// The `partitionkey` extension, if any.
    pub partition_key: Option<String>,
    /// The event in the JSON event format, exactly as it will be delivered in structured mode.
    pub body: Bytes,
    /// The subscriptions it goes to.
    pub subscriptions: Vec<SubscriptionId>,
    /// The generation of the subscriptions snapshot `subscriptions` came from.
    pub matched_with: u64,
}

/// What ingest did with one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ingested {
    /// Stored at this position, deliveries scheduled.
    Accepted(Position),
    /// Its (`source`, `id`) was seen inside the dedupe window: nothing stored.
    Duplicate,
}

/// Who holds a claim: one id per process.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LeaseOwner(Arc<str>);

impl LeaseOwner {
    /// A fresh owner id for this process.
    pub fn generate() -> Self {
        Self(Arc::from(uuid::Uuid::now_v7().to_string()))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An owner named in a token the gateway handed out (a pull consumer's lock token).
    pub fn from_token(text: &str) -> Option<Self> {
        uuid::Uuid::parse_str(text)
            .ok()
            .map(|u| Self(Arc::from(u.to_string())))
    }
}

/// Asks for up to `limit` due deliveries of one subscription, leased for `lease`.
#[derive(Debug, Clone)]
pub struct ClaimRequest {
    /// The subscription.
    pub subscription: SubscriptionId,
    /// At most this many rows (its free delivery slots).
    pub limit: u32,
    /// How long the claim holds: the attempt timeout plus a grace (for a pull consumer: its
    /// lock).
    pub lease: Duration,
    /// Per-key ordering: a row is claimable only when no earlier row of its subscription has
    /// the same partition key (rows without a key are unordered).
    pub ordered: bool,
}

/// The fencing token of one claimed delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The delivery row.
    pub delivery: i64,
    /// The attempt number this claim made (1 for the first attempt).
    pub attempt: u32,
    /// Who claimed it.
    pub owner: LeaseOwner,
}

/// A claimed delivery, ready to attempt.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The fencing token to settle it with.
    pub lease: Lease,
    /// The event's position.
    pub position: Position,
    /// The subscription.
    pub subscription: SubscriptionId,
    /// The event's structured JSON bytes.
    pub body: Bytes,
    /// When the event was accepted.
    pub ingested_at: DateTime<Utc>,
    /// The replay job this delivery belongs to (the event then carries `replayid`).
    pub replay: Option<JobId>,
}

/// One entry of a delivery's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    /// The attempt number (0 for a redelivery marker).
    pub attempt: u32,
    /// When it finished.
    pub at: DateTime<Utc>,
    /// `delivered`, `retry`, `dead_lettered` or `redelivered`.
    pub outcome: String,
    /// The status the subscriber answered, if it answered.
    pub status: Option<u16>,
    /// How long the attempt took.
    pub latency_ms: u32,
    /// What went wrong, in words.
    pub error: Option<String>,
    /// The first 1 KiB of the response body, for failed attempts.
    pub response: Option<String>,
}

/// A settled attempt: its lease and its history entry.
#[derive(Debug, Clone)]
pub struct Settled {
    /// The claim being settled.
    pub lease: Lease,
    /// The event's position.
    pub position: Position,
    /// The subscription.
    pub subscription: SubscriptionId,
    /// The history entry to add.
    pub record: AttemptRecord,
}

/// A failed attempt to retry at `due_at`.
#[derive(Debug, Clone)]
pub struct RetryLater {
    /// The attempt.
    pub settled: Settled,
    /// When the next attempt is due.
    pub due_at: DateTime<Utc>,
}

/// A delivery given up on.
#[derive(Debug, Clone)]
pub struct GiveUp {
    /// The last attempt.
    pub settled: Settled,
    /// `non_retryable`, `exhausted`, `ttl_expired`.
    pub reason: String,
}

/// A dead letter's id.
pub type DeadLetterId = i64;

/// Which dead letters to list, oldest first.
#[derive(Debug, Clone, Default)]
pub struct DeadLetterQuery {
    /// Only this subscription's.
    pub subscription: Option<SubscriptionId>,
    /// Only events of this type.
    pub event_type: Option<String>,
    /// Only ids greater than this (paging).
    pub after: Option<DeadLetterId>,
    /// At most this many.
    pub limit: u32,
}

/// A dead letter.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    /// Its id.
    pub id: DeadLetterId,
    /// The subscription whose delivery failed.
    pub subscription: SubscriptionId,
    /// The event's position.
    pub position: Position,
    /// The event's type.
    pub event_type: String,
    /// Why it was given up.
    pub reason: String,
    /// The last status the subscriber answered, if any.
    pub last_status: Option<u16>,
    /// How many attempts were made.
    pub attempts: u32,
    /// When it was given up.
    pub dead_lettered_at: DateTime<Utc>,
    /// The event, untouched (structured JSON).
    pub event: Bytes,
}

/// Which dead letters to redeliver.
#[derive(Debug, Clone)]
pub enum Redeliver {
    /// One dead letter.
    One(DeadLetterId),
    /// Every dead letter of a subscription.
    Subscription(SubscriptionId),
}

/// How much to purge in one call; each table is purged in batches of `batch` rows.
#[derive(Debug, Clone, Copy)]
pub struct Purge {
    /// Events accepted before this, with no pending delivery or dead letter, go.
    pub events_before: DateTime<Utc>,
    /// History entries before this go (except those of dead letters), and so do jobs that
    /// ended before it.
    pub history_before: DateTime<Utc>,
    /// Dedupe keys seen before this go.
    pub dedupe_before: DateTime<Utc>,
    /// Rows per statement.
    pub batch: u32,
}

/// How many rows a purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Events.
    pub events: u64,
    /// History entries.
    pub history: u64,
    /// Dedupe keys.
    pub dedupe: u64,
    /// Finished replay jobs (purged with the history).
    pub jobs: u64,
}
