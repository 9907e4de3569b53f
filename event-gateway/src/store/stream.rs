//! The values of the stream side of the store: cursors over retained events, what happened to
//! one event, and replay jobs.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::{AttemptRecord, DeadLetterId, Position};
use crate::domain::SubscriptionId;

/// A place in the stream of retained events, opaque to clients.
///
/// Events are read in `(order, position)` order. On SQLite `order` is the position itself
/// (one writer: positions are handed out in commit order). On PostgreSQL positions are handed
/// out in insert order, not commit order, so `order` is the writing transaction's id and
/// readers only read transactions below the oldest one still running: every event that can
/// still appear sorts after every event already read, so a cursor never skips a late commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cursor {
    /// The commit-order key (see above).
    pub order: i64,
    /// The event's position.
    pub position: Position,
}

impl Cursor {
    /// The cursor just before `self`: reading after it starts at `self`.
    pub fn just_before(self) -> Self {
        Self {
            order: self.order,
            position: self.position - 1,
        }
    }

    /// Parses a cursor a client sent back.
    ///
    /// # Errors
    /// When `text` is not a cursor this gateway wrote.
    pub fn parse(text: &str) -> Result<Self, CursorError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| CursorError)?;
        let bytes: [u8; 16] = bytes.try_into().map_err(|_| CursorError)?;
        let (order, position) = bytes.split_at(8);
        Ok(Self {
            order: i64::from_be_bytes(order.try_into().map_err(|_| CursorError)?),
            position: i64::from_be_bytes(position.try_into().map_err(|_| CursorError)?),
        })
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut bytes = [0_u8; 16];
        bytes[..8].copy_from_slice(&self.order.to_be_bytes());
        bytes[8..].copy_from_slice(&self.position.to_be_bytes());
        f.write_str(&URL_SAFE_NO_PAD.encode(bytes))
    }
}

/// A string that is not a cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a cursor this gateway handed out")]
pub struct CursorError;

/// A retained event.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// Its place in the stream.
    pub cursor: Cursor,
    /// When it was accepted.
    pub ingested_at: DateTime<Utc>,
    /// The event in the JSON event format, as stored.
    pub body: Bytes,
}

/// A delivery of one event that is still pending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingDelivery {
    /// The subscription.
    pub subscription: SubscriptionId,
    /// Attempts made so far (a claimed one counts).
    pub attempts: u32,
    /// When the next attempt is due, or when the current one's lease runs out.
    pub due_at: DateTime<Utc>,
    /// Whether an attempt (or a pull consumer's lock) holds it now.
    pub claimed: bool,
    /// The replay job it belongs to, if any.
    pub replay: Option<JobId>,
}

/// Everything the store knows about where one event went.
#[derive(Debug, Clone, Default)]
pub struct EventDeliveries {
    /// Deliveries not settled yet.
    pub pending: Vec<PendingDelivery>,
    /// Dead letters of the event, with their subscription.
    pub dead_letters: Vec<(SubscriptionId, DeadLetterId)>,
    /// Every attempt, oldest first, with its subscription.
    pub history: Vec<(SubscriptionId, AttemptRecord)>,
}

/// A replay job's id (a UUIDv7).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JobId(String);

impl JobId {
    /// A fresh id.
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().to_string())
    }

    /// Parses an id read back from a URL or the store.
    ///
    /// # Errors
    /// When it is not a UUID.
    pub fn parse(text: &str) -> Result<Self, String> {
        uuid::Uuid::parse_str(text)
            .map(|u| Self(u.to_string()))
            .map_err(|_| format!("`{text}` is not a job id"))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a replay job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Scanning or waiting for its deliveries.
    Running,
    /// Every matching event was delivered or dead-lettered.
    Completed,
    /// Cancelled by a client; its pending deliveries were dropped.
    Cancelled,
    /// Stopped by an error (see the job's `error`).
    Failed,
}

impl JobStatus {
    /// The status as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::Failed => "failed",
        }
    }

    /// Reads a stored status.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "running" => Self::Running,
            "completed" => Self::Completed,
            "cancelled" => Self::Cancelled,
            "failed" => Self::Failed,
            _ => return None,
        })
    }
}

/// A replay job: which events go to which subscription again, and how far it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Its id.
    pub id: JobId,
    /// The subscription the events are replayed to.
    pub subscription: SubscriptionId,
    /// What the client asked for, as JSON (`from`, `to`, `filter`): read by the runner.
    pub spec: String,
    /// Skip events the subscription already has (a pending delivery, an attempt or a dead
    /// letter): set for the catch-up of a subscription created `from` the past, so history and
    /// live traffic meet without doubles.
    pub skip_known: bool,
    /// Its status.
    pub status: JobStatus,
    /// Events that matched (known once the count pass is done).
    pub total: Option<u64>,
    /// Deliveries scheduled so far.
    pub scheduled: u64,
    /// Where the scan got to.
    pub scanned: Option<Cursor>,
    /// Why it failed.
    pub error: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// One step of a running job, written in one transaction if the runner still holds the job.
#[derive(Debug, Clone)]
pub struct JobStep<'a> {
    /// The job.
    pub job: &'a JobId,
    /// The runner (its lease owner).
    pub owner: &'a str,
    /// The lease is extended to this.
    pub lease_until: DateTime<Utc>,
    /// Deliveries to schedule: these events, to the job's subscription, tagged with the job.
    pub positions: &'a [Position],
    /// The scan got this far.
    pub scanned: Option<Cursor>,
    /// The count pass found this many (set once).
    pub total: Option<u64>,
    /// The job ends with this status.
    pub finish: Option<(JobStatus, Option<String>)>,
}

/// One attempt as the delivery log shows it, with the event it was for.
#[derive(Debug, Clone)]
pub struct LoggedAttempt {
    /// The attempt's place in the log (ascending).
    pub id: i64,
    /// The subscription.
    pub subscription: SubscriptionId,
    /// The event's cursor (absent once the event was purged).
    pub cursor: Option<Cursor>,
    /// The event's `id`, `source` and `type` (absent once the event was purged).
    pub event: Option<(String, String, String)>,
    /// What happened.
    pub record: AttemptRecord,
}
