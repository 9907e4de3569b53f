//! The domain: the order aggregate ([`order`]), the use cases that load a stream, decide and
//! append ([`Orders`]), and the messages that reach them through the buses: commands
//! ([`command`]), incoming events ([`event`]) and queries ([`query`]). Nothing here knows axum
//! or reqwest; storage is reached through [`crate::store::OrderStore`].

pub mod command;
pub mod event;
pub mod order;
pub mod query;

use crate::error::ApiError;
use crate::store::{
    Append, AppendOutcome, IdempotencyRecord, InboxKey, NewEvent, OrderStore, StoredEvent,
};
use chrono::{DateTime, SubsecRound, Utc};
use order::decide::{self, NewOrder};
use order::{Order, OrderEvent, Recorded};
use shared_events::catalog::values::{OrderId, Reason};
use shared_events::producer::Producer;
use shared_events::trace::Traceparent;
use std::sync::Arc;
use tokio::sync::Notify;
use uuid::Uuid;

/// How often a reaction to an incoming event is retried after losing an optimistic-concurrency
/// race before the sender is told to retry later.
const MAX_CONFLICT_RETRIES: usize = 16;

/// Who and what an incoming event was: its envelope, kept beside the typed data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// Its `source`.
    pub source: String,
    /// Its `id`.
    pub id: String,
    /// Its `time` (or when it arrived).
    pub time: DateTime<Utc>,
    /// Its `traceparent`, if valid.
    pub traceparent: Option<Traceparent>,
}

/// An order with the stream it was folded from.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderWithHistory {
    /// The state.
    pub order: Order,
    /// The stream, in version order.
    pub events: Vec<StoredEvent>,
}

/// What placing an order did.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    /// The order.
    pub order: Order,
    /// `false` when an earlier request with the same `Idempotency-Key` had placed it.
    pub created: bool,
}

/// The use cases of order-service.
pub struct Orders {
    store: Arc<dyn OrderStore>,
    producer: Producer,
    emit_order_created_v1: bool,
    wake_relay: Arc<Notify>,
    wake_projector: Arc<Notify>,
}

