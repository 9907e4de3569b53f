//! The outbox relay both business services share: it claims due events from a store's outbox,
//! sends them to a sink, and records the outcome, so an event a service decided to send is
//! delivered at least once, in order per aggregate, whatever crashes in between.
//!
//! The loop is *claim → send → mark*:
//! - [`Outbox::claim`] takes up to a batch of due events and pushes their due time forward by a
//!   lease (a visibility timeout). A relay that dies holding claims loses nothing: the rows become
//!   due again when the lease runs out. A store never hands out an event while an earlier event
//!   of the same aggregate is still undelivered and not due, which keeps per-aggregate order.
//! - Events of one aggregate are sent one after the other in position order; different
//!   aggregates go out concurrently. The first failure of an aggregate stops it for this round:
//!   its later events are [released](Outbox::release) and wait behind it.
//! - Deliveries are marked in one batch ([`Outbox::complete`]); a failure is rescheduled with
//!   exponential backoff and jitter ([`Outbox::retry`]). There is no attempt limit: the contract
//!   is "until the sink answers 2xx".
//!
//! The store behind [`Outbox`] is the service's business (SQLite, PostgreSQL); the relay never
//! knows which database it talks to.

mod sink;

pub use sink::{Attempt, HttpSink, Sink, SinkMode};

use crate::service::backoff::Backoff;
use async_trait::async_trait;
use cloudevents::{AttributesReader, Event};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// The error type stores report through the relay: opaque, logged, never shown to a client.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// One claimed outbox entry.
#[derive(Debug, Clone)]
pub struct PendingEvent {
    /// Its position in the outbox (ascending in insertion order).
    pub position: i64,
    /// The aggregate it belongs to; events of one aggregate are delivered in position order.
    pub aggregate: String,
    /// How many delivery attempts failed before this one.
    pub attempts: u32,
    /// The event to send, with the id it was stored under.
    pub event: Event,
}

/// A service's outbox, as the relay needs it.
#[async_trait]
pub trait Outbox: Send + Sync + 'static {
    /// Claims up to `limit` due events for `lease`, in position order, never an event whose
    /// aggregate has an earlier undelivered event that is not part of the claim.
    ///
    /// # Errors
    /// A storage failure.
    async fn claim(&self, limit: u32, lease: Duration) -> Result<Vec<PendingEvent>, BoxError>;

    /// Marks events delivered.
    ///
    /// # Errors
    /// A storage failure.
    async fn complete(&self, positions: &[i64]) -> Result<(), BoxError>;

    /// Records a failed attempt (`attempts` failures so far) and makes the event due again
    /// after `delay`.
    ///
    /// # Errors
    /// A storage failure.
    async fn retry(
        &self,
        position: i64,
        attempts: u32,
        delay: Duration,
        error: &str,
    ) -> Result<(), BoxError>;

    /// Gives back claimed events that were not attempted, making them due now.
    ///
    /// # Errors
    /// A storage failure.
    async fn release(&self, positions: &[i64]) -> Result<(), BoxError>;
}

/// The outcome for one aggregate in one round.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    /// Every claimed event of the aggregate was delivered.
    Delivered,
    /// An event failed and is retried after the delay; the ones after it wait.
    RetryAfter(Duration),
}

/// How the relay claims and retries; data in settings, not code.
#[derive(Debug, Clone, Copy)]
pub struct RelaySettings {
    /// The most events claimed per round.
    pub batch_size: u32,
    /// How long a claim is held before another relay may take it over.
    pub lease: Duration,
    /// The retry schedule.
    pub backoff: Backoff,
    /// How long an idle relay waits before looking again when nobody wakes it.
    pub idle_poll: Duration,
    /// How many aggregates are sent to concurrently.
    pub concurrency: usize,
}

/// The relay loop over an [`Outbox`] and a [`Sink`].
pub struct Relay<O: ?Sized, S: ?Sized> {
    outbox: Arc<O>,
    sink: Arc<S>,
    settings: RelaySettings,
    wake: Arc<Notify>,
    metric_prefix: &'static str,
}

impl<O: Outbox + ?Sized, S: Sink + ?Sized> Relay<O, S> {
    /// A relay; `metric_prefix` (`order`, `payment`) names its Prometheus metrics
    /// (`<prefix>_events_sent_total{type}`, `<prefix>_relay_failures_total`).
    pub fn new(
        outbox: Arc<O>,
        sink: Arc<S>,
        settings: RelaySettings,
        metric_prefix: &'static str,
    ) -> Self {
        Self {
            outbox,
            sink,
            settings,
            wake: Arc::new(Notify::new()),
            metric_prefix,
        }
    }

