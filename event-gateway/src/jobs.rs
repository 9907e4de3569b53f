//! Replay jobs: the retained events of a range that a subscription matches, scheduled to it
//! again, paced so live traffic is not starved, and taken over by another replica when the
//! one running a job dies.
//!
//! A job scans in cursor order; each step schedules up to [`PACE`] deliveries and records how
//! far the scan got, in one transaction, and the next step waits until fewer than [`PACE`] of
//! the job's deliveries are pending, so live deliveries (claimed oldest-due first) never queue
//! behind more than one step of history. The job is `completed` once the scan is done and
//! every delivery it scheduled was delivered or dead-lettered.
//!
//! The catch-up of a subscription created `from` the past is a job too, with `skip_known`:
//! it skips events the subscription already has (pending, attempted or dead-lettered) and
//! scans up to the newest event once [`SETTLE`] has passed since the subscription was created.
//! By then every replica's cache holds the subscription, and ingest matches again in its
//! writer when the cache changed (see [`crate::ingest`]), so every later commit scheduled the
//! event live: history and live traffic meet without a gap, and without doubles.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared_events::service::shutdown::CancellationToken;
use tokio::sync::Notify;

use crate::domain::filter::SqlFilter;
use crate::domain::{FieldError, Filter};
use crate::store::{Cursor, Job, JobId, JobStatus, JobStep, LeaseOwner, Store, StoreError};
use crate::stream::{self, Range, Selector};

/// Deliveries a job keeps pending at most (and schedules per step).
pub const PACE: u64 = 500;

/// How long after a subscription's creation its catch-up decides where history ends.
pub const SETTLE: Duration = Duration::from_secs(3);

/// How long a runner holds a job without writing a step (it writes one at least every third
/// of this); a job whose runner died is resumed once this ran out.
const LEASE: Duration = Duration::from_secs(15);

/// Jobs one replica runs at once.
const CONCURRENT_JOBS: usize = 8;

/// How often a runner looks for jobs nobody runs.
const POLL: Duration = Duration::from_secs(1);

/// What a job replays, as stored with it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ReplaySpec {
    /// `from` as the client wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// `to` as the client wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The CESQL filter, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Start after this cursor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// End with this cursor (unset: the newest event when the scan starts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// Only events ingested at or after this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
    /// Only events ingested at or before this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
    /// Do not look for the end before this time (a catch-up's [`SETTLE`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settle_until: Option<DateTime<Utc>>,
}

/// A `from` or `to` bound as a client writes it.
enum Bound {
    Open,
    Time(DateTime<Utc>),
    Cursor(Cursor),
}

fn bound(text: Option<&str>, field: &str, open: &[&str]) -> Result<Bound, FieldError> {
    let Some(text) = text.map(str::trim) else {
        return Ok(Bound::Open);
    };
    if open.contains(&text) {
        return Ok(Bound::Open);
    }
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(Bound::Time(time.to_utc()));
    }
    Cursor::parse(text).map(Bound::Cursor).map_err(|_| {
        FieldError::new(
            field,
            format!(
                "must be {} an RFC 3339 time or a cursor",
                open.iter().map(|o| format!("\"{o}\",")).collect::<String>()
            ),
        )
    })
}

impl ReplaySpec {
    /// Resolves a client's `from`, `to` and `filter` into a spec (cursors where the client
    /// gave times, the current newest event where it gave no `to`).
    ///
    /// # Errors
    /// [`FieldError`] naming the bad field; storage errors as [`ReplayError::Store`].
    pub async fn resolve(
        store: &dyn Store,
        from: Option<&str>,
        to: Option<&str>,
        filter: Option<&str>,
    ) -> Result<Self, ReplayError> {
        let mut spec = Self {
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
            filter: filter.map(str::to_owned),
            ..Self::default()
        };
        if let Some(text) = filter {
            SqlFilter::parse(text).map_err(|e| {
                let message = format!(
                    "is not valid CESQL at line {}, column {}: {}",
                    e.line(),
                    e.column(),
                    e.message()
                );
                FieldError::new("filter", message).at(e.position())
            })?;
        }
        match bound(from, "from", &["earliest"])? {
            Bound::Open => {}
            Bound::Time(t) => {
                spec.since = Some(t);
                spec.after = store
                    .first_since(t)
                    .await?
                    .map(|c| c.just_before().to_string());
            }
            Bound::Cursor(c) => spec.after = Some(c.just_before().to_string()),
        }
        match bound(to, "to", &["latest", "now"])? {
            Bound::Open => spec.end = store.head().await?.map(|c| c.to_string()),
            Bound::Time(t) => {
                spec.until = Some(t);
                spec.end = store.head().await?.map(|c| c.to_string());
            }
            Bound::Cursor(c) => spec.end = Some(c.to_string()),
        }
        if spec.end.is_none() {
            // Nothing retained: an empty range, not "up to whatever comes".
            spec.end = Some(
                Cursor {
                    order: 0,
                    position: 0,
                }
                .to_string(),
            );
        }
        Ok(spec)
    }

