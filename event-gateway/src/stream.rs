//! Reading the retained events in cursor order: the one scan behind `GET /events`, the SSE
//! stream, replay dry runs and replay jobs.

use chrono::{DateTime, Utc};
use shared_events::{Event, format};

use crate::domain::{Filter, Subscription};
use crate::store::{Cursor, Store, StoreError, StoredEvent};

/// Events read from the store per query.
pub const PAGE: u32 = 500;

/// Which retained events a scan covers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Range {
    /// Start after this cursor (`None`: the earliest retained event).
    pub after: Option<Cursor>,
    /// Stop after this cursor (`None`: the newest readable event).
    pub end: Option<Cursor>,
    /// Only events ingested at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only events ingested at or before this time.
    pub until: Option<DateTime<Utc>>,
}

/// Which events count: all filters (a subscription's, a request's) must match.
#[derive(Debug, Clone, Default)]
pub struct Selector<'a> {
    /// Every one of these must match.
    pub filters: Vec<&'a Filter>,
}

impl<'a> Selector<'a> {
    /// Events matching `filter`, if given.
    pub fn new(filter: Option<&'a Filter>) -> Self {
        Self {
            filters: filter.into_iter().collect(),
        }
    }

    /// Also only the events `sub` matches.
    #[must_use]
    pub fn and_subscription(mut self, sub: &'a Subscription) -> Self {
        self.filters.extend(sub.filters.iter());
        self
    }

    fn matches(&self, event: &Event) -> bool {
        self.filters.iter().all(|f| f.matches(event))
    }
}

/// One step of a scan.
#[derive(Debug, Default)]
pub struct Scanned {
    /// The matching events read, in cursor order.
    pub events: Vec<StoredEvent>,
    /// The last cursor read (matching or not): where the next step starts.
    pub next: Option<Cursor>,
    /// Whether the range's end (or the newest readable event) was reached.
    pub done: bool,
}

/// Reads forward from `range.after` until `want` events matched, `budget` events were read or
/// the range ended, whichever comes first.
///
/// # Errors
/// [`StoreError`] when the store cannot be read.
pub async fn scan(
    store: &dyn Store,
    range: Range,
    selector: &Selector<'_>,
    want: usize,
    budget: usize,
) -> Result<Scanned, StoreError> {
    let mut out = Scanned {
        next: range.after,
        ..Scanned::default()
    };
    let mut read = 0;
    while out.events.len() < want && read < budget {
        let page = store.read_events(out.next, PAGE).await?;
        let full = page.len() == PAGE as usize;
        for stored in page {
            if range.end.is_some_and(|end| stored.cursor > end) {
                out.done = true;
                return Ok(out);
            }
            read += 1;
            out.next = Some(stored.cursor);
            let in_time = range.since.is_none_or(|t| stored.ingested_at >= t)
                && range.until.is_none_or(|t| stored.ingested_at <= t);
            if in_time && selects(selector, &stored) {
                out.events.push(stored);
                if out.events.len() >= want || read >= budget {
                    out.done = range.end.is_some_and(|end| out.next >= Some(end));
                    return Ok(out);
                }
            }
        }
        if !full {
            out.done = true;
            return Ok(out);
        }
    }
    out.done = range.end.is_some_and(|end| out.next >= Some(end));
    Ok(out)
}

fn selects(selector: &Selector<'_>, stored: &StoredEvent) -> bool {
    if selector.filters.is_empty() {
        return true;
    }
    match format::from_slice(&stored.body) {
        Ok(event) => selector.matches(&event),
        Err(error) => {
            tracing::error!(error = %error, "a stored event no longer decodes");
            false
        }
    }
}

/// Counts the events of `range` that `selector` selects.
///
/// # Errors
/// [`StoreError`] when the store cannot be read.
pub async fn count(
    store: &dyn Store,
    mut range: Range,
    selector: &Selector<'_>,
) -> Result<u64, StoreError> {
    let mut total = 0;
    loop {
        let step = scan(store, range, selector, usize::MAX, 10_000).await?;
        total += step.events.len() as u64;
        if step.done || step.next == range.after {
            return Ok(total);
        }
        range.after = step.next;
    }
}
