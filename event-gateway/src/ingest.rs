//! Group commit: request handlers hand their events to a writer task, which drains whatever
//! is queued (up to a bound), writes it all in one transaction, commits, and only then answers
//! every waiter. Durability costs one fsync per batch, not one per request. There are as many
//! writers as the store says commits can overlap ([`Store::concurrent_writers`]): one on SQLite,
//! a few on PostgreSQL, where one batch is built and sent while another's commit is flushed.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{Mutex, Notify, mpsc, oneshot};

use crate::store::{Ingested, NewEvent, Store, StoreError};

/// Why events could not be ingested.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IngestError {
    /// The writer has stopped (shutting down).
    #[error("the gateway is shutting down")]
    Closed,
    /// The transaction failed; nothing of the batch was stored.
    #[error("storing events failed")]
    Store(#[source] Arc<StoreError>),
}

struct Job {
    events: Vec<NewEvent>,
    reply: oneshot::Sender<Result<Vec<Ingested>, IngestError>>,
}

/// The handle request handlers submit events through.
#[derive(Debug, Clone)]
pub struct IngestQueue {
    tx: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("events", &self.events.len())
            .finish()
    }
}

/// How the writer batches.
#[derive(Debug, Clone, Copy)]
pub struct IngestSettings {
    /// Most events per transaction.
    pub max_batch: usize,
    /// How long a (source, id) counts as a duplicate.
    pub dedupe_window: Duration,
}

impl IngestQueue {
    /// Starts the writer tasks; they run until every [`IngestQueue`] clone is dropped,
    /// finishing what was queued (the handle ends when all have). `wake` is notified after each
    /// commit that scheduled deliveries.
    pub fn start(
        store: Arc<dyn Store>,
        settings: IngestSettings,
        wake: Arc<Notify>,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(4096);
        let rx = Arc::new(Mutex::new(rx));
        let writers: Vec<_> = (0..store.concurrent_writers().max(1))
            .map(|_| {
                tokio::spawn(write_loop(
                    store.clone(),
                    settings,
                    wake.clone(),
                    rx.clone(),
                ))
            })
            .collect();
        let all = tokio::spawn(async move {
            for writer in writers {
                let _ = writer.await;
            }
        });
        (Self { tx }, all)
    }

    /// Stores `events` (all or nothing) and answers, per event, accepted or duplicate, once
    /// they are committed.
    ///
    /// # Errors
    /// [`IngestError`] when nothing was stored.
    pub async fn submit(&self, events: Vec<NewEvent>) -> Result<Vec<Ingested>, IngestError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Job { events, reply })
            .await
            .map_err(|_| IngestError::Closed)?;
        answer.await.map_err(|_| IngestError::Closed)?
    }
}

/// Where each submitted event went in the combined batch.
enum Slot {
    Stored(usize),
    RepeatInBatch,
}

/// The queued jobs, up to `max_batch` events, waiting for the first; `None` once closed. The
/// queue is held only while draining, so other writers take the next batch meanwhile.
async fn next_batch(rx: &Mutex<mpsc::Receiver<Job>>, max_batch: usize) -> Option<Vec<Job>> {
    let mut rx = rx.lock().await;
    let first = rx.recv().await?;
    let mut queued = first.events.len();
    let mut jobs = vec![first];
    while queued < max_batch {
        match rx.try_recv() {
            Ok(job) => {
                queued += job.events.len();
                jobs.push(job);
            }
            Err(_) => break,
        }
    }
    Some(jobs)
}

async fn write_loop(
    store: Arc<dyn Store>,
    settings: IngestSettings,
    wake: Arc<Notify>,
    rx: Arc<Mutex<mpsc::Receiver<Job>>>,
) {
    while let Some(jobs) = next_batch(&rx, settings.max_batch).await {
        let queued = jobs.iter().map(|j| j.events.len()).sum();
        let mut flat = Vec::with_capacity(queued);
        let mut seen = HashSet::with_capacity(queued);
        let mut waiters = Vec::with_capacity(jobs.len());
        for job in jobs {
            let mut slots = Vec::with_capacity(job.events.len());
            for event in job.events {
                if seen.insert((event.source.clone(), event.id.clone())) {
                    slots.push(Slot::Stored(flat.len()));
                    flat.push(event);
                } else {
                    slots.push(Slot::RepeatInBatch);
                }
            }
            waiters.push((slots, job.reply));
        }
        let now = Utc::now();
        let since = now
            - chrono::Duration::from_std(settings.dedupe_window).unwrap_or(chrono::Duration::MAX);
        let result = store
            .ingest(&flat, now, since)
            .await
            .map_err(|e| IngestError::Store(Arc::new(e)));
        if let Ok(outcomes) = &result {
            let mut fanned_out = false;
            for (event, outcome) in flat.iter().zip(outcomes) {
                if matches!(outcome, Ingested::Accepted(_)) {
                    metrics::counter!("gateway_events_ingested_total").increment(1);
                    fanned_out |= !event.subscriptions.is_empty();
                } else {
                    metrics::counter!("gateway_events_duplicate_total").increment(1);
                }
            }
            if fanned_out {
                wake.notify_one();
            }
        } else if let Err(IngestError::Store(error)) = &result {
            tracing::error!(error = ?error, events = flat.len(), "ingest transaction failed");
        }
        for (slots, reply) in waiters {
            let answer = result.as_ref().map_err(Clone::clone).map(|outcomes| {
                slots
                    .iter()
                    .map(|slot| match slot {
                        Slot::Stored(i) => outcomes[*i],
                        Slot::RepeatInBatch => {
                            metrics::counter!("gateway_events_duplicate_total").increment(1);
                            Ingested::Duplicate
                        }
                    })
                    .collect()
            });
            let _ = reply.send(answer);
        }
    }
}