    /// The catch-up of a subscription created `from` the past at `now`.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn catch_up(
        store: &dyn Store,
        since: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Self, StoreError> {
        let after = match since {
            Some(t) => store.first_since(t).await?.map(Cursor::just_before),
            None => None,
        };
        Ok(Self {
            from: Some(since.map_or("earliest".to_owned(), |t| {
                t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            })),
            since,
            after: after.map(|c| c.to_string()),
            settle_until: Some(now + chrono::Duration::from_std(SETTLE).unwrap_or_default()),
            ..Self::default()
        })
    }

    /// The compiled filter.
    pub fn compiled_filter(&self) -> Option<Filter> {
        self.filter
            .as_deref()
            .and_then(|t| SqlFilter::parse(t).ok())
            .map(Filter::Sql)
    }

    /// The range to scan (`end` as given: the runner fills an open end in).
    pub fn range(&self) -> Range {
        let cursor = |c: &Option<String>| c.as_deref().and_then(|c| Cursor::parse(c).ok());
        Range {
            after: cursor(&self.after),
            end: cursor(&self.end),
            since: self.since,
            until: self.until,
        }
    }
}

/// Why a replay cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// A request field is wrong.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new job for `subscription`.
pub fn new_job(
    subscription: crate::domain::SubscriptionId,
    spec: &ReplaySpec,
    skip_known: bool,
) -> Job {
    let now = Utc::now();
    Job {
        id: JobId::generate(),
        subscription,
        spec: serde_json::to_string(spec).unwrap_or_default(),
        skip_known,
        status: JobStatus::Running,
        total: None,
        scheduled: 0,
        scanned: None,
        error: None,
        created_at: now,
        updated_at: now,
    }
}

