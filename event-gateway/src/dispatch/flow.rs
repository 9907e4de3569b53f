//! Per-subscription flow control, in this process: a token bucket for `rateLimit` (and the rate
//! a sink granted in the handshake) and the pause a `429` with `Retry-After` asks for. The
//! claimer asks each subscription's bucket how many attempts it may start; a subscription that
//! is out of tokens or paused is simply not claimed for, so it never slows the others.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::domain::{RateLimit, SubscriptionId};

/// The most a bucket holds, in seconds of its rate: bursts stay within a tenth of a second's
/// worth (and at least one attempt), so a rate holds over any window longer than that.
const BURST_SECONDS: f64 = 0.1;

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
    paused_until: Option<(Instant, DateTime<Utc>)>,
    backlogged: bool,
    /// Since when it has been failing, as this process knows it (`None`: go by the store).
    failing_since: Option<Option<DateTime<Utc>>>,
}

/// How an attempt changed a subscription's health.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// Nothing to record.
    Unchanged,
    /// It failed after a success: failing from now.
    StartedFailing,
    /// It succeeded after failures.
    Recovered,
    /// It failed again; it has been failing since then.
    FailingSince(DateTime<Utc>),
}

/// The flow state of every subscription.
#[derive(Debug, Default)]
pub struct FlowControl {
    buckets: Mutex<HashMap<SubscriptionId, Bucket>>,
}

/// What the claimer may do for one subscription now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    /// Attempts it may start now.
    pub attempts: u32,
    /// When to look again if it may start fewer than it wanted.
    pub retry_at: Option<Instant>,
}

fn capacity(rate: RateLimit) -> f64 {
    (rate.get() * BURST_SECONDS).max(1.0)
}

