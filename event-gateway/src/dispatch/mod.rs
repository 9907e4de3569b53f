//! Delivery: one claimer loop per process takes due deliveries, as many as it has free slots,
//! and hands each to its own task; a completer writes the outcomes back in batches.
//!
//! Subscribers are independent: slots are counted per subscription (its `maxConcurrency`, or
//! the gateway default) and the claim asks each subscription only for as many rows as it has
//! free slots, so a slow sink holds its own slots and never the others'. The loop wakes at once
//! when ingest commits new deliveries or an attempt frees a slot, wakes for retries this process
//! scheduled, and otherwise polls adaptively (fast after work, backing off to a second).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use shared_events::service::shutdown::CancellationToken;
use tokio::sync::{Notify, mpsc};
use tokio_util::task::TaskTracker;

use crate::cache::SubscriptionCache;
use crate::domain::signing::message_id;
use crate::domain::{
    AttemptContext, AttemptResult, DeadLetterReason, DeliveryMode, Ordering, Outcome, Status,
    Subscription, SubscriptionId, decide,
};
use crate::ingest::IngestQueue;
use crate::store::{AttemptRecord, ClaimRequest, Claimed, LeaseOwner, Settled, Store};

pub mod attempt;
pub mod completer;
pub mod flow;
pub mod reply;

use attempt::Extras;
pub use attempt::Sender;
use completer::{DeadLetterCopy, RetryHint, Settlement};
pub use flow::FlowControl;
use flow::Health;

/// How the dispatcher works.
#[derive(Debug, Clone, Copy)]
pub struct DispatchSettings {
    /// Attempts in flight at once, in all.
    pub max_in_flight: u32,
    /// Attempts in flight at once per subscription without `maxConcurrency`.
    pub subscription_concurrency: u32,
    /// Added to the attempt timeout to make a claim's lease.
    pub lease_grace: Duration,
    /// A subscription whose attempts have all failed for this long is disabled.
    pub disable_after: Duration,
}

const POLL_MIN: Duration = Duration::from_millis(5);
const POLL_MAX: Duration = Duration::from_secs(1);

/// In-flight counts, shared by the claimer and the attempt tasks.
#[derive(Debug, Default)]
struct Slots {
    per_subscription: Mutex<HashMap<SubscriptionId, u32>>,
    freed: Notify,
}

impl Slots {
    fn take(&self, sub: &SubscriptionId) {
        if let Ok(mut map) = self.per_subscription.lock() {
            *map.entry(sub.clone()).or_default() += 1;
        }
    }

    fn release(&self, sub: &SubscriptionId) {
        if let Ok(mut map) = self.per_subscription.lock() {
            if let Some(n) = map.get_mut(sub) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    map.remove(sub);
                }
            }
        }
        self.freed.notify_one();
    }

    fn in_flight(&self) -> (u32, HashMap<SubscriptionId, u32>) {
        let map = self
            .per_subscription
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default();
        (map.values().sum(), map)
    }
}

/// Everything an attempt task needs.
struct Context {
    store: Arc<dyn Store>,
    cache: Arc<SubscriptionCache>,
    sender: Sender,
    slots: Slots,
    flow: Arc<FlowControl>,
    origin: Arc<str>,
    disable_after: Duration,
    outcomes: mpsc::UnboundedSender<Settlement>,
    ingest: IngestQueue,
}

/// What the dispatcher shares with the rest of the gateway.
#[derive(Debug, Clone)]
pub struct DispatchShared {
    /// Per-subscription rate limits and pauses.
    pub flow: Arc<FlowControl>,
    /// The `WebHook-Request-Origin` of handshake subscriptions' deliveries.
    pub origin: Arc<str>,
    /// This replica's id, the owner its claims carry.
    pub owner: LeaseOwner,
    /// Where reply events are ingested.
    pub ingest: IngestQueue,
}

/// The running dispatcher.
#[derive(Debug)]
pub struct Dispatcher {
    claimer: tokio::task::JoinHandle<()>,
    completer: tokio::task::JoinHandle<()>,
    attempts: TaskTracker,
}

impl Dispatcher {
    /// Starts the claimer and the completer. `wake` is notified by ingest; the claimer stops
    /// claiming when `shutdown` is cancelled.
    pub fn start(
        store: Arc<dyn Store>,
        cache: Arc<SubscriptionCache>,
        sender: Sender,
        settings: DispatchSettings,
        shared: DispatchShared,
        wake: Arc<Notify>,
        shutdown: CancellationToken,
    ) -> Self {
        let (outcomes, rx) = mpsc::unbounded_channel();
        let hint = Arc::new(RetryHint::default());
        let completer = tokio::spawn(completer::run(
            store.clone(),
            cache.clone(),
            sender.clone(),
            hint.clone(),
            wake.clone(),
            rx,
        ));
        let context = Arc::new(Context {
            store,
            cache,
            sender,
            slots: Slots::default(),
            flow: shared.flow,
            origin: shared.origin,
            disable_after: settings.disable_after,
            outcomes,
            ingest: shared.ingest,
        });
        let attempts = TaskTracker::new();
        let owner = shared.owner;
        let claimer = tokio::spawn(claim_loop(
            context,
            owner,
            settings,
            wake,
            hint,
            attempts.clone(),
            shutdown,
        ));
        Self {
            claimer,
            completer,
            attempts,
        }
    }

