//! Standard Webhooks signatures (symmetric scheme `v1`), the pure primitives that the gateway
//! signs its deliveries with and that `cectl sign`/`cectl verify` use offline.
//!
//! A secret is `whsec_` + base64 of 24–64 random bytes; the key is the decoded bytes. A signed
//! message carries `webhook-id` (never containing `.`), `webhook-timestamp` (Unix seconds) and
//! `webhook-signature`: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, one or more
//! space-separated (one per active secret during a rotation). Secrets never appear in `Debug`
//! output.
//!
//! # Example
//!
//! ```
//! use chrono::Utc;
//! use http::HeaderMap;
//! use shared_events::webhook::{self, WebhookSecret};
//!
//! let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
//! let now = Utc::now().timestamp();
//! let mut headers = HeaderMap::new();
//! headers.insert(webhook::ID_HEADER, "msg_1".parse()?);
//! headers.insert(webhook::TIMESTAMP_HEADER, now.to_string().parse()?);
//! headers.insert(webhook::SIGNATURE_HEADER, secret.sign("msg_1", now, b"{}").parse()?);
//!
//! let tolerance = std::time::Duration::from_secs(300);
//! assert!(webhook::verify(&secret, &headers, b"{}", Utc::now(), tolerance).is_ok());
//! assert_eq!(
//!     webhook::verify(&secret, &headers, b"{ }", Utc::now(), tolerance),
//!     Err(webhook::VerifyError::Mismatch)
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The prefix of a symmetric Standard Webhooks secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// Fewest key bytes a secret may have (192 bits, as the spec requires).
pub const MIN_KEY_BYTES: usize = 24;
/// Most key bytes a secret may have.
pub const MAX_KEY_BYTES: usize = 64;
/// Key bytes of a generated secret.
const GENERATED_KEY_BYTES: usize = 32;

/// The header carrying the message id.
pub const ID_HEADER: &str = "webhook-id";
/// The header carrying the Unix time of the attempt, in seconds.
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
/// The header carrying the signatures.
pub const SIGNATURE_HEADER: &str = "webhook-signature";

/// A signing secret: `whsec_` + base64 of 24–64 bytes. `Debug` redacts it.
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
        let mut mac = self.new_mac();
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    }

    fn mac(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
        let mut mac = self.new_mac();
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    }

    fn new_mac(&self) -> Hmac<Sha256> {
        // HMAC accepts keys of any length (longer ones are hashed first): this cannot fail.
        match Hmac::<Sha256>::new_from_slice(&self.key) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes any key length"),
        }
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(redacted)")
    }
}

/// Why a signed message does not verify, in the order [`verify`] checks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// A header the scheme needs is absent (or not visible ASCII).
    #[error("the `{0}` header is missing")]
    MissingHeader(&'static str),
    /// `webhook-timestamp` is not an integer.
    #[error("`webhook-timestamp` is not a Unix time in seconds: `{0}`")]
    InvalidTimestamp(String),
    /// `webhook-signature` has no `v1,<base64>` entry.
    #[error("`webhook-signature` has no `v1,` signature")]
    NoV1Signature,
    /// No `v1` signature matches. Cryptographically a changed body and a wrong secret look the
    /// same, so this does not say which.
    #[error("signature does not match: the body changed or the secret is wrong")]
    Mismatch,
    /// The signature matches but the timestamp is further in the past than the tolerance.
    #[error(
        "timestamp skew: signed {age_secs}s ago, more than the tolerance of {tolerance_secs}s \
         (too old: a replay, or a clock that is behind)"
    )]
    TooOld {
        /// How old the timestamp is.
        age_secs: u64,
        /// The tolerance.
        tolerance_secs: u64,
    },
    /// The signature matches but the timestamp is further in the future than the tolerance.
    #[error(
        "timestamp skew: signed {ahead_secs}s in the future, more than the tolerance of \
         {tolerance_secs}s (too new: a clock that is ahead)"
    )]
    TooNew {
        /// How far ahead the timestamp is.
        ahead_secs: u64,
        /// The tolerance.
        tolerance_secs: u64,
    },
}

