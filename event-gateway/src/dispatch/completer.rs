//! Writes attempt outcomes back in batches: delivered rows leave the hot table, retries get
//! their due time, give-ups become dead letters (and go to the `deadLetterSink`, if any).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use tokio::sync::{Notify, mpsc};

use super::attempt::Sender;
use crate::cache::SubscriptionCache;
use crate::domain::{AttemptResult, Outcome, SinkUrl, SubscriptionId};
use crate::store::{GiveUp, RetryLater, Settled, Store};

/// Most outcomes written per batch.
const BATCH: usize = 1024;

/// One attempt's outcome, on its way to the store.
#[derive(Debug)]
pub struct Settlement {
    /// The lease, event, subscription and history entry.
    pub settled: Settled,
    /// What the retry policy decided.
    pub outcome: Outcome,
    /// When the event was accepted (for the latency histogram).
    pub ingested_at: DateTime<Utc>,
    /// Where a dead letter also goes, if the subscription has a `deadLetterSink`.
    pub dead_letter_copy: Option<DeadLetterCopy>,
    /// Disable the subscription, for this reason (410 Gone, failing too long).
    pub disable: Option<String>,
}

/// A dead letter to send to a `deadLetterSink`.
#[derive(Debug)]
pub struct DeadLetterCopy {
    /// The `deadLetterSink`.
    pub to: SinkUrl,
    /// The subscriber's sink that failed (`knativeerrordest`).
    pub failed: SinkUrl,
    /// The event, structured JSON as stored.
    pub event: Bytes,
}

/// What the completer shares with the claimer.
#[derive(Debug, Default)]
pub struct RetryHint {
    earliest: Mutex<Option<DateTime<Utc>>>,
}

impl RetryHint {
    /// Remembers that a retry is due at `at`.
    pub fn note(&self, at: DateTime<Utc>) {
        if let Ok(mut earliest) = self.earliest.lock() {
            *earliest = Some(earliest.map_or(at, |e| e.min(at)));
        }
    }

    /// The earliest noted retry still in the future, forgetting those that are due.
    pub fn next(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut earliest = self.earliest.lock().ok()?;
        if earliest.is_some_and(|e| e <= now) {
            *earliest = None;
        }
        *earliest
    }
}

/// Runs until every sender of `rx` is dropped, writing what is queued in batches.
pub async fn run(
    store: Arc<dyn Store>,
    cache: Arc<SubscriptionCache>,
    sender: Sender,
    hint: Arc<RetryHint>,
    wake: Arc<Notify>,
    mut rx: mpsc::UnboundedReceiver<Settlement>,
) {
    let mut buffer = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut buffer, BATCH).await > 0 {
        let (mut done, mut retries, mut give_ups, mut sinks) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let now = Utc::now();
        let mut disable: Vec<(SubscriptionId, String)> = Vec::new();
        for s in buffer.drain(..) {
            let sub = s.settled.subscription.as_str().to_owned();
            if let Some(reason) = s.disable {
                if !disable.iter().any(|(id, _)| *id == s.settled.subscription) {
                    disable.push((s.settled.subscription.clone(), reason));
                }
            }
            match s.outcome {
                Outcome::Delivered => {
                    metrics::counter!("gateway_deliveries_delivered_total", "subscription" => sub)
                        .increment(1);
                    let latency = (now - s.ingested_at).to_std().unwrap_or_default();
                    metrics::histogram!("gateway_delivery_latency_seconds")
                        .record(latency.as_secs_f64());
                    done.push(s.settled);
                }
                Outcome::RetryAt(due_at) => {
                    metrics::counter!("gateway_deliveries_retried_total", "subscription" => sub)
                        .increment(1);
                    hint.note(due_at);
                    retries.push(RetryLater {
                        settled: s.settled,
                        due_at,
                    });
                }
                Outcome::DeadLettered(reason) => {
                    metrics::counter!("gateway_deliveries_dead_lettered_total", "subscription" => sub).increment(1);
                    sinks.push(
                        s.dead_letter_copy
                            .map(|copy| (copy, s.settled.record.clone())),
                    );
                    give_ups.push(GiveUp {
                        settled: s.settled,
                        reason: reason.as_str().to_owned(),
                    });
                }
            }
        }
        if !done.is_empty() {
            match store.complete(&done).await {
                Ok(held) => {
                    let stale = held.iter().filter(|h| !**h).count();
                    if stale > 0 {
                        tracing::info!(stale, "completions for leases that ran out were ignored");
                    }
                }
                Err(error) => {
                    tracing::error!(error = ?error, "recording deliveries failed; they will be attempted again")
                }
            }
        }
        if !retries.is_empty() {
            if let Err(error) = store.retry(&retries).await {
                tracing::error!(error = ?error, "scheduling retries failed; they become due when their lease runs out");
            }
            wake.notify_one();
        }
        if !give_ups.is_empty() {
            match store.dead_letter(&give_ups, now).await {
                Ok(ids) => {
                    for (id, sink) in ids.into_iter().zip(sinks) {
                        if let (Some(_), Some((copy, record))) = (id, sink) {
                            tokio::spawn(send_to_dead_letter_sink(sender.clone(), copy, record));
                        }
                    }
                }
                Err(error) => {
                    tracing::error!(error = ?error, "recording dead letters failed; they will be attempted again")
                }
            }
        }
        if !disable.is_empty() {
            for (id, reason) in &disable {
                cache.set_status(id, crate::domain::Status::Disabled);
                match store.disable_subscription(id, reason, now).await {
                    Ok(parked) => {
                        tracing::warn!(subscription = %id, reason = %reason, parked, "subscription disabled");
                        metrics::counter!("gateway_subscriptions_disabled_total").increment(1);
                    }
                    Err(error) => {
                        tracing::error!(error = ?error, subscription = %id, "disabling a subscription failed")
                    }
                }
            }
            if let Err(error) = cache.reload(store.as_ref()).await {
                tracing::warn!(error = ?error, "could not reload subscriptions after disabling");
            }
        }
    }
}

/// Sends a dead letter to the `deadLetterSink` with Knative's error extensions; a few tries,
/// best effort (the dead letter itself is already stored).
async fn send_to_dead_letter_sink(
    sender: Sender,
    copy: DeadLetterCopy,
    record: crate::store::AttemptRecord,
) {
    let Ok(mut event) = shared_events::format::from_slice(&copy.event) else {
        return;
    };
    let sink = copy.to;
    event.set_extension("knativeerrordest", copy.failed.as_str().to_owned());
    if let Some(status) = record.status {
        event.set_extension("knativeerrorcode", status.to_string());
    }
    if let Some(response) = &record.response {
        event.set_extension(
            "knativeerrordata",
            base64::engine::general_purpose::STANDARD.encode(response),
        );
    }
    for wait in [0, 1, 4] {
        tokio::time::sleep(Duration::from_secs(wait)).await;
        let attempted = sender
            .send_event(&sink, &event, Duration::from_secs(10))
            .await;
        if matches!(
            attempted.result,
            AttemptResult::Status {
                code: 200..=299,
                ..
            }
        ) {
            return;
        }
        tracing::warn!(sink = %sink, error = ?attempted.error, "dead-letter sink refused a dead letter");
    }
}
