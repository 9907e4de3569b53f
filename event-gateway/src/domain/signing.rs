//! Standard Webhooks signing (`spec/standard-webhooks.md`, symmetric scheme `v1`).
//!
//! A secret is `whsec_` + base64 of 24–64 random bytes; the key is the decoded bytes. A delivery
//! carries `webhook-id` (stable across retries, never containing `.`), `webhook-timestamp` (the
//! attempt's Unix seconds) and `webhook-signature`: `v1,<base64 HMAC-SHA256 of
//! "{id}.{timestamp}.{body}">`, one per active secret, space-separated, so a subscriber can
//! rotate without downtime. Secrets never appear in `Debug` output or logs.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The prefix of a symmetric Standard Webhooks secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// Fewest key bytes a secret may have (192 bits, as the spec requires).
pub const MIN_KEY_BYTES: usize = 24;
/// Most key bytes a secret may have.
pub const MAX_KEY_BYTES: usize = 64;
/// Key bytes of a generated secret.
const GENERATED_KEY_BYTES: usize = 32;

/// A signing secret: `whsec_` + base64 of 24–64 bytes. `Debug` and `Display` redact it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret {
    key: Vec<u8>,
}

/// Why a secret is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// It does not start with `whsec_`.
    #[error("a secret starts with `whsec_`")]
    Prefix,
    /// The rest is not base64.
    #[error("the part after `whsec_` must be standard base64")]
    Base64,
    /// The key is too short or too long.
    #[error("the key must be {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes, not {0}")]
    Length(usize),
}

impl WebhookSecret {
    /// Parses `whsec_<base64>`.
    ///
    /// # Errors
    /// [`SecretError`] saying what is wrong (never echoing the secret).
    pub fn parse(text: &str) -> Result<Self, SecretError> {
        let encoded = text
            .strip_prefix(SECRET_PREFIX)
            .ok_or(SecretError::Prefix)?;
        let key = STANDARD.decode(encoded).map_err(|_| SecretError::Base64)?;
        if !(MIN_KEY_BYTES..=MAX_KEY_BYTES).contains(&key.len()) {
            return Err(SecretError::Length(key.len()));
        }
        Ok(Self { key })
    }

    /// A fresh secret of 32 random bytes.
    pub fn generate() -> Self {
        Self {
            key: (0..GENERATED_KEY_BYTES).map(|_| rand::random()).collect(),
        }
    }

    /// The secret in its `whsec_…` form: only for showing it once to whoever created it and
    /// for storage.
    pub fn expose(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(&self.key))
    }

    /// The `v1,<base64>` signature of `{msg_id}.{timestamp}.{body}`.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        format!("v1,{}", STANDARD.encode(self.mac(msg_id, timestamp, body)))
    }

    /// Whether `signature` (one `v1,<base64>` entry's base64 part) is this secret's signature,
    /// compared in constant time.
    pub fn verifies(&self, msg_id: &str, timestamp: i64, body: &[u8], signature: &str) -> bool {
        let Ok(given) = STANDARD.decode(signature) else {
            return false;
        };
        let expected = self.mac(msg_id, timestamp, body);
        given.len() == expected.len() && bool::from(given.ct_eq(&expected))
    }

    /// HMAC-SHA256 of an arbitrary body with this secret's key (GitHub-style signatures).
    pub fn hmac(&self, body: &[u8]) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    }

    fn mac(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(redacted)")
    }
}

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
    fn secrets_must_be_whsec_and_24_to_64_bytes() {
        let ok = format!("whsec_{}", STANDARD.encode([7u8; 24]));
        assert!(WebhookSecret::parse(&ok).is_ok());
        assert_eq!(WebhookSecret::parse("abc").err(), Some(SecretError::Prefix));
        assert_eq!(
            WebhookSecret::parse("whsec_!!").err(),
            Some(SecretError::Base64)
        );
        let short = format!("whsec_{}", STANDARD.encode([7u8; 23]));
        assert_eq!(
            WebhookSecret::parse(&short).err(),
            Some(SecretError::Length(23))
        );
        let generated = WebhookSecret::generate();
        assert_eq!(
            WebhookSecret::parse(&generated.expose()).expect("round trip"),
            generated
        );
        assert!(!format!("{generated:?}").contains(&generated.expose()[6..]));
    }

    #[test]
    fn a_signature_verifies_with_its_secret_only() {
        let secret = WebhookSecret::generate();
        let signature = secret.sign("msg_1", 1_674_087_231, b"{}");
        let b64 = signature.strip_prefix("v1,").expect("v1");
        assert!(secret.verifies("msg_1", 1_674_087_231, b"{}", b64));
        assert!(!secret.verifies("msg_1", 1_674_087_231, b"{ }", b64));
        assert!(!WebhookSecret::generate().verifies("msg_1", 1_674_087_231, b"{}", b64));
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