impl FlowControl {
    /// Up to `want` attempts for `sub` at `rate` (`None`: unlimited), taking their tokens.
    pub fn grant(
        &self,
        sub: &SubscriptionId,
        rate: Option<RateLimit>,
        want: u32,
        now: Instant,
    ) -> Grant {
        let Ok(mut buckets) = self.buckets.lock() else {
            return Grant {
                attempts: want,
                retry_at: None,
            };
        };
        let bucket = buckets.entry(sub.clone()).or_insert_with(|| Bucket {
            tokens: rate.map_or(0.0, capacity),
            refilled: now,
            paused_until: None,
            backlogged: false,
            failing_since: None,
        });
        if let Some((until, _)) = bucket.paused_until {
            if until > now {
                return Grant {
                    attempts: 0,
                    retry_at: Some(until),
                };
            }
            bucket.paused_until = None;
        }
        let Some(rate) = rate else {
            return Grant {
                attempts: want,
                retry_at: None,
            };
        };
        let elapsed = now.saturating_duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate.get()).min(capacity(rate));
        bucket.refilled = now;
        let attempts = (bucket.tokens.floor() as u32).min(want);
        bucket.tokens -= f64::from(attempts);
        let retry_at = (attempts < want && bucket.backlogged).then(|| {
            let missing = (1.0 - bucket.tokens.fract()).max(0.0);
            now + Duration::from_secs_f64(missing / rate.get())
        });
        Grant { attempts, retry_at }
    }

    /// Gives back tokens granted but not used, and notes whether the subscription had more
    /// due work than it was granted (`backlogged`), which makes the claimer wake for its next
    /// token.
    pub fn settle_claim(&self, sub: &SubscriptionId, granted: u32, claimed: u32) {
        if let Ok(mut buckets) = self.buckets.lock() {
            if let Some(bucket) = buckets.get_mut(sub) {
                bucket.tokens += f64::from(granted.saturating_sub(claimed));
                bucket.backlogged = granted > 0 && claimed >= granted;
            }
        }
    }

    /// Notes that a rate-limited subscription was skipped for want of tokens while it may have
    /// work.
    pub fn mark_backlogged(&self, sub: &SubscriptionId) {
        if let Ok(mut buckets) = self.buckets.lock() {
            if let Some(bucket) = buckets.get_mut(sub) {
                bucket.backlogged = true;
            }
        }
    }

    /// Pauses `sub` for `wait` (a `429` with `Retry-After`).
    pub fn pause(&self, sub: &SubscriptionId, wait: Duration) {
        let until = Instant::now() + wait;
        let wall = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
        if let Ok(mut buckets) = self.buckets.lock() {
            let bucket = buckets.entry(sub.clone()).or_insert_with(|| Bucket {
                tokens: 0.0,
                refilled: Instant::now(),
                paused_until: None,
                backlogged: true,
                failing_since: None,
            });
            if bucket.paused_until.is_none_or(|(u, _)| u < until) {
                bucket.paused_until = Some((until, wall));
            }
        }
    }

    /// Until when `sub` is paused, if it is.
    pub fn paused_until(&self, sub: &SubscriptionId) -> Option<DateTime<Utc>> {
        let buckets = self.buckets.lock().ok()?;
        let (until, wall) = buckets.get(sub)?.paused_until?;
        (until > Instant::now()).then_some(wall)
    }

    /// Records an attempt's success or failure; `stored` is what the store last said.
    pub fn record_health(
        &self,
        sub: &SubscriptionId,
        delivered: bool,
        stored: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Health {
        let Ok(mut buckets) = self.buckets.lock() else {
            return Health::Unchanged;
        };
        let bucket = buckets.entry(sub.clone()).or_insert_with(|| Bucket {
            tokens: 0.0,
            refilled: Instant::now(),
            paused_until: None,
            backlogged: false,
            failing_since: None,
        });
        let current = bucket.failing_since.unwrap_or(stored);
        match (delivered, current) {
            (true, None) => Health::Unchanged,
            (true, Some(_)) => {
                bucket.failing_since = Some(None);
                Health::Recovered
            }
            (false, None) => {
                bucket.failing_since = Some(Some(now));
                Health::StartedFailing
            }
            (false, Some(since)) => Health::FailingSince(since),
        }
    }

    /// Forgets everything about `sub` (it was replaced: a fresh start).
    pub fn reset(&self, sub: &SubscriptionId) {
        if let Ok(mut buckets) = self.buckets.lock() {
            buckets.remove(sub);
        }
    }

    /// Forgets subscriptions that no longer exist.
    pub fn retain(&self, keep: impl Fn(&SubscriptionId) -> bool) {
        if let Ok(mut buckets) = self.buckets.lock() {
            buckets.retain(|id, _| keep(id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sid() -> SubscriptionId {
        SubscriptionId::parse("s").expect("an id")
    }

    #[test]
    fn a_five_per_second_bucket_grants_one_attempt_every_200_ms() {
        let flow = FlowControl::default();
        let rate = RateLimit::per_second(5.0);
        let t0 = Instant::now();
        assert_eq!(flow.grant(&sid(), rate, 10, t0).attempts, 1);
        flow.settle_claim(&sid(), 1, 1);
        let later = flow.grant(&sid(), rate, 10, t0 + Duration::from_millis(100));
        assert_eq!(later.attempts, 0);
        assert!(
            later
                .retry_at
                .is_some_and(|at| at <= t0 + Duration::from_millis(201))
        );
        assert_eq!(
            flow.grant(&sid(), rate, 10, t0 + Duration::from_millis(200))
                .attempts,
            1
        );
    }

    #[test]
    fn unused_tokens_are_given_back_and_unlimited_subscriptions_get_what_they_ask() {
        let flow = FlowControl::default();
        let rate = RateLimit::per_second(100.0);
        let t0 = Instant::now();
        assert_eq!(flow.grant(&sid(), rate, 50, t0).attempts, 10);
        flow.settle_claim(&sid(), 10, 3);
        assert_eq!(flow.grant(&sid(), rate, 50, t0).attempts, 7);
        let other = SubscriptionId::parse("o").expect("an id");
        assert_eq!(flow.grant(&other, None, 50, t0).attempts, 50);
    }

    #[test]
    fn a_paused_subscription_gets_nothing_until_the_pause_ends() {
        let flow = FlowControl::default();
        flow.pause(&sid(), Duration::from_secs(60));
        let grant = flow.grant(&sid(), None, 5, Instant::now());
        assert_eq!(grant.attempts, 0);
        assert!(flow.paused_until(&sid()).is_some());
        let after = flow.grant(&sid(), None, 5, Instant::now() + Duration::from_secs(61));
        assert_eq!(after.attempts, 5);
    }
}
