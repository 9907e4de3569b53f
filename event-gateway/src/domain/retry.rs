//! The retry policy: a pure function from what one attempt returned to what happens next.
//!
//! Retry on network errors, timeouts, 404, 408, 409, 425, 429 and 5xx; never on other 4xx (nor
//! on 1xx/3xx: redirects are not followed, so a 3xx is an answer the subscriber chose). The
//! next attempt waits the jittered backoff, or the subscriber's `Retry-After` when that is
//! longer, honoured up to `retryAfterMax`.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::subscription::DeliveryPolicy;

/// What one attempt came back with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptResult {
    /// The subscriber answered with this status (and maybe a `Retry-After`, already read as a
    /// delay from the time of the answer).
    Status {
        /// The HTTP status code.
        code: u16,
        /// The `Retry-After` delay, if the response had a valid one.
        retry_after: Option<Duration>,
    },
    /// No answer within the attempt timeout.
    Timeout,
    /// The request could not be sent or the response not read (connection refused, reset, …).
    Network,
}

/// Why a delivery was given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadLetterReason {
    /// The subscriber answered a status that is never retried.
    NonRetryable,
    /// Every attempt the policy allows failed.
    Exhausted,
    /// The event became older than the subscription's `ttl`.
    TtlExpired,
}

impl DeadLetterReason {
    /// The reason as stored and shown (`non_retryable`, `exhausted`, `ttl_expired`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NonRetryable => "non_retryable",
            Self::Exhausted => "exhausted",
            Self::TtlExpired => "ttl_expired",
        }
    }
}

/// What happens to a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The subscriber took it: done.
    Delivered,
    /// Try again at this time.
    RetryAt(DateTime<Utc>),
    /// Give up: to the dead letters.
    DeadLettered(DeadLetterReason),
}

/// Whether a status code is worth retrying.
pub fn is_retryable(code: u16) -> bool {
    matches!(code, 404 | 408 | 409 | 425 | 429 | 500..=599)
}

/// The facts [`decide`] needs besides the attempt's result.
#[derive(Debug, Clone, Copy)]
pub struct AttemptContext<'a> {
    /// The subscription's policy.
    pub policy: &'a DeliveryPolicy,
    /// The number of the attempt just made, counting from 1.
    pub attempt: u32,
    /// When the attempt finished.
    pub now: DateTime<Utc>,
    /// When the event was accepted (for `ttl`).
    pub ingested_at: DateTime<Utc>,
    /// A random draw in `[0, 1)` for the jitter.
    pub jitter: f64,
}

/// Decides the outcome of an attempt.
pub fn decide(result: &AttemptResult, cx: AttemptContext<'_>) -> Outcome {
    let retry_after = match *result {
        AttemptResult::Status {
            code: 200..=299, ..
        } => return Outcome::Delivered,
        AttemptResult::Status { code, retry_after } if is_retryable(code) => retry_after,
        AttemptResult::Status { .. } => {
            return Outcome::DeadLettered(DeadLetterReason::NonRetryable);
        }
        AttemptResult::Timeout | AttemptResult::Network => None,
    };
    if cx.attempt > cx.policy.retry {
        return Outcome::DeadLettered(DeadLetterReason::Exhausted);
    }
    let backoff = cx.policy.backoff.delay(cx.attempt, cx.jitter);
    let wait = retry_after.map_or(backoff, |ra| backoff.max(ra.min(cx.policy.retry_after_max)));
    let due = cx.now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
    if let Some(ttl) = cx.policy.ttl {
        let deadline =
            cx.ingested_at + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX);
        if due > deadline {
            return Outcome::DeadLettered(DeadLetterReason::TtlExpired);
        }
    }
    Outcome::RetryAt(due)
}

/// Reads a `Retry-After` value (delay-seconds or an HTTP-date) as a delay from `now`; `None`
/// when it is neither. A date in the past is a zero delay.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_events::service::backoff::{Backoff, BackoffPolicy};

    fn policy() -> DeliveryPolicy {
        DeliveryPolicy {
            retry: 2,
            backoff: Backoff {
                policy: BackoffPolicy::Linear,
                delay: Duration::from_secs(1),
                max: Duration::from_secs(10),
            },
            retry_after_max: Duration::from_secs(5),
            ..DeliveryPolicy::default()
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).expect("a valid time")
    }

    fn decide_with(policy: &DeliveryPolicy, attempt: u32, result: AttemptResult) -> Outcome {
        decide(
            &result,
            AttemptContext {
                policy,
                attempt,
                now: now(),
                ingested_at: now(),
                jitter: 1.0,
            },
        )
    }

    fn status(code: u16) -> AttemptResult {
        AttemptResult::Status {
            code,
            retry_after: None,
        }
    }

    fn after(secs: i64) -> Outcome {
        Outcome::RetryAt(now() + chrono::Duration::seconds(secs))
    }

    #[test]
    fn any_2xx_is_delivered() {
        for code in [200, 201, 202, 204, 299] {
            assert_eq!(decide_with(&policy(), 1, status(code)), Outcome::Delivered);
        }
    }

    #[test]
    fn retryable_failures_are_retried_until_the_retries_run_out() {
        for result in [
            status(404),
            status(408),
            status(409),
            status(425),
            status(429),
            status(500),
            status(503),
            AttemptResult::Timeout,
            AttemptResult::Network,
        ] {
            assert_eq!(
                decide_with(&policy(), 1, result.clone()),
                after(1),
                "{result:?}"
            );
            assert_eq!(
                decide_with(&policy(), 2, result.clone()),
                after(2),
                "{result:?}"
            );
            assert_eq!(
                decide_with(&policy(), 3, result.clone()),
                Outcome::DeadLettered(DeadLetterReason::Exhausted)
            );
        }
    }

    #[test]
    fn other_client_errors_are_dead_lettered_at_once() {
        for code in [400, 401, 403, 410, 413, 422, 301, 304] {
            assert_eq!(
                decide_with(&policy(), 1, status(code)),
                Outcome::DeadLettered(DeadLetterReason::NonRetryable)
            );
        }
    }

    #[test]
    fn retry_after_is_honoured_up_to_retry_after_max_but_never_shortens_the_backoff() {
        let ra = |secs| AttemptResult::Status {
            code: 429,
            retry_after: Some(Duration::from_secs(secs)),
        };
        assert_eq!(decide_with(&policy(), 1, ra(3)), after(3));
        assert_eq!(decide_with(&policy(), 1, ra(60)), after(5));
        assert_eq!(decide_with(&policy(), 2, ra(0)), after(2));
    }

    #[test]
    fn a_retry_due_after_the_ttl_is_dead_lettered_instead() {
        let ttl = DeliveryPolicy {
            ttl: Some(Duration::from_millis(1500)),
            ..policy()
        };
        assert_eq!(decide_with(&ttl, 1, status(503)), after(1));
        assert_eq!(
            decide_with(&ttl, 2, status(503)),
            Outcome::DeadLettered(DeadLetterReason::TtlExpired)
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        assert_eq!(parse_retry_after("2", now()), Some(Duration::from_secs(2)));
        let date = (now() + chrono::Duration::seconds(30))
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        assert_eq!(
            parse_retry_after(&date, now()),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", now()),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now()), None);
    }
}