    /// The handle that wakes the relay at once: call `notify_one` after committing new events.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Relays until `shutdown` is cancelled; a round in flight is finished first.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut idle = Duration::from_millis(10);
        while !shutdown.is_cancelled() {
            match self.run_once().await {
                Ok(claimed) if claimed >= self.settings.batch_size as usize => continue,
                Ok(claimed) => {
                    idle = if claimed > 0 {
                        Duration::from_millis(10)
                    } else {
                        (idle * 2).min(self.settings.idle_poll)
                    };
                }
                Err(error) => {
                    tracing::error!(error = %error, "outbox relay round failed");
                    idle = self.settings.idle_poll;
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = self.wake.notified() => idle = Duration::from_millis(10),
                () = tokio::time::sleep(idle) => {}
            }
        }
    }

    /// One round: claim, send, mark. Returns how many events were claimed.
    ///
    /// # Errors
    /// A storage failure; claimed events then become due again when their lease runs out.
    pub async fn run_once(&self) -> Result<usize, BoxError> {
        let claimed = self
            .outbox
            .claim(self.settings.batch_size, self.settings.lease)
            .await?;
        let count = claimed.len();
        if count == 0 {
            return Ok(0);
        }
        if count > 1 && self.sink.batches() {
            return self.send_batches(claimed).await;
        }
        self.send_singly(claimed).await
    }

    /// Sends claimed events as a few concurrent batches (each aggregate wholly in one, in
    /// order); a refused batch falls back to single sends.
    async fn send_batches(&self, claimed: Vec<PendingEvent>) -> Result<usize, BoxError> {
        let count = claimed.len();
        let mut tasks = JoinSet::new();
        for lane in lanes(claimed, BATCH_LANES.min(self.settings.concurrency.max(1))) {
            let sink = self.sink.clone();
            tasks.spawn(async move {
                let events: Vec<Event> = lane.iter().map(|p| p.event.clone()).collect();
                let attempt = sink.send_batch(&events).await;
                (lane, attempt)
            });
        }
        let mut delivered = Vec::new();
        let mut refused = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let Ok((lane, attempt)) = joined else {
                continue;
            };
            match attempt {
                Attempt::Delivered => delivered.extend(lane),
                Attempt::Failed(error) => {
                    tracing::debug!(%error, "batch refused; sending its events one by one");
                    refused.extend(lane);
                }
            }
        }
        for pending in &delivered {
            metrics::counter!(format!("{}_events_sent_total", self.metric_prefix), "type" => pending.event.ty().to_owned())
                .increment(1);
        }
        if !delivered.is_empty() {
            let positions: Vec<i64> = delivered.iter().map(|p| p.position).collect();
            self.outbox.complete(&positions).await?;
        }
        if !refused.is_empty() {
            self.send_singly(refused).await?;
        }
        Ok(count)
    }

    /// Sends claimed events one by one: aggregates concurrently, each in order.
    async fn send_singly(&self, claimed: Vec<PendingEvent>) -> Result<usize, BoxError> {
        let count = claimed.len();
        let mut by_aggregate: BTreeMap<String, Vec<PendingEvent>> = BTreeMap::new();
        for pending in claimed {
            by_aggregate
                .entry(pending.aggregate.clone())
                .or_default()
                .push(pending);
        }
        let permits = Arc::new(Semaphore::new(self.settings.concurrency.max(1)));
        let mut tasks = JoinSet::new();
        for (_, mut events) in by_aggregate {
            events.sort_by_key(|p| p.position);
            let sink = self.sink.clone();
            let permits = permits.clone();
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                send_in_order(sink.as_ref(), events).await
            });
        }
        let mut delivered = Vec::new();
        let mut unattempted = Vec::new();
        let mut failures = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let Ok(round) = joined else { continue };
            for (event_type, position) in round.delivered {
                metrics::counter!(format!("{}_events_sent_total", self.metric_prefix), "type" => event_type)
                    .increment(1);
                delivered.push(position);
            }
            unattempted.extend(round.unattempted);
            failures.extend(round.failed);
        }
        if !delivered.is_empty() {
            self.outbox.complete(&delivered).await?;
        }
        for (pending, error) in failures {
            metrics::counter!(format!("{}_relay_failures_total", self.metric_prefix)).increment(1);
            let attempts = pending.attempts.saturating_add(1);
            let Delivery::RetryAfter(delay) = retry_delay(&self.settings.backoff, attempts) else {
                continue;
            };
            tracing::warn!(
                event_id = pending.event.id(),
                event_type = pending.event.ty(),
                attempts,
                retry_in_ms = delay.as_millis() as u64,
                %error,
                "delivery failed; will retry"
            );
            self.outbox
                .retry(pending.position, attempts, delay, &error)
                .await?;
        }
        if !unattempted.is_empty() {
            self.outbox.release(&unattempted).await?;
        }
        Ok(count)
    }
}

