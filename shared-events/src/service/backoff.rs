//! Retry backoff as data: linear or exponential, capped, with full jitter. A pure function of
//! the attempt number and a random draw, so it is unit-tested on its own.

use std::time::Duration;

/// How the delay grows between attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackoffPolicy {
    /// `delay × attempt`.
    Linear,
    /// `delay × 2^(attempt−1)`.
    Exponential,
}

/// A backoff schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Linear or exponential growth.
    pub policy: BackoffPolicy,
    /// The base delay.
    pub delay: Duration,
    /// No delay exceeds this.
    pub max: Duration,
}

impl Backoff {
    /// The delay before retry number `retry` (1 for the first retry) without jitter: the
    /// schedule's ceiling for that retry.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let retry = retry.max(1);
        let raw = match self.policy {
            BackoffPolicy::Linear => self.delay.saturating_mul(retry),
            BackoffPolicy::Exponential => {
                let factor = 1u32.checked_shl(retry - 1).unwrap_or(u32::MAX);
                self.delay.saturating_mul(factor)
            }
        };
        raw.min(self.max)
    }

    /// The delay before retry number `retry` with jitter: uniformly between half the ceiling and
    /// the ceiling ("equal jitter"), so retries spread out but never come much sooner than the
    /// schedule says. `unit` is a random draw in `[0, 1)`.
    pub fn delay(&self, retry: u32, unit: f64) -> Duration {
        let ceiling = self.ceiling(retry);
        let half = ceiling / 2;
        half + (ceiling - half).mul_f64(unit.clamp(0.0, 1.0))
    }

    /// [`Backoff::delay`] with a fresh random draw.
    pub fn delay_jittered(&self, retry: u32) -> Duration {
        self.delay(retry, rand::random::<f64>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXP: Backoff = Backoff {
        policy: BackoffPolicy::Exponential,
        delay: Duration::from_millis(100),
        max: Duration::from_secs(5),
    };

    #[test]
    fn exponential_backoff_doubles_until_the_cap() {
        let ceilings: Vec<u128> = (1..=8).map(|n| EXP.ceiling(n).as_millis()).collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        assert_eq!(EXP.ceiling(200), Duration::from_secs(5));
    }

    #[test]
    fn linear_backoff_grows_by_the_base_delay() {
        let linear = Backoff {
            policy: BackoffPolicy::Linear,
            ..EXP
        };
        let ceilings: Vec<u128> = (1..=4).map(|n| linear.ceiling(n).as_millis()).collect();
        assert_eq!(ceilings, [100, 200, 300, 400]);
    }

    #[test]
    fn jitter_stays_between_half_the_ceiling_and_the_ceiling() {
        assert_eq!(EXP.delay(3, 0.0), Duration::from_millis(200));
        assert_eq!(EXP.delay(3, 1.0), Duration::from_millis(400));
        let mid = EXP.delay(3, 0.5);
        assert!(mid > Duration::from_millis(200) && mid < Duration::from_millis(400));
    }
}