    /// Waits for the claimer to stop (after shutdown), then up to `drain` for attempts in
    /// flight, then for their outcomes to be written. Attempts still running after `drain` are
    /// abandoned: their leases run out and they are attempted again after a restart.
    pub async fn drain(self, drain: Duration) {
        let _ = self.claimer.await;
        self.attempts.close();
        if tokio::time::timeout(drain, self.attempts.wait())
            .await
            .is_err()
        {
            tracing::warn!("attempts still in flight after the drain timeout were abandoned");
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), self.completer).await;
    }
}

async fn claim_loop(
    cx: Arc<Context>,
    owner: LeaseOwner,
    settings: DispatchSettings,
    wake: Arc<Notify>,
    hint: Arc<RetryHint>,
    attempts: TaskTracker,
    shutdown: CancellationToken,
) {
    match cx.store.recover_abandoned(&owner, Utc::now()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            deliveries = n,
            "deliveries claimed before a restart are due again"
        ),
        Err(error) => tracing::error!(error = ?error, "recovering abandoned deliveries failed"),
    }
    let mut idle = POLL_MIN;
    loop {
        if shutdown.is_cancelled() {
            return;
        }
        let snapshot = cx.cache.snapshot();
        let (total, busy) = cx.slots.in_flight();
        let mut free_total = settings.max_in_flight.saturating_sub(total);
        let mut requests = Vec::new();
        let mut next_token: Option<std::time::Instant> = None;
        let now = std::time::Instant::now();
        for sub in &snapshot.subscriptions {
            if sub.state.status != Status::Active || sub.delivery.mode == DeliveryMode::Pull {
                continue;
            }
            let cap = sub
                .delivery
                .max_concurrency
                .unwrap_or(settings.subscription_concurrency);
            let free = cap
                .saturating_sub(busy.get(&sub.id).copied().unwrap_or(0))
                .min(free_total);
            if free == 0 {
                continue;
            }
            let grant = cx.flow.grant(&sub.id, sub.effective_rate(), free, now);
            if let Some(at) = grant.retry_at {
                next_token = Some(next_token.map_or(at, |n| n.min(at)));
            }
            if grant.attempts > 0 {
                free_total -= grant.attempts;
                requests.push(ClaimRequest {
                    subscription: sub.id.clone(),
                    limit: grant.attempts,
                    lease: sub.delivery.timeout + settings.lease_grace,
                    ordered: sub.delivery.ordering == Ordering::PartitionKey,
                });
            }
        }
        let mut wait = POLL_MAX;
        if !requests.is_empty() {
            match cx.store.claim(&requests, &owner, Utc::now()).await {
                Ok(claimed) => {
                    let mut counts: HashMap<&SubscriptionId, u32> = HashMap::new();
                    for c in &claimed {
                        *counts.entry(&c.subscription).or_default() += 1;
                    }
                    for r in &requests {
                        let got = counts.get(&r.subscription).copied().unwrap_or(0);
                        cx.flow.settle_claim(&r.subscription, r.limit, got);
                    }
                    let saturated = requests
                        .iter()
                        .any(|r| counts.get(&r.subscription).copied().unwrap_or(0) >= r.limit);
                    idle = if claimed.is_empty() {
                        (idle * 2).min(POLL_MAX)
                    } else {
                        POLL_MIN
                    };
                    wait = if saturated { Duration::ZERO } else { idle };
                    for c in claimed {
                        let Some(sub) = snapshot.get(&c.subscription).cloned() else {
                            continue;
                        };
                        cx.slots.take(&c.subscription);
                        attempts.spawn(run_attempt(cx.clone(), sub, c));
                    }
                }
                Err(error) => {
                    for r in &requests {
                        cx.flow.settle_claim(&r.subscription, r.limit, 0);
                    }
                    tracing::error!(error = ?error, "claiming deliveries failed");
                    idle = POLL_MAX;
                }
            }
        }
        if let Some(at) = next_token {
            wait = wait.min(at.saturating_duration_since(std::time::Instant::now()));
        }
        if let Some(next) = hint.next(Utc::now()) {
            wait = wait.min((next - Utc::now()).to_std().unwrap_or_default());
        }
        if wait.is_zero() {
            tokio::task::yield_now().await;
            continue;
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = wake.notified() => idle = POLL_MIN,
            () = cx.slots.freed.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// One delivery attempt, start to outcome.
async fn run_attempt(cx: Arc<Context>, sub: Arc<Subscription>, claimed: Claimed) {
    let Some(sink) = sub.sink.clone() else {
        // Turned into a pull subscription since the claim: its consumers take the row when
        // the lease runs out.
        cx.slots.release(&claimed.subscription);
        return;
    };
    let policy = &sub.delivery;
    let now = Utc::now();
    let expired = policy
        .ttl
        .is_some_and(|ttl| (now - claimed.ingested_at).to_std().unwrap_or_default() > ttl);
    let (outcome, record) = if expired {
        let record = AttemptRecord {
            attempt: claimed.lease.attempt,
            at: now,
            outcome: String::new(),
            status: None,
            latency_ms: 0,
            error: Some("the event outlived the subscription's ttl".to_owned()),
            response: None,
        };
        (Outcome::DeadLettered(DeadLetterReason::TtlExpired), record)
    } else {
        let body = reply::as_delivered(&claimed);
        let msg_id = message_id(sub.id.as_str(), claimed.position);
        let extras = Extras {
            signing: (!sub.secrets.is_empty()).then_some((sub.secrets.as_slice(), msg_id.as_str())),
            origin: policy.handshake.then_some(&*cx.origin),
        };
        let attempted = cx
            .sender
            .send(&sink, sub.format, &body, policy.timeout, extras)
            .await;
        let now = Utc::now();
        let cx_attempt = AttemptContext {
            policy,
            attempt: claimed.lease.attempt,
            now,
            ingested_at: claimed.ingested_at,
            jitter: rand::random(),
        };
        let mut outcome = decide(&attempted.result, cx_attempt);
        let status = match attempted.result {
            AttemptResult::Status { code, .. } => Some(code),
            AttemptResult::Timeout | AttemptResult::Network => None,
        };
        let mut error = match (&attempted.result, attempted.error) {
            (AttemptResult::Timeout, error) => Some(error.unwrap_or_default())
                .map(|e| format!("timed out after {:?}: {e}", policy.timeout)),
            (_, error) => error,
        };
        if let (Outcome::Delivered, Some(reply)) = (outcome, attempted.reply) {
            match reply::store(&cx.ingest, &body, reply).await {
                reply::Stored::Yes => {}
                reply::Stored::Dropped(why) => error = Some(why),
                reply::Stored::Failed(why) => {
                    // Not stored: the delivery is not done, so it is tried again (the reply
                    // is deduplicated by its id if the sink sends the same one).
                    outcome = decide(&AttemptResult::Network, cx_attempt);
                    error = Some(why);
                }
            }
        }
        let record = AttemptRecord {
            attempt: claimed.lease.attempt,
            at: now,
            outcome: String::new(),
            status,
            latency_ms: u32::try_from(attempted.latency.as_millis()).unwrap_or(u32::MAX),
            error,
            response: attempted.response,
        };
        (outcome, record)
    };
    let record = AttemptRecord {
        outcome: match outcome {
            Outcome::Delivered => "delivered",
            Outcome::RetryAt(_) => "retry",
            Outcome::DeadLettered(_) => "dead_lettered",
        }
        .to_owned(),
        ..record
    };
    let dead_letter_copy = match (&outcome, &policy.dead_letter_sink) {
        (Outcome::DeadLettered(_), Some(to)) => Some(DeadLetterCopy {
            to: to.clone(),
            failed: sink.clone(),
            event: claimed.body.clone(),
        }),
        _ => None,
    };
    let settled = Settled {
        lease: claimed.lease,
        position: claimed.position,
        subscription: claimed.subscription,
        record,
    };
    let subscription = settled.subscription.clone();
    let disable = health(&cx, &sub, &settled.record, outcome).await;
    let _ = cx.outcomes.send(Settlement {
        settled,
        outcome,
        ingested_at: claimed.ingested_at,
        dead_letter_copy,
        disable,
    });
    cx.slots.release(&subscription);
}

/// Reacts to what the sink said about itself: `429` with `Retry-After` pauses the
/// subscription, `410 Gone` disables it, and so does failing continuously for the configured
/// time. Answers why to disable it, if it should be.
async fn health(
    cx: &Context,
    sub: &Subscription,
    record: &AttemptRecord,
    outcome: Outcome,
) -> Option<String> {
    let now = Utc::now();
    match record.status {
        Some(410) => {
            cx.flow.pause(&sub.id, Duration::from_secs(5));
            return Some("the sink answered 410 Gone".to_owned());
        }
        Some(429) => {
            if let Outcome::RetryAt(at) = outcome {
                let wait = (at - now).to_std().unwrap_or_default();
                cx.flow.pause(&sub.id, wait);
            }
            return None;
        }
        _ => {}
    }
    let delivered = outcome == Outcome::Delivered;
    match cx
        .flow
        .record_health(&sub.id, delivered, sub.state.failing_since, now)
    {
        Health::Unchanged => None,
        Health::Recovered | Health::StartedFailing => {
            let since = (!delivered).then_some(now);
            if let Err(error) = cx.store.set_failing_since(&sub.id, since).await {
                tracing::warn!(error = ?error, "recording a subscription's failures failed");
            }
            None
        }
        Health::FailingSince(since) => {
            let failing = (now - since).to_std().unwrap_or_default();
            (failing >= cx.disable_after).then(|| {
                cx.flow.pause(&sub.id, Duration::from_secs(5));
                format!("every attempt failed for {}s", failing.as_secs())
            })
        }
    }
}
