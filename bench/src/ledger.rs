//! Bookkeeping without locks: the [`Ledger`] of what posters sent (when, and whether it was
//! accepted) and, per receiver, the [`Tally`] of what arrived (how often, and when). Both are
//! indexed by the sequence number carried in the event id, and share one clock base so that
//! receive minus send is a latency.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use crate::event::IdScheme;

/// What the posters of one run sent.
#[derive(Debug)]
pub struct Ledger {
    /// The id scheme of the run's events.
    pub ids: IdScheme,
    base: Instant,
    next: AtomicU64,
    accepted_count: AtomicU64,
    accepted: Vec<AtomicBool>,
    sent_at: Vec<AtomicU64>,
}

impl Ledger {
    /// Room for `capacity` events; posters stop when it is full.
    pub fn new(capacity: usize) -> Self {
        Self {
            ids: IdScheme::new(),
            base: Instant::now(),
            next: AtomicU64::new(0),
            accepted_count: AtomicU64::new(0),
            accepted: (0..capacity).map(|_| AtomicBool::new(false)).collect(),
            sent_at: (0..capacity).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// The clock base shared with the tallies.
    pub fn base(&self) -> Instant {
        self.base
    }

    /// The next sequence number, `None` when the ledger is full.
    pub fn claim(&self) -> Option<u64> {
        let seq = self.next.fetch_add(1, Relaxed);
        (seq < self.accepted.len() as u64).then_some(seq)
    }

    /// How many sequence numbers were handed out.
    pub fn claimed(&self) -> u64 {
        self.next.load(Relaxed).min(self.accepted.len() as u64)
    }

    /// Notes that `seq` is being sent now.
    pub fn mark_sent(&self, seq: u64, at: Instant) {
        if let Some(slot) = self.sent_at.get(seq as usize) {
            slot.store(nanos_since(self.base, at), Relaxed);
        }
    }

    /// Notes that `seq` was accepted (202).
    pub fn mark_accepted(&self, seq: u64) {
        if let Some(slot) = self.accepted.get(seq as usize) {
            if !slot.swap(true, Relaxed) {
                self.accepted_count.fetch_add(1, Relaxed);
            }
        }
    }

    /// How many events were accepted.
    pub fn accepted_count(&self) -> u64 {
        self.accepted_count.load(Relaxed)
    }

    /// Whether `seq` was accepted.
    pub fn is_accepted(&self, seq: u64) -> bool {
        self.accepted
            .get(seq as usize)
            .is_some_and(|a| a.load(Relaxed))
    }

    /// When `seq` was sent, in nanoseconds after the base (0 if never).
    pub fn sent_nanos(&self, seq: u64) -> u64 {
        self.sent_at
            .get(seq as usize)
            .map_or(0, |s| s.load(Relaxed))
    }
}

/// What one receiver got.
#[derive(Debug)]
pub struct Tally {
    ids: IdScheme,
    base: Instant,
    counts: Vec<AtomicU32>,
    received_at: Vec<AtomicU64>,
    distinct: AtomicU64,
    total: AtomicU64,
    foreign: AtomicU64,
    last: AtomicU64,
}

impl Tally {
    /// A tally for the events of `ledger`.
    pub fn for_ledger(ledger: &Ledger) -> Self {
        let capacity = ledger.accepted.len();
        Self {
            ids: ledger.ids.clone(),
            base: ledger.base,
            counts: (0..capacity).map(|_| AtomicU32::new(0)).collect(),
            received_at: (0..capacity).map(|_| AtomicU64::new(0)).collect(),
            distinct: AtomicU64::new(0),
            total: AtomicU64::new(0),
            foreign: AtomicU64::new(0),
            last: AtomicU64::new(0),
        }
    }

    /// Counts the arrival of event `id` now. The first arrival's time is kept.
    pub fn record(&self, id: &str) {
        let now = nanos_since(self.base, Instant::now());
        self.total.fetch_add(1, Relaxed);
        let Some(seq) = self.ids.seq(id).filter(|&s| s < self.counts.len() as u64) else {
            self.foreign.fetch_add(1, Relaxed);
            return;
        };
        if self.counts[seq as usize].fetch_add(1, Relaxed) == 0 {
            self.received_at[seq as usize].store(now, Relaxed);
            self.distinct.fetch_add(1, Relaxed);
            self.last.fetch_max(now, Relaxed);
        }
    }

    /// Distinct events received.
    pub fn distinct(&self) -> u64 {
        self.distinct.load(Relaxed)
    }

    /// When the last event arrived for the first time.
    pub fn last_arrival(&self) -> Instant {
        self.base + Duration::from_nanos(self.last.load(Relaxed))
    }

    /// When `seq` first arrived, in nanoseconds after the base (`None` if it did not).
    pub fn received_nanos(&self, seq: u64) -> Option<u64> {
        let i = seq as usize;
        (self.counts.get(i)?.load(Relaxed) > 0).then(|| self.received_at[i].load(Relaxed))
    }

    /// Compares with what `ledger` says was accepted.
    pub fn verify(&self, ledger: &Ledger) -> Verification {
        let mut v = Verification {
            accepted: ledger.accepted_count(),
            foreign: self.foreign.load(Relaxed),
            ..Verification::default()
        };
        for seq in 0..ledger.claimed() {
            let count = u64::from(self.counts[seq as usize].load(Relaxed));
            let accepted = ledger.is_accepted(seq);
            match (accepted, count) {
                (true, 0) => v.missing += 1,
                (true, n) => {
                    v.delivered += 1;
                    v.duplicates += n - 1;
                }
                (false, 0) => {}
                (false, n) => v.unexpected += n,
            }
        }
        v
    }
}

/// What a receiver got against what was accepted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Verification {
    /// Events the gateway accepted.
    pub accepted: u64,
    /// Accepted events that arrived.
    pub delivered: u64,
    /// Accepted events that never arrived.
    pub missing: u64,
    /// Extra arrivals of accepted events (at-least-once allows them).
    pub duplicates: u64,
    /// Arrivals of events that were not accepted (a poster timeout, say).
    pub unexpected: u64,
    /// Arrivals whose id is not of this run.
    pub foreign: u64,
}

impl Verification {
    /// One line for the report.
    pub fn describe(&self) -> String {
        format!(
            "{} accepted, {} delivered, {} missing, {} duplicates, {} unexpected",
            crate::figures::thousands(self.accepted as i64),
            crate::figures::thousands(self.delivered as i64),
            self.missing,
            self.duplicates,
            self.unexpected + self.foreign
        )
    }
}

fn nanos_since(base: Instant, at: Instant) -> u64 {
    at.saturating_duration_since(base).as_nanos() as u64
}
