//! Group commit: request handlers hand their events to a writer task, which drains whatever
//! is queued (up to a bound), writes it all in one transaction, commits, and only then answers
//! every waiter. Durability costs one fsync per batch, not one per request. There are as many
//! writers as the store says commits can overlap ([`Store::concurrent_writers`]): one on SQLite,
//! a few on PostgreSQL, where one batch is built and sent while another's commit is flushed.
//!
//! Events are matched against the subscriptions where they arrive, and matched again in the
//! writer if the subscriptions changed meanwhile, so a subscription is in every transaction
//! that starts after the cache took it in: that is what lets a subscription created `from`
//! the past meet live traffic without a gap (see [`crate::jobs`]).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use cloudevents::event::ExtensionValue;
use shared_events::catalog::{self, DecodeError};
use shared_events::{AttributesReader, Event, Problem, format, schema};
use tokio::sync::{Mutex, Notify, mpsc, oneshot, watch};

use crate::cache::SubscriptionCache;
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

/// Why events were refused or not stored.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AcceptError {
    /// The event at `index` has data of a catalog type that fails its schema.
    #[error("{problem}")]
    Invalid {
        /// Its index in what was submitted.
        index: usize,
        /// What is wrong, as problem+json.
        problem: Box<Problem>,
    },
    /// Storing failed.
    #[error(transparent)]
    Ingest(#[from] IngestError),
}

/// The handle request handlers (and replies to deliveries) submit events through.
#[derive(Debug, Clone)]
pub struct IngestQueue {
    tx: mpsc::Sender<Job>,
    cache: Arc<SubscriptionCache>,
}

/// What the writers tell the rest of the gateway after a commit.
#[derive(Debug)]
pub struct Commits {
    /// Notified when a commit scheduled deliveries (the dispatcher's wake-up).
    pub deliveries: Arc<Notify>,
    /// Moves after every commit that stored an event (stream readers and pull consumers wait
    /// on it; other replicas' commits they find by polling).
    pub events: watch::Sender<u64>,
}

impl Commits {
    /// Fresh signals around the dispatcher's `wake`.
    pub fn new(deliveries: Arc<Notify>) -> Arc<Self> {
        Arc::new(Self {
            deliveries,
            events: watch::Sender::new(0),
        })
    }

    /// Says that events or deliveries are there to read.
    pub fn announce(&self, deliveries: bool) {
        self.events.send_modify(|n| *n = n.wrapping_add(1));
        if deliveries {
            self.deliveries.notify_one();
        }
    }
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
    /// finishing what was queued (the handle ends when all have). `commits` is told after each
    /// commit.
    pub fn start(
        store: Arc<dyn Store>,
        cache: Arc<SubscriptionCache>,
        settings: IngestSettings,
        commits: Arc<Commits>,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(4096);
        let rx = Arc::new(Mutex::new(rx));
        let writers: Vec<_> = (0..store.concurrent_writers().max(1))
            .map(|_| {
                tokio::spawn(write_loop(
                    store.clone(),
                    cache.clone(),
                    settings,
                    commits.clone(),
                    rx.clone(),
                ))
            })
            .collect();
        let all = tokio::spawn(async move {
            for writer in writers {
                let _ = writer.await;
            }
        });
        (Self { tx, cache }, all)
    }

    /// Checks catalog types' data, matches the subscriptions and stores the events (all or
    /// nothing): the one ingest path, for `POST /events`, inbound webhooks and reply events.
    ///
    /// # Errors
    /// [`AcceptError::Invalid`] naming the first event whose data fails its schema; storage
    /// errors.
    pub async fn accept(&self, events: &[Event]) -> Result<Vec<Ingested>, AcceptError> {
        let snapshot = self.cache.snapshot();
        let mut new = Vec::with_capacity(events.len());
        for (index, event) in events.iter().enumerate() {
            check_data(event).map_err(|problem| AcceptError::Invalid { index, problem })?;
            new.push(NewEvent {
                source: event.source().to_string(),
                id: event.id().to_owned(),
                event_type: event.ty().to_owned(),
                subject: event.subject().map(str::to_owned),
                time: event.time().copied(),
                partition_key: match event.extension("partitionkey") {
                    Some(ExtensionValue::String(key)) => Some(key.clone()),
                    Some(other) => Some(other.to_string()),
                    None => None,
                },
                body: Bytes::from(format::to_vec(event)),
                subscriptions: snapshot.matching(event),
                matched_with: snapshot.generation,
            });
        }
        if new.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self.submit(new).await?)
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

/// Data of a catalog type must satisfy its schema; other types pass as they are.
fn check_data(event: &Event) -> Result<(), Box<Problem>> {
    let Some(entry) = catalog::lookup(event.ty()) else {
        return Ok(());
    };
    let value =
        catalog::data_as_json(event, entry.event_type).map_err(|e| Box::new(Problem::from(e)))?;
    schema::validate(entry.event_type, &value)
        .map_err(|v| Box::new(Problem::from(DecodeError::Schema(v))))
}

/// Matches again the events matched against an older snapshot of the subscriptions.
fn rematch(events: &mut [NewEvent], cache: &SubscriptionCache) {
    let snapshot = cache.snapshot();
    for event in events.iter_mut() {
        if event.matched_with == snapshot.generation {
            continue;
        }
        match format::from_slice(&event.body) {
            Ok(decoded) => event.subscriptions = snapshot.matching(&decoded),
            Err(error) => tracing::error!(error = %error, "an accepted event no longer decodes"),
        }
        event.matched_with = snapshot.generation;
    }
}

async fn write_loop(
    store: Arc<dyn Store>,
    cache: Arc<SubscriptionCache>,
    settings: IngestSettings,
    commits: Arc<Commits>,
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
        rematch(&mut flat, &cache);
        let now = Utc::now();
        let since = now
            - chrono::Duration::from_std(settings.dedupe_window).unwrap_or(chrono::Duration::MAX);
        let result = store
            .ingest(&flat, now, since)
            .await
            .map_err(|e| IngestError::Store(Arc::new(e)));
        if let Ok(outcomes) = &result {
            let (mut stored, mut fanned_out) = (false, false);
            for (event, outcome) in flat.iter().zip(outcomes) {
                if matches!(outcome, Ingested::Accepted(_)) {
                    metrics::counter!("gateway_events_ingested_total").increment(1);
                    stored = true;
                    fanned_out |= !event.subscriptions.is_empty();
                } else {
                    metrics::counter!("gateway_events_duplicate_total").increment(1);
                }
            }
            if stored {
                commits.announce(fanned_out);
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
