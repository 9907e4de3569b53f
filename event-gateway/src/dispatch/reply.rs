//! What a delivery carries beyond the stored event, and what comes back: the `replayid` of a
//! replayed delivery, and reply events.
//!
//! A subscriber whose 2xx answer carries a CloudEvent (binary or structured) has that event
//! ingested like any other (durably, deduplicated, routed to every matching subscription), as
//! Knative's broker does. Every hop lowers the `hoplimit` extension, starting from
//! [`HOP_LIMIT`] for an event that has none; a reply that would reach zero is dropped and
//! counted, so two subscribers answering each other cannot loop for ever.

use bytes::Bytes;
use cloudevents::event::ExtensionValue;
use shared_events::{Event, format};

use crate::ingest::{AcceptError, IngestQueue};
use crate::store::Claimed;

/// The extension that counts the hops an event has left.
pub const HOP_EXTENSION: &str = "hoplimit";

/// The hops an event without [`HOP_EXTENSION`] has left.
pub const HOP_LIMIT: i64 = 255;

/// The extension naming the replay job a delivery belongs to.
pub const REPLAY_EXTENSION: &str = "replayid";

/// The bytes to deliver: the stored event, with `replayid` when a replay job scheduled it.
pub fn as_delivered(claimed: &Claimed) -> Bytes {
    let Some(job) = &claimed.replay else {
        return claimed.body.clone();
    };
    match format::from_slice(&claimed.body) {
        Ok(mut event) => {
            event.set_extension(REPLAY_EXTENSION, job.as_str().to_owned());
            Bytes::from(format::to_vec(&event))
        }
        Err(error) => {
            tracing::error!(error = %error, "a stored event no longer decodes");
            claimed.body.clone()
        }
    }
}

/// What became of a reply.
#[derive(Debug)]
pub enum Stored {
    /// Stored (or a duplicate of one stored before).
    Yes,
    /// Not stored, and never will be (hop limit reached, invalid): the delivery still counts.
    Dropped(String),
    /// Not stored because storing failed: the delivery must be tried again.
    Failed(String),
}

/// The hops `event` has left.
fn hops_left(event: &Event) -> i64 {
    match event.extension(HOP_EXTENSION) {
        Some(ExtensionValue::Integer(n)) => *n,
        Some(ExtensionValue::String(text)) => text.trim().parse().unwrap_or(HOP_LIMIT),
        _ => HOP_LIMIT,
    }
}

/// Ingests the reply a subscriber answered `delivered` with.
pub async fn store(
    ingest: &IngestQueue,
    delivered: &Bytes,
    reply: Result<Event, String>,
) -> Stored {
    let mut reply = match reply {
        Ok(event) => event,
        Err(why) => {
            metrics::counter!("gateway_replies_dropped_total", "reason" => "invalid").increment(1);
            return Stored::Dropped(format!("reply dropped: {why}"));
        }
    };
    let left = format::from_slice(delivered).map_or(HOP_LIMIT, |e| hops_left(&e)) - 1;
    if left <= 0 {
        metrics::counter!("gateway_replies_dropped_total", "reason" => "hop_limit").increment(1);
        return Stored::Dropped(format!(
            "reply dropped: the `{HOP_EXTENSION}` of the delivered event was used up"
        ));
    }
    reply.set_extension(HOP_EXTENSION, left);
    match ingest.accept(std::slice::from_ref(&reply)).await {
        Ok(_) => {
            metrics::counter!("gateway_replies_ingested_total").increment(1);
            Stored::Yes
        }
        Err(AcceptError::Invalid { problem, .. }) => {
            metrics::counter!("gateway_replies_dropped_total", "reason" => "invalid").increment(1);
            Stored::Dropped(format!("reply refused: {problem}"))
        }
        Err(AcceptError::Ingest(error)) => {
            Stored::Failed(format!("storing the reply failed: {error}"))
        }
    }
}
