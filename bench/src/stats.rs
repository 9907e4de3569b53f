//! The arithmetic of the report, kept pure so it is tested on its own: percentiles of a latency
//! sample and the median/min/max summary of repeated runs.

use std::time::Duration;

/// The `p`-th percentile (`0.0..=100.0`) of `sorted` by the nearest-rank method: the smallest
/// value such that at least `p` % of the sample is less than or equal to it. `None` for an empty
/// sample. `p = 100` is the maximum, `p = 0` the minimum.
///
/// Nearest rank never interpolates, so every reported percentile is a latency that was really
/// observed.
pub fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let p = p.clamp(0.0, 100.0);
    // The small subtraction keeps 99.9 % of 1,000 at rank 999 despite float rounding.
    let rank = ((p / 100.0) * sorted.len() as f64 - 1e-9).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// The percentiles the latency scenarios report, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatencyPercentiles {
    /// Median.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// The largest observation.
    pub max: u64,
}

impl LatencyPercentiles {
    /// Sorts `samples` (nanoseconds) and takes p50, p99, p99.9 and max; `None` when empty.
    pub fn of(mut samples: Vec<u64>) -> Option<Self> {
        samples.sort_unstable();
        Some(Self {
            p50: percentile(&samples, 50.0)?,
            p99: percentile(&samples, 99.0)?,
            p999: percentile(&samples, 99.9)?,
            max: *samples.last()?,
        })
    }
}

/// A figure over repeated runs: the median (the figure reported) and the spread.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// The median of the runs (the mean of the middle two for an even count).
    pub median: f64,
    /// The smallest run.
    pub min: f64,
    /// The largest run.
    pub max: f64,
    /// How many runs.
    pub runs: usize,
}

impl Summary {
    /// Summarises `values`, ignoring NaNs; `None` when nothing is left.
    pub fn of(values: &[f64]) -> Option<Self> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Some(Self {
            median,
            min: sorted[0],
            max: sorted[n - 1],
            runs: n,
        })
    }
}

/// `count` things in `elapsed`, per second (0 for an empty interval).
pub fn rate(count: u64, elapsed: Duration) -> f64 {
    let seconds = elapsed.as_secs_f64();
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}
