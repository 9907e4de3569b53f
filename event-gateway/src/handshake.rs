//! The abuse-protection handshake of CloudEvents "HTTP 1.1 Web Hooks" §4: before a
//! subscription with `delivery.handshake: true` gets deliveries, the gateway sends `OPTIONS` to
//! its sink with `WebHook-Request-Origin` (our origin), `WebHook-Request-Rate` (requests per
//! minute) and, when the gateway knows its public URL, `WebHook-Request-Callback`. Only an answer
//! carrying `WebHook-Allowed-Origin` equal to our origin (or `*`) is consent; its
//! `WebHook-Allowed-Rate` (`*` or requests per minute) caps the subscription's rate. Status codes
//! are not consent. A sink may instead grant later by calling the callback URL.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use url::Url;

use crate::dispatch::Sender;
use crate::dispatch::attempt::ValidationAnswer;
use crate::domain::{Status, Subscription, SubscriptionState};
use crate::store::{Store, StoreError};

/// How the gateway introduces itself in handshakes.
#[derive(Debug, Clone)]
pub struct HandshakeSettings {
    /// `WebHook-Request-Origin`: a DNS name identifying this gateway.
    pub origin: Arc<str>,
    /// `WebHook-Request-Rate` asked for subscriptions without a `rateLimit`.
    pub default_rate_per_minute: u32,
    /// The gateway's public base URL, for `WebHook-Request-Callback`; no callback without it.
    pub public_url: Option<Url>,
}

/// Reads `WebHook-Allowed-Rate`: `*` is any rate (`Ok(None)`), else a positive integer.
fn parse_rate(value: &str) -> Result<Option<u32>, String> {
    if value == "*" {
        return Ok(None);
    }
    match value.parse::<u32>() {
        Ok(n) if n > 0 => Ok(Some(n)),
        _ => Err(format!(
            "WebHook-Allowed-Rate `{value}` is neither `*` nor a positive integer"
        )),
    }
}

/// Judges a validation answer: the subscription's new state. Pure.
pub fn judge(
    answer: &ValidationAnswer,
    origin: &str,
    callback_offered: bool,
    now: DateTime<Utc>,
) -> SubscriptionState {
    let waiting_or_refused = |reason: String| {
        let status = if callback_offered {
            Status::PendingValidation
        } else {
            Status::Refused
        };
        SubscriptionState::new(status, Some(reason), now)
    };
    match answer {
        ValidationAnswer::Unreachable(error) => SubscriptionState::new(
            Status::PendingValidation,
            Some(format!("the handshake could not reach the sink: {error}")),
            now,
        ),
        ValidationAnswer::Answered {
            allowed_origin: Some(allowed),
            allowed_rate,
            ..
        } if allowed == "*" || allowed.eq_ignore_ascii_case(origin) => {
            match allowed_rate.as_deref().map(parse_rate).transpose() {
                Ok(granted) => SubscriptionState {
                    granted_per_minute: granted.flatten(),
                    ..SubscriptionState::new(Status::Active, None, now)
                },
                Err(reason) => SubscriptionState::new(Status::Refused, Some(reason), now),
            }
        }
        ValidationAnswer::Answered {
            allowed_origin: Some(allowed),
            ..
        } => SubscriptionState::new(
            Status::Refused,
            Some(format!(
                "the sink allows origin `{allowed}`, not `{origin}`"
            )),
            now,
        ),
        ValidationAnswer::Answered { status, .. } => waiting_or_refused(format!(
            "the sink answered the handshake {status} without WebHook-Allowed-Origin"
        )),
    }
}

/// A fresh callback token: 32 random bytes, hex.
fn token() -> String {
    (0..32)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect()
}

/// Runs the handshake for `sub` and stores the state it ends in (unless a callback granted it
/// meanwhile); answers that state.
///
/// # Errors
/// [`StoreError`] when the state cannot be stored.
pub async fn validate(
    store: &dyn Store,
    sender: &Sender,
    settings: &HandshakeSettings,
    sub: &Subscription,
) -> Result<SubscriptionState, StoreError> {
    let Some(sink) = &sub.sink else {
        // A pull subscription has no sink to ask (and cannot ask for a handshake).
        return Ok(sub.state.clone());
    };
    let mut pending = SubscriptionState::new(Status::PendingValidation, None, Utc::now());
    let callback = settings.public_url.as_ref().and_then(|base| {
        let token = token();
        let mut url = base.join(&format!("handshake/{}", sub.id)).ok()?;
        url.query_pairs_mut().append_pair("token", &token);
        pending.validation_token = Some(token);
        Some(url)
    });
    store.set_state(&sub.id, &pending).await?;
    let rate = sub
        .rate_limit
        .map_or(settings.default_rate_per_minute, |r| r.as_per_minute());
    let answer = sender
        .validate(
            sink,
            &settings.origin,
            Some(rate),
            callback.as_ref().map(Url::as_str),
            sub.delivery.timeout,
        )
        .await;
    let mut state = judge(&answer, &settings.origin, callback.is_some(), Utc::now());
    state.validation_token = pending.validation_token;
    if let Some(now) = store.subscription(&sub.id).await? {
        if now.state.status == Status::Active {
            return Ok(now.state);
        }
    }
    tracing::info!(subscription = %sub.id, status = state.status.as_str(), reason = ?state.reason, "handshake done");
    store.set_state(&sub.id, &state).await?;
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(origin: Option<&str>, rate: Option<&str>) -> ValidationAnswer {
        ValidationAnswer::Answered {
            status: 200,
            allowed_origin: origin.map(str::to_owned),
            allowed_rate: rate.map(str::to_owned),
        }
    }

    #[test]
    fn only_a_matching_allowed_origin_is_consent() {
        let now = Utc::now();
        let ok = judge(
            &answered(Some("gw.example"), Some("120")),
            "gw.example",
            false,
            now,
        );
        assert_eq!(ok.status, Status::Active);
        assert_eq!(ok.granted_per_minute, Some(120));
        let any = judge(&answered(Some("*"), Some("*")), "gw.example", false, now);
        assert_eq!((any.status, any.granted_per_minute), (Status::Active, None));
        let other = judge(
            &answered(Some("evil.example"), None),
            "gw.example",
            false,
            now,
        );
        assert_eq!(other.status, Status::Refused);
        let silent = judge(&answered(None, None), "gw.example", false, now);
        assert_eq!(silent.status, Status::Refused);
        let later = judge(&answered(None, None), "gw.example", true, now);
        assert_eq!(later.status, Status::PendingValidation);
        let bad_rate = judge(&answered(Some("*"), Some("0")), "gw.example", false, now);
        assert_eq!(bad_rate.status, Status::Refused);
    }
}
