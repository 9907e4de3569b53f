//! Load generators. [`closed_loop`]: `concurrency` posters, each sending its next event as soon
//! as the previous one is answered, for a duration (the most a target sustains).
//! [`open_loop`]: events sent on a fixed schedule whatever the responses (for latency), with
//! enough requests in flight, counting the sends that fell behind the schedule.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use shared_events::http::reqwest::RequestBuilderExt as _;
use tokio::sync::Semaphore;

use crate::event::bench_event;
use crate::ledger::Ledger;

/// A send this far behind its scheduled time counts as late.
pub const LATE_AFTER: Duration = Duration::from_millis(2);

/// What a load generator saw.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// When the first request was due.
    pub started: Instant,
    /// When the last response came back.
    pub finished: Instant,
    /// Requests sent.
    pub sent: u64,
    /// Requests answered 202.
    pub accepted: u64,
    /// Everything else, by status or error kind.
    pub errors: BTreeMap<String, u64>,
    /// Open loop only: sends more than [`LATE_AFTER`] behind schedule.
    pub late: u64,
    /// Open loop only: the furthest a send fell behind schedule.
    pub max_lag: Duration,
}

impl LoadReport {
    /// Errors as `503×2, timeout×1`, or `none`.
    pub fn describe_errors(&self) -> String {
        if self.errors.is_empty() {
            return "none".to_owned();
        }
        self.errors
            .iter()
            .map(|(k, n)| format!("{k}×{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Debug, Default)]
struct Counters {
    sent: AtomicU64,
    accepted: AtomicU64,
    late: AtomicU64,
    max_lag_nanos: AtomicU64,
    last_response_nanos: AtomicU64,
    errors: Mutex<BTreeMap<String, u64>>,
}

impl Counters {
    fn report(&self, started: Instant) -> LoadReport {
        LoadReport {
            started,
            finished: started + Duration::from_nanos(self.last_response_nanos.load(Relaxed)),
            sent: self.sent.load(Relaxed),
            accepted: self.accepted.load(Relaxed),
            errors: self
                .errors
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
            late: self.late.load(Relaxed),
            max_lag: Duration::from_nanos(self.max_lag_nanos.load(Relaxed)),
        }
    }
}

/// Posts event `seq` of `ledger` to `url` in binary mode and books the outcome.
async fn post_one(
    client: &reqwest::Client,
    url: &str,
    ledger: &Ledger,
    seq: u64,
    counters: &Counters,
    started: Instant,
) {
    let event = bench_event(&ledger.ids, seq);
    let outcome = match client.post(url).cloudevent(&event) {
        Ok(request) => {
            let now = Instant::now();
            ledger.mark_sent(seq, now);
            counters.sent.fetch_add(1, Relaxed);
            match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    let _ = response.bytes().await;
                    if status == reqwest::StatusCode::ACCEPTED {
                        ledger.mark_accepted(seq);
                        Ok(())
                    } else {
                        Err(status.as_u16().to_string())
                    }
                }
                Err(e) if e.is_timeout() => Err("timeout".to_owned()),
                Err(e) if e.is_connect() => Err("connect".to_owned()),
                Err(_) => Err("transport".to_owned()),
            }
        }
        Err(_) => Err("encode".to_owned()),
    };
    let done = Instant::now().saturating_duration_since(started).as_nanos() as u64;
    counters.last_response_nanos.fetch_max(done, Relaxed);
    match outcome {
        Ok(()) => {
            counters.accepted.fetch_add(1, Relaxed);
        }
        Err(kind) => {
            *counters
                .errors
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(kind)
                .or_default() += 1;
        }
    }
}

/// `concurrency` posters sending events of `ledger` back to back for `duration` (or until the
/// ledger is full), spread evenly over `urls` (several gateway replicas: poster `i` posts to
/// `urls[i % n]`, as a round-robin load balancer with keep-alive connections would).
pub async fn closed_loop(
    client: &reqwest::Client,
    urls: &[String],
    ledger: &Arc<Ledger>,
    concurrency: usize,
    duration: Duration,
) -> LoadReport {
    let counters = Arc::new(Counters::default());
    let started = Instant::now();
    let deadline = started + duration;
    let mut posters = tokio::task::JoinSet::new();
    for i in 0..concurrency.max(1) {
        let (client, url) = (client.clone(), urls[i % urls.len()].clone());
        let (ledger, counters) = (Arc::clone(ledger), Arc::clone(&counters));
        posters.spawn(async move {
            while Instant::now() < deadline {
                let Some(seq) = ledger.claim() else { break };
                post_one(&client, &url, &ledger, seq, &counters, started).await;
            }
        });
    }
    while posters.join_next().await.is_some() {}
    counters.report(started)
}

/// Events of `ledger` sent to `url` at `rate` per second for `duration`, each on its schedule
/// whatever the responses, at most `max_in_flight` at once (a send waiting for room is late).
pub async fn open_loop(
    client: &reqwest::Client,
    url: &str,
    ledger: &Arc<Ledger>,
    rate: f64,
    duration: Duration,
    max_in_flight: usize,
) -> LoadReport {
    let counters = Arc::new(Counters::default());
    let room = Arc::new(Semaphore::new(max_in_flight.max(1)));
    let period_nanos = (1e9 / rate.max(1.0)) as u64;
    let count = (rate * duration.as_secs_f64()).round() as u64;
    let started = Instant::now() + Duration::from_millis(10);
    for i in 0..count {
        let due = started + Duration::from_nanos(i * period_nanos);
        tokio::time::sleep_until(due.into()).await;
        let Ok(permit) = Arc::clone(&room).acquire_owned().await else {
            break;
        };
        let Some(seq) = ledger.claim() else { break };
        let (client, url) = (client.clone(), url.to_owned());
        let (ledger, counters) = (Arc::clone(ledger), Arc::clone(&counters));
        tokio::spawn(async move {
            let lag = Instant::now().saturating_duration_since(due);
            if lag > LATE_AFTER {
                counters.late.fetch_add(1, Relaxed);
            }
            counters
                .max_lag_nanos
                .fetch_max(lag.as_nanos() as u64, Relaxed);
            post_one(&client, &url, &ledger, seq, &counters, started).await;
            drop(permit);
        });
    }
    // Every permit back means every request was answered.
    let all = u32::try_from(max_in_flight.max(1)).unwrap_or(u32::MAX);
    let _ = room.acquire_many(all).await;
    counters.report(started)
}