/// Runs jobs nobody else runs, up to [`CONCURRENT_JOBS`] at once, until `shutdown`; `kick`
/// says a job was created here.
pub async fn run(
    store: Arc<dyn Store>,
    owner: LeaseOwner,
    kick: Arc<Notify>,
    shutdown: CancellationToken,
) {
    let mut running = tokio::task::JoinSet::new();
    loop {
        while running.len() < CONCURRENT_JOBS && !shutdown.is_cancelled() {
            let now = Utc::now();
            match store.claim_job(&owner, lease_until(), now).await {
                Ok(Some(job)) => {
                    let (store, owner, shutdown) = (store.clone(), owner.clone(), shutdown.clone());
                    running.spawn(async move {
                        let id = job.id.clone();
                        let runner = Runner {
                            store: store.as_ref(),
                            owner: owner.as_str(),
                            shutdown: &shutdown,
                        };
                        if let Err(error) = runner.run(job).await {
                            // Its lease runs out and a runner (this one or another) resumes it.
                            tracing::warn!(job = %id, error = %error, "replay job stopped");
                        }
                    });
                }
                Ok(None) => break,
                Err(error) => {
                    tracing::warn!(error = %error, "looking for replay jobs failed");
                    break;
                }
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = kick.notified() => {}
            Some(_) = running.join_next() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
    while running.join_next().await.is_some() {}
}

fn lease_until() -> DateTime<Utc> {
    Utc::now() + chrono::Duration::from_std(LEASE).unwrap_or_default()
}

struct Runner<'a> {
    store: &'a dyn Store,
    owner: &'a str,
    shutdown: &'a CancellationToken,
}

impl Runner<'_> {
    /// Writes one step; `false` when the job is no longer ours (cancelled, or taken over).
    async fn step(&self, step: JobStep<'_>) -> Result<bool, StoreError> {
        self.store.step_job(&step, Utc::now()).await
    }

    fn empty<'b>(&self, job: &'b JobId) -> JobStep<'b>
    where
        Self: 'b,
    {
        JobStep {
            job,
            owner: self.owner,
            lease_until: lease_until(),
            positions: &[],
            scanned: None,
            total: None,
            finish: None,
        }
    }

    /// Waits (renewing the lease) until fewer than `below` of the job's deliveries are pending
    /// or `until` has passed; `false` when the job is no longer ours or the gateway stops.
    async fn wait(
        &self,
        job: &JobId,
        below: u64,
        until: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError> {
        let mut renewed = tokio::time::Instant::now();
        loop {
            let settled = until.is_none_or(|t| Utc::now() >= t);
            if settled && self.store.job_pending(job).await? < below {
                return Ok(true);
            }
            if self.shutdown.is_cancelled() {
                return Ok(false);
            }
            if renewed.elapsed() > LEASE / 3 {
                if !self.step(self.empty(job)).await? {
                    return Ok(false);
                }
                renewed = tokio::time::Instant::now();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn run(&self, job: Job) -> Result<(), StoreError> {
        let fail = |why: String| JobStep {
            finish: Some((JobStatus::Failed, Some(why))),
            ..self.empty(&job.id)
        };
        let Ok(spec) = serde_json::from_str::<ReplaySpec>(&job.spec) else {
            self.step(fail("the job's spec cannot be read".to_owned()))
                .await?;
            return Ok(());
        };
        if !self.wait(&job.id, u64::MAX, spec.settle_until).await? {
            return Ok(());
        }
        let Some(sub) = self.store.subscription(&job.subscription).await? else {
            self.step(fail("the subscription was deleted".to_owned()))
                .await?;
            return Ok(());
        };
        let filter = spec.compiled_filter();
        let selector = Selector::new(filter.as_ref()).and_subscription(&sub);
        let mut range = spec.range();
        if range.end.is_none() {
            range.end = Some(self.store.head().await?.unwrap_or(Cursor {
                order: 0,
                position: 0,
            }));
        }
        if job.total.is_none() && !job.skip_known {
            let mut total = 0;
            let mut counting = range;
            loop {
                let step =
                    stream::scan(self.store, counting, &selector, usize::MAX, 10_000).await?;
                total += step.events.len() as u64;
                if step.done || step.next == counting.after {
                    break;
                }
                counting.after = step.next;
                // A long count renews the lease as it goes.
                if !self.step(self.empty(&job.id)).await? {
                    return Ok(());
                }
            }
            let counted = JobStep {
                total: Some(total),
                ..self.empty(&job.id)
            };
            if !self.step(counted).await? {
                return Ok(());
            }
        }
        range.after = job.scanned.or(range.after);
        loop {
            if !self.wait(&job.id, PACE, None).await? {
                return Ok(());
            }
            if self.store.subscription(&job.subscription).await?.is_none() {
                self.step(fail("the subscription was deleted".to_owned()))
                    .await?;
                return Ok(());
            }
            let page = stream::scan(self.store, range, &selector, PACE as usize, 20_000).await?;
            let positions: Vec<i64> = page.events.iter().map(|e| e.cursor.position).collect();
            let step = JobStep {
                positions: &positions,
                scanned: page.next,
                ..self.empty(&job.id)
            };
            if !self.step(step).await? {
                return Ok(());
            }
            if page.done || page.next == range.after {
                break;
            }
            range.after = page.next;
        }
        if !self.wait(&job.id, 1, None).await? {
            return Ok(());
        }
        let scheduled = self.store.job(&job.id).await?.map_or(0, |j| j.scheduled);
        let finished = JobStep {
            // A catch-up's total is known only now: what it scheduled.
            total: job.skip_known.then_some(scheduled),
            finish: Some((JobStatus::Completed, None)),
            ..self.empty(&job.id)
        };
        self.step(finished).await?;
        Ok(())
    }
}