/// How many batches one round sends concurrently.
const BATCH_LANES: usize = 4;

/// Splits claimed events into at most `n` lanes, each aggregate wholly in one lane, each lane
/// in position order.
fn lanes(claimed: Vec<PendingEvent>, n: usize) -> Vec<Vec<PendingEvent>> {
    let mut by_aggregate: BTreeMap<String, Vec<PendingEvent>> = BTreeMap::new();
    for pending in claimed {
        by_aggregate
            .entry(pending.aggregate.clone())
            .or_default()
            .push(pending);
    }
    let mut lanes: Vec<Vec<PendingEvent>> = (0..n.max(1)).map(|_| Vec::new()).collect();
    let lane_count = lanes.len();
    for (i, (_, events)) in by_aggregate.into_iter().enumerate() {
        lanes[i % lane_count].extend(events);
    }
    lanes.retain(|lane| !lane.is_empty());
    for lane in &mut lanes {
        lane.sort_by_key(|p| p.position);
    }
    lanes
}

/// The delay before the next attempt after `attempts` failures: exponential with jitter.
pub fn retry_delay(backoff: &Backoff, attempts: u32) -> Delivery {
    Delivery::RetryAfter(backoff.delay_jittered(attempts))
}

struct Round {
    delivered: Vec<(String, i64)>,
    failed: Option<(PendingEvent, String)>,
    unattempted: Vec<i64>,
}

async fn send_in_order<S: Sink + ?Sized>(sink: &S, events: Vec<PendingEvent>) -> Round {
    let mut round = Round {
        delivered: Vec::with_capacity(events.len()),
        failed: None,
        unattempted: Vec::new(),
    };
    let mut events = events.into_iter();
    for pending in events.by_ref() {
        match sink.send(&pending.event).await {
            Attempt::Delivered => round
                .delivered
                .push((pending.event.ty().to_owned(), pending.position)),
            Attempt::Failed(error) => {
                round.failed = Some((pending, error));
                break;
            }
        }
    }
    round.unattempted = events.map(|p| p.position).collect();
    round
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::backoff::BackoffPolicy;
    use cloudevents::{EventBuilder, EventBuilderV10};
    use std::sync::Mutex;

    fn event(id: &str) -> Event {
        EventBuilderV10::new()
            .id(id)
            .source("/test")
            .ty("com.example.test.happened.v1")
            .build()
            .expect("event")
    }

    struct FlakySink {
        seen: Mutex<Vec<String>>,
        fail_id: &'static str,
    }

    #[async_trait]
    impl Sink for FlakySink {
        async fn send(&self, event: &Event) -> Attempt {
            self.seen.lock().expect("lock").push(event.id().to_owned());
            if event.id() == self.fail_id {
                Attempt::Failed("503".to_owned())
            } else {
                Attempt::Delivered
            }
        }
    }

    #[tokio::test]
    async fn the_first_failure_of_an_aggregate_holds_back_its_later_events() {
        let sink = FlakySink {
            seen: Mutex::new(Vec::new()),
            fail_id: "b",
        };
        let events = ["a", "b", "c"]
            .iter()
            .enumerate()
            .map(|(i, id)| PendingEvent {
                position: i as i64,
                aggregate: "order-1".to_owned(),
                attempts: 0,
                event: event(id),
            })
            .collect();
        let round = send_in_order(&sink, events).await;
        assert_eq!(round.delivered.len(), 1);
        assert_eq!(round.failed.map(|(p, _)| p.position), Some(1));
        assert_eq!(round.unattempted, vec![2]);
        assert_eq!(*sink.seen.lock().expect("lock"), vec!["a", "b"]);
    }

    #[test]
    fn retries_back_off_exponentially() {
        let backoff = Backoff {
            policy: BackoffPolicy::Exponential,
            delay: Duration::from_millis(100),
            max: Duration::from_secs(10),
        };
        let Delivery::RetryAfter(first) = retry_delay(&backoff, 1) else {
            panic!("always retried")
        };
        let Delivery::RetryAfter(fifth) = retry_delay(&backoff, 5) else {
            panic!("always retried")
        };
        assert!(first <= Duration::from_millis(100));
        assert!(fifth >= Duration::from_millis(800));
    }
}