impl Orders {
    /// The use cases over `store`, publishing as `producer`.
    pub fn new(
        store: Arc<dyn OrderStore>,
        producer: Producer,
        emit_order_created_v1: bool,
        wake_relay: Arc<Notify>,
        wake_projector: Arc<Notify>,
    ) -> Self {
        Self {
            store,
            producer,
            emit_order_created_v1,
            wake_relay,
            wake_projector,
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn OrderStore> {
        &self.store
    }

    fn new_event(&self, event: &OrderEvent, trace: &Traceparent) -> NewEvent {
        NewEvent {
            id: Uuid::now_v7().to_string(),
            source: self.producer.source().to_owned(),
            event_type: event.event_type(),
            time: Utc::now().trunc_subsecs(6),
            dataschema: Some(self.producer.dataschema(event.event_type()).to_string()),
            traceparent: trace.child().to_string(),
            data: event.data(),
            publish: true,
        }
    }

    fn appended(&self) {
        self.wake_relay.notify_one();
        self.wake_projector.notify_one();
    }

    /// Loads an order and its stream (up to `version` when given).
    ///
    /// # Errors
    /// [`ApiError::Store`] on a storage failure or an unreadable stream.
    pub async fn load(
        &self,
        id: OrderId,
        version: Option<u64>,
    ) -> Result<Option<OrderWithHistory>, ApiError> {
        let events = self.store.load_stream(id, version).await?;
        let recorded = events.iter().map(recorded).collect::<Result<Vec<_>, _>>()?;
        Ok(order::fold(&recorded).map(|order| OrderWithHistory { order, events }))
    }

    /// Places an order; with an idempotency key, a repeated request returns the first order.
    ///
    /// # Errors
    /// [`ApiError::Validation`] for an empty order or an overflowing total,
    /// [`ApiError::IdempotencyMismatch`] when the key was used with another body.
    pub async fn place_order(
        &self,
        new: NewOrder,
        idempotency: Option<(String, String)>,
        trace: Traceparent,
    ) -> Result<Placed, ApiError> {
        if let Some((key, hash)) = &idempotency {
            if let Some(placed) = self.replay_idempotent(key, hash).await? {
                return Ok(placed);
            }
        }
        let events = decide::place(&new, self.emit_order_created_v1)
            .map_err(|e| ApiError::Validation(e.to_string()))?;
        let stored: Vec<NewEvent> = events.iter().map(|e| self.new_event(e, &trace)).collect();
        let times: Vec<DateTime<Utc>> = stored.iter().map(|e| e.time).collect();
        let append = Append {
            stream: new.order_id,
            expected_version: 0,
            events: stored,
            inbox: None,
            idempotency: idempotency.as_ref().map(|(key, hash)| IdempotencyRecord {
                key: key.clone(),
                request_hash: hash.clone(),
                order_id: new.order_id,
            }),
        };
        match self.store.append(append).await? {
            AppendOutcome::Appended { .. } => {
                self.appended();
                // The state is the fold of what was just appended: no need to read it back.
                let recorded: Vec<Recorded> = events
                    .into_iter()
                    .zip(times)
                    .zip(1..)
                    .map(|((event, time), version)| Recorded {
                        version,
                        time,
                        event,
                    })
                    .collect();
                let order = order::fold(&recorded)
                    .ok_or_else(|| ApiError::unexpected("a placed order folds to nothing"))?;
                metrics::counter!("order_orders_placed_total").increment(1);
                Ok(Placed {
                    order,
                    created: true,
                })
            }
            AppendOutcome::KeyTaken => {
                let (key, hash) = idempotency.unwrap_or_default();
                self.replay_idempotent(&key, &hash).await?.ok_or_else(|| {
                    ApiError::Conflict("the idempotency key is in use; retry".to_owned())
                })
            }
            AppendOutcome::Conflict | AppendOutcome::Duplicate => Err(ApiError::Conflict(format!(
                "order {} already exists",
                new.order_id
            ))),
        }
    }

    async fn replay_idempotent(&self, key: &str, hash: &str) -> Result<Option<Placed>, ApiError> {
        let Some(record) = self.store.find_idempotency_key(key).await? else {
            return Ok(None);
        };
        if record.request_hash != hash {
            return Err(ApiError::IdempotencyMismatch);
        }
        let loaded = self.load(record.order_id, None).await?;
        let order = loaded
            .ok_or_else(|| ApiError::unexpected("an idempotent order vanished"))?
            .order;
        Ok(Some(Placed {
            order,
            created: false,
        }))
    }

    /// Cancels an order (compensating a paid one). Losing a concurrent race is a 409.
    ///
    /// # Errors
    /// [`ApiError::NotFound`], or [`ApiError::Conflict`] when another request changed the order
    /// between read and write.
    pub async fn cancel_order(
        &self,
        id: OrderId,
        why: Option<Reason>,
        trace: Option<Traceparent>,
    ) -> Result<Order, ApiError> {
        let loaded = self
            .load(id, None)
            .await?
            .ok_or_else(|| ApiError::not_found(id))?;
        let decided = loaded.order.cancel(why);
        if decided.is_empty() {
            return Ok(loaded.order);
        }
        let trace = trace.unwrap_or_else(|| stream_trace(&loaded.events));
        let append = Append {
            stream: id,
            expected_version: loaded.order.version,
            events: decided.iter().map(|e| self.new_event(e, &trace)).collect(),
            inbox: None,
            idempotency: None,
        };
        match self.store.append(append).await? {
            AppendOutcome::Appended { .. } => {
                self.appended();
                let loaded = self
                    .load(id, None)
                    .await?
                    .ok_or_else(|| ApiError::not_found(id))?;
                Ok(loaded.order)
            }
            _ => Err(ApiError::Conflict(format!(
                "order {id} was changed by a concurrent request; read it again and retry"
            ))),
        }
    }

    /// Records an incoming event on its order's stream together with the order's reaction,
    /// retrying on fresh state when a concurrent writer wins. A redelivery changes nothing.
    ///
    /// # Errors
    /// A storage failure, or [`ApiError::Conflict`] after too many lost races.
    pub async fn react(
        &self,
        order_id: OrderId,
        incoming: &Incoming,
        received: OrderEvent,
        decide: impl Fn(&Order) -> Vec<OrderEvent> + Send + Sync,
    ) -> Result<(), ApiError> {
        let inbox = InboxKey {
            source: incoming.source.clone(),
            id: incoming.id.clone(),
        };
        for _ in 0..MAX_CONFLICT_RETRIES {
            let loaded = self.load(order_id, None).await?;
            let Some(loaded) = loaded else {
                tracing::warn!(order_id = %order_id, event_id = %incoming.id, "event for an unknown order; acknowledged and dropped");
                metrics::counter!("order_events_unknown_order_total").increment(1);
                let append = Append {
                    stream: order_id,
                    expected_version: 0,
                    events: Vec::new(),
                    inbox: Some(inbox.clone()),
                    idempotency: None,
                };
                self.store.append(append).await?;
                return Ok(());
            };
            let trace = incoming
                .traceparent
                .unwrap_or_else(|| stream_trace(&loaded.events));
            let mut events = vec![NewEvent {
                id: incoming.id.clone(),
                source: incoming.source.clone(),
                event_type: received.event_type(),
                time: incoming.time,
                dataschema: None,
                traceparent: trace.to_string(),
                data: received.data(),
                publish: false,
            }];
            events.extend(
                decide(&loaded.order)
                    .iter()
                    .map(|e| self.new_event(e, &trace)),
            );
            let append = Append {
                stream: order_id,
                expected_version: loaded.order.version,
                events,
                inbox: Some(inbox.clone()),
                idempotency: None,
            };
            match self.store.append(append).await? {
                AppendOutcome::Appended { .. } => {
                    self.appended();
                    return Ok(());
                }
                AppendOutcome::Duplicate => {
                    metrics::counter!("order_events_duplicate_total").increment(1);
                    return Ok(());
                }
                AppendOutcome::Conflict | AppendOutcome::KeyTaken => {
                    metrics::counter!("order_append_conflicts_total").increment(1);
                }
            }
        }
        Err(ApiError::Conflict(format!(
            "order {order_id} is changing too fast; retry later"
        )))
    }
}

/// The stream's trace: the `traceparent` of its first event (the request that placed it).
fn stream_trace(events: &[StoredEvent]) -> Traceparent {
    events
        .first()
        .and_then(|e| Traceparent::parse(&e.traceparent).ok())
        .unwrap_or_else(Traceparent::generate)
}

/// A stored event as the fold reads it.
///
/// # Errors
/// [`ApiError::Store`] when the stored data is not readable.
pub fn recorded(stored: &StoredEvent) -> Result<Recorded, ApiError> {
    let event = OrderEvent::from_stored(&stored.event_type, stored.data.clone())
        .map_err(|e| ApiError::Store(crate::store::StoreError::Corrupt(e.to_string())))?;
    Ok(Recorded {
        version: stored.version,
        time: stored.time,
        event,
    })
}
