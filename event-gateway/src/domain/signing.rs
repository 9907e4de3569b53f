//! Standard Webhooks signing (`spec/standard-webhooks.md`, symmetric scheme `v1`): which of a
//! subscription's secrets sign, rotation, and stable message ids. The secret and the signature
//! primitives are shared-events' [`shared_events::webhook`], which `cectl` uses too.
//!
//! A secret is `whsec_` + base64 of 24–64 random bytes; the key is the decoded bytes. A delivery
//! carries `webhook-id` (stable across retries, never containing `.`), `webhook-timestamp` (the
//! attempt's Unix seconds) and `webhook-signature`: `v1,<base64 HMAC-SHA256 of
//! "{id}.{timestamp}.{body}">`, one per active secret, space-separated, so a subscriber can
//! rotate without downtime. Secrets never appear in `Debug` output or logs.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub use shared_events::webhook::{
    MAX_KEY_BYTES, MIN_KEY_BYTES, SECRET_PREFIX, SecretError, WebhookSecret,
};

/// One of a subscription's secrets, with the time it stops being used (after a rotation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    /// The secret.
    pub secret: WebhookSecret,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// When it stops signing; `None` for the current secret.
    pub expires_at: Option<DateTime<Utc>>,
}

impl SigningKey {
    /// Whether it still signs at `now`.
    pub fn active(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }
}

/// Adds `new` as the current secret; every secret still active keeps signing until
/// `now + grace` (or its own earlier expiry); expired ones are dropped.
pub fn rotate(
    keys: &[SigningKey],
    new: WebhookSecret,
    now: DateTime<Utc>,
    grace: chrono::Duration,
) -> Vec<SigningKey> {
    let until = now + grace;
    let mut out: Vec<SigningKey> = keys
        .iter()
        .filter(|k| k.active(now) && !grace.is_zero())
        .map(|k| SigningKey {
            expires_at: Some(k.expires_at.map_or(until, |e| e.min(until))),
            ..k.clone()
        })
        .collect();
    out.push(SigningKey {
        secret: new,
        created_at: now,
        expires_at: None,
    });
    out
}

/// The `webhook-signature` header value for `body`: one `v1,…` per active key, space-separated,
/// newest first; `None` when no key is active.
pub fn signature_header(
    keys: &[SigningKey],
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
    now: DateTime<Utc>,
) -> Option<String> {
    let signatures: Vec<String> = keys
        .iter()
        .rev()
        .filter(|k| k.active(now))
        .map(|k| k.secret.sign(msg_id, timestamp, body))
        .collect();
    (!signatures.is_empty()).then(|| signatures.join(" "))
}

/// The `webhook-id` of an event's delivery to a subscription: the same for every attempt and
/// redelivery, `msg_` + 32 hex digits, so never containing `.`.
pub fn message_id(subscription: &str, position: i64) -> String {
    let digest = Sha256::new()
        .chain_update(subscription.as_bytes())
        .chain_update([0])
        .chain_update(position.to_be_bytes())
        .finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("msg_{hex}")
}

/// Compares two tokens in constant time (their SHA-256 digests, so lengths leak nothing).
pub fn tokens_match(given: &[u8], expected: &[u8]) -> bool {
    let a = Sha256::digest(given);
    let b = Sha256::digest(expected);
    bool::from(a.ct_eq(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + secs, 0).expect("a valid time")
    }

    #[test]
    fn rotation_keeps_the_old_secret_signing_for_the_grace_period() {
        let old = rotate(
            &[],
            WebhookSecret::generate(),
            t(0),
            chrono::Duration::hours(1),
        );
        let both = rotate(
            &old,
            WebhookSecret::generate(),
            t(10),
            chrono::Duration::hours(1),
        );
        let header = |now| signature_header(&both, "msg_1", 1, b"x", now).expect("signed");
        assert_eq!(header(t(20)).split(' ').count(), 2);
        assert_eq!(header(t(10 + 3600)).split(' ').count(), 1);
    }

    #[test]
    fn message_ids_are_stable_and_have_no_dots() {
        assert_eq!(message_id("a.b", 7), message_id("a.b", 7));
        assert_ne!(message_id("a.b", 7), message_id("a.b", 8));
        assert!(!message_id("a.b", 7).contains('.'));
    }
}