/// Checks a message's Standard Webhooks headers and body against `secret`: the headers are
/// present, one `v1` signature matches (any of several), and the timestamp is within
/// `tolerance` of `now` either way.
///
/// # Errors
/// [`VerifyError`], the first problem found.
pub fn verify(
    secret: &WebhookSecret,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
    tolerance: Duration,
) -> Result<(), VerifyError> {
    let header = |name: &'static str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .ok_or(VerifyError::MissingHeader(name))
    };
    let id = header(ID_HEADER)?;
    let timestamp_text = header(TIMESTAMP_HEADER)?;
    let signatures = header(SIGNATURE_HEADER)?;
    let timestamp: i64 = timestamp_text
        .parse()
        .map_err(|_| VerifyError::InvalidTimestamp(timestamp_text.to_owned()))?;
    let v1: Vec<&str> = signatures
        .split(' ')
        .filter_map(|entry| entry.split_once(','))
        .filter(|(version, _)| *version == "v1")
        .map(|(_, signature)| signature)
        .collect();
    if v1.is_empty() {
        return Err(VerifyError::NoV1Signature);
    }
    // Every entry is checked, so the time taken does not say which one matched.
    let matched = v1.iter().fold(false, |found, signature| {
        secret.verifies(id, timestamp, body, signature) | found
    });
    if !matched {
        return Err(VerifyError::Mismatch);
    }
    let tolerance_secs = tolerance.as_secs();
    let now = now.timestamp();
    if timestamp < now && now.abs_diff(timestamp) > tolerance_secs {
        return Err(VerifyError::TooOld {
            age_secs: now.abs_diff(timestamp),
            tolerance_secs,
        });
    }
    if timestamp > now && timestamp.abs_diff(now) > tolerance_secs {
        return Err(VerifyError::TooNew {
            ahead_secs: timestamp.abs_diff(now),
            tolerance_secs,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(secret: &WebhookSecret, timestamp: i64, body: &[u8]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let mut put = |name: &'static str, value: String| {
            headers.insert(name, value.parse().expect("a header value"));
        };
        put(ID_HEADER, "msg_1".to_owned());
        put(TIMESTAMP_HEADER, timestamp.to_string());
        put(SIGNATURE_HEADER, secret.sign("msg_1", timestamp, body));
        headers
    }

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).expect("a valid time")
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
    fn verify_names_the_first_problem() {
        let secret = WebhookSecret::generate();
        let tolerance = Duration::from_secs(300);
        let t = 1_700_000_000;
        let headers = signed(&secret, t, b"{}");
        assert_eq!(
            verify(&secret, &headers, b"{}", at(t + 300), tolerance),
            Ok(())
        );
        assert_eq!(
            verify(&secret, &headers, b"{}", at(t + 301), tolerance),
            Err(VerifyError::TooOld {
                age_secs: 301,
                tolerance_secs: 300
            })
        );
        assert_eq!(
            verify(&secret, &headers, b"{}", at(t - 400), tolerance),
            Err(VerifyError::TooNew {
                ahead_secs: 400,
                tolerance_secs: 300
            })
        );
        assert_eq!(
            verify(&secret, &headers, b"{}x", at(t), tolerance),
            Err(VerifyError::Mismatch)
        );
        let mut missing = headers.clone();
        missing.remove(SIGNATURE_HEADER);
        assert_eq!(
            verify(&secret, &missing, b"{}", at(t), tolerance),
            Err(VerifyError::MissingHeader(SIGNATURE_HEADER))
        );
        let mut v2 = headers.clone();
        v2.insert(SIGNATURE_HEADER, "v1a,abc".parse().expect("value"));
        assert_eq!(
            verify(&secret, &v2, b"{}", at(t), tolerance),
            Err(VerifyError::NoV1Signature)
        );
        let mut rotated = headers;
        let other = WebhookSecret::generate().sign("msg_1", t, b"{}");
        let both = format!("{other} {}", secret.sign("msg_1", t, b"{}"));
        rotated.insert(SIGNATURE_HEADER, both.parse().expect("value"));
        assert_eq!(verify(&secret, &rotated, b"{}", at(t), tolerance), Ok(()));
    }
}
