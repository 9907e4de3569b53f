//! What both backends store alike: times as Unix milliseconds, subscriptions as their wire JSON
//! plus secrets and state columns. Shared so the two backends cannot drift apart.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{AttemptRecord, Cursor, Job, JobId, JobStatus, LoggedAttempt, StoreError};
use crate::domain::{
    DeliveryPolicy, SigningKey, Status, Subscription, SubscriptionId, SubscriptionState,
    WebhookSecret,
};

/// Unix milliseconds, the stored form of every time.
pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// A stored time back as a [`DateTime`].
pub(crate) fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// A stored subscription id back as a [`SubscriptionId`].
pub(crate) fn sub_id(text: &str) -> Result<SubscriptionId, StoreError> {
    SubscriptionId::parse(text).map_err(StoreError::Corrupt)
}

/// The columns [`parse_subscription`] reads, in its order.
pub(crate) const SUBSCRIPTION_COLUMNS: &str = "SELECT spec, secrets, status, status_reason, status_since, failing_since, \
     granted_per_minute, validation_token FROM subscriptions";

/// A `subscriptions` row as [`SUBSCRIPTION_COLUMNS`] reads it.
pub(crate) type SubscriptionRow = (
    String,
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<String>,
);

/// A [`StoreError::Corrupt`] saying what.
pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

/// A subscription from its stored row.
pub(crate) fn parse_subscription(row: SubscriptionRow) -> Result<Subscription, StoreError> {
    let (spec, secrets, status, reason, since, failing, granted, token) = row;
    let value: Value = serde_json::from_str(&spec).map_err(corrupt)?;
    let mut sub =
        Subscription::from_json(&value, None, &DeliveryPolicy::default()).map_err(corrupt)?;
    sub.secrets = decode_secrets(&secrets)?;
    sub.state = SubscriptionState {
        status: Status::parse(&status).ok_or_else(|| corrupt(format!("status `{status}`")))?,
        reason,
        since: since.map(from_ms),
        failing_since: failing.map(from_ms),
        granted_per_minute: granted.and_then(|g| u32::try_from(g).ok()),
        validation_token: token,
    };
    Ok(sub)
}

/// Signing keys as stored (a JSON list).
pub(crate) fn encode_secrets(keys: &[SigningKey]) -> String {
    let list: Vec<Value> = keys
        .iter()
        .map(|k| {
            json!({
                "secret": k.secret.expose(),
                "createdAt": ms(k.created_at),
                "expiresAt": k.expires_at.map(ms),
            })
        })
        .collect();
    Value::from(list).to_string()
}

fn decode_secrets(text: &str) -> Result<Vec<SigningKey>, StoreError> {
    let list: Vec<Value> = serde_json::from_str(text).map_err(corrupt)?;
    list.iter()
        .map(|k| {
            let secret = k["secret"]
                .as_str()
                .and_then(|s| WebhookSecret::parse(s).ok())
                .ok_or_else(|| corrupt("a stored secret is invalid"))?;
            Ok(SigningKey {
                secret,
                created_at: from_ms(k["createdAt"].as_i64().unwrap_or_default()),
                expires_at: k["expiresAt"].as_i64().map(from_ms),
            })
        })
        .collect()
}

/// A job's columns, in [`parse_job`]'s order.
pub(crate) const JOB_FIELDS: &str = "id, subscription_id, spec, skip_known, status, total, scheduled, \
     scanned_order, scanned_position, error, created_at, updated_at";

/// `SELECT` of a job's columns.
pub(crate) const JOB_COLUMNS: &str = "SELECT id, subscription_id, spec, skip_known, status, total, \
     scheduled, scanned_order, scanned_position, error, created_at, updated_at FROM jobs";

/// A `jobs` row as [`JOB_COLUMNS`] reads it.
pub(crate) type JobRow = (
    String,
    String,
    String,
    bool,
    String,
    Option<i64>,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
    i64,
    i64,
);

/// A job from its stored row.
pub(crate) fn parse_job(row: JobRow) -> Result<Job, StoreError> {
    let (
        id,
        sub,
        spec,
        skip_known,
        status,
        total,
        scheduled,
        order,
        position,
        error,
        created,
        updated,
    ) = row;
    Ok(Job {
        id: JobId::parse(&id).map_err(corrupt)?,
        subscription: sub_id(&sub)?,
        spec,
        skip_known,
        status: JobStatus::parse(&status)
            .ok_or_else(|| corrupt(format!("job status `{status}`")))?,
        total: total.and_then(|t| u64::try_from(t).ok()),
        scheduled: u64::try_from(scheduled).unwrap_or_default(),
        scanned: order
            .zip(position)
            .map(|(order, position)| Cursor { order, position }),
        error,
        created_at: from_ms(created),
        updated_at: from_ms(updated),
    })
}

/// The delivery log's columns, in [`logged_attempt`]'s order: attempts joined to their events
/// (`e`), integers cast to BIGINT so both backends read the same row.
pub(crate) const LOG_COLUMNS: &str = "a.id, a.subscription_id, a.position, e.id, e.source, e.type, \
     CAST(a.attempt AS BIGINT), a.at, a.outcome, CAST(a.status AS BIGINT), \
     CAST(a.latency_ms AS BIGINT), a.error, a.response";

/// A delivery log row: [`LOG_COLUMNS`] plus the event's order key.
pub(crate) type LogRow = (
    i64,
    String,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    i64,
    String,
    Option<i64>,
    i64,
    Option<String>,
    Option<String>,
    Option<i64>,
);

/// A delivery log entry from its row.
pub(crate) fn logged_attempt(row: LogRow) -> Result<LoggedAttempt, StoreError> {
    let (
        id,
        sub,
        position,
        eid,
        source,
        ty,
        attempt,
        at,
        outcome,
        status,
        latency,
        error,
        response,
        order,
    ) = row;
    Ok(LoggedAttempt {
        id,
        subscription: sub_id(&sub)?,
        cursor: order.map(|order| Cursor { order, position }),
        event: eid.zip(source).zip(ty).map(|((i, s), t)| (i, s, t)),
        record: AttemptRecord {
            attempt: u32::try_from(attempt).unwrap_or_default(),
            at: from_ms(at),
            outcome,
            status: status.and_then(|s| u16::try_from(s).ok()),
            latency_ms: u32::try_from(latency).unwrap_or_default(),
            error,
            response,
        },
    })
}
