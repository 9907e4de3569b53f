//! The order aggregate: its event stream ([`OrderEvent`]), its state as a pure fold over that
//! stream ([`Order`], [`fold`]) and the decisions it takes ([`decide`]).
//!
//! An order's stream holds every CloudEvent of its saga, sent and received, in the order they
//! happened: `order.created.v1`/`.v2` and `payment.make.v1` when it is placed, then what
//! payment-service answered and what the order did about it. The events the order sends are
//! published from the stream itself (it is the outbox), so state and published events cannot
//! disagree.

pub mod decide;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use shared_events::catalog::values::{
    AmountCents, Currency, CustomerId, LineItem, OrderId, OrderStatus, PaymentId,
};
use shared_events::catalog::{
    CatalogType, OrderCancelledV1, OrderCreatedV1, OrderCreatedV2, OrderPaidV1, PaymentCreatedV1,
    PaymentDeclinedV1, PaymentMakeV1, PaymentRefundV1, PaymentRefundedV1,
};

/// One entry of an order's stream, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum OrderEvent {
    /// Sent: the order was placed (v1 shape, deprecated).
    Created(OrderCreatedV1),
    /// Sent: the order was placed (v2 shape).
    CreatedV2(OrderCreatedV2),
    /// Sent: payment-service is asked to charge.
    PaymentRequested(PaymentMakeV1),
    /// Received: the customer was charged.
    PaymentCreated(PaymentCreatedV1),
    /// Received: the charge was declined.
    PaymentDeclined(PaymentDeclinedV1),
    /// Sent: the order is paid.
    Paid(OrderPaidV1),
    /// Sent: payment-service is asked to refund (compensation).
    RefundRequested(PaymentRefundV1),
    /// Received: the payment was refunded.
    Refunded(PaymentRefundedV1),
    /// Sent: the order is cancelled.
    Cancelled(OrderCancelledV1),
}

/// The stream held a type or data this version of the service cannot read.
#[derive(Debug, thiserror::Error)]
#[error("stored event of type `{event_type}` cannot be read: {reason}")]
pub struct UnreadableEvent {
    /// The stored type.
    pub event_type: String,
    /// Why it failed.
    pub reason: String,
}

impl OrderEvent {
    /// The CloudEvents type.
    pub fn event_type(&self) -> &'static str {
        match self {
            Self::Created(_) => OrderCreatedV1::TYPE,
            Self::CreatedV2(_) => OrderCreatedV2::TYPE,
            Self::PaymentRequested(_) => PaymentMakeV1::TYPE,
            Self::PaymentCreated(_) => PaymentCreatedV1::TYPE,
            Self::PaymentDeclined(_) => PaymentDeclinedV1::TYPE,
            Self::Paid(_) => OrderPaidV1::TYPE,
            Self::RefundRequested(_) => PaymentRefundV1::TYPE,
            Self::Refunded(_) => PaymentRefundedV1::TYPE,
            Self::Cancelled(_) => OrderCancelledV1::TYPE,
        }
    }

    /// Whether order-service sends this event (it is relayed to `K_SINK`), rather than having
    /// received it.
    pub fn is_sent(&self) -> bool {
        !matches!(
            self,
            Self::PaymentCreated(_) | Self::PaymentDeclined(_) | Self::Refunded(_)
        )
    }

    /// The data as JSON.
    pub fn data(&self) -> Value {
        fn json<T: Serialize>(value: &T) -> Value {
            serde_json::to_value(value).unwrap_or(Value::Null)
        }
        match self {
            Self::Created(d) => json(d),
            Self::CreatedV2(d) => json(d),
            Self::PaymentRequested(d) => json(d),
            Self::PaymentCreated(d) => json(d),
            Self::PaymentDeclined(d) => json(d),
            Self::Paid(d) => json(d),
            Self::RefundRequested(d) => json(d),
            Self::Refunded(d) => json(d),
            Self::Cancelled(d) => json(d),
        }
    }

    /// Reads a stored `(type, data)` pair back.
    ///
    /// # Errors
    /// [`UnreadableEvent`] for an unknown type or data that does not fit it.
    pub fn from_stored(event_type: &str, data: Value) -> Result<Self, UnreadableEvent> {
        fn read<T: CatalogType>(data: Value) -> Result<T, UnreadableEvent> {
            serde_json::from_value(data).map_err(|e| UnreadableEvent {
                event_type: T::TYPE.to_owned(),
                reason: e.to_string(),
            })
        }
        Ok(match event_type {
            OrderCreatedV1::TYPE => Self::Created(read(data)?),
            OrderCreatedV2::TYPE => Self::CreatedV2(read(data)?),
            PaymentMakeV1::TYPE => Self::PaymentRequested(read(data)?),
            PaymentCreatedV1::TYPE => Self::PaymentCreated(read(data)?),
            PaymentDeclinedV1::TYPE => Self::PaymentDeclined(read(data)?),
            OrderPaidV1::TYPE => Self::Paid(read(data)?),
            PaymentRefundV1::TYPE => Self::RefundRequested(read(data)?),
            PaymentRefundedV1::TYPE => Self::Refunded(read(data)?),
            OrderCancelledV1::TYPE => Self::Cancelled(read(data)?),
            other => {
                return Err(UnreadableEvent {
                    event_type: other.to_owned(),
                    reason: "not a type of an order stream".to_owned(),
                });
            }
        })
    }
}

/// An event as recorded in a stream: its position in the stream and when it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// 1 for the first event of the stream.
    pub version: u64,
    /// When it was recorded.
    pub time: DateTime<Utc>,
    /// The event.
    pub event: OrderEvent,
}

/// An order's state: the fold of its stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    /// Its id.
    pub id: OrderId,
    /// Who placed it.
    pub customer_id: CustomerId,
    /// What was ordered.
    pub items: Vec<LineItem>,
    /// The sum of the items.
    pub total_cents: AmountCents,
    /// The currency of every amount.
    pub currency: Currency,
    /// Where it is in its lifecycle.
    pub status: OrderStatus,
    /// The payment that paid it, once one arrived.
    pub payment_id: Option<PaymentId>,
    /// Whether a refund was requested (compensation under way or done).
    pub refund_requested: bool,
    /// Whether the payment was refunded.
    pub refunded: bool,
    /// The version of the stream this state reflects (its number of events).
    pub version: u64,
    /// When it was placed.
    pub created_at: DateTime<Utc>,
    /// When its last event was recorded.
    pub updated_at: DateTime<Utc>,
}

/// The state after `events`, or `None` for an empty stream (or one without its creation event).
pub fn fold<'a>(events: impl IntoIterator<Item = &'a Recorded>) -> Option<Order> {
    events.into_iter().fold(None, apply)
}

/// The state after one more event: a pure function.
pub fn apply(state: Option<Order>, recorded: &Recorded) -> Option<Order> {
    let mut order = match (state, &recorded.event) {
        (None, OrderEvent::Created(created)) => Order {
            id: created.order_id,
            customer_id: created.customer_id.clone(),
            items: created.items.clone(),
            total_cents: created.total_cents,
            currency: created.currency.clone(),
            status: OrderStatus::PendingPayment,
            payment_id: None,
            refund_requested: false,
            refunded: false,
            version: 0,
            created_at: recorded.time,
            updated_at: recorded.time,
        },
        (None, OrderEvent::CreatedV2(created)) => Order {
            id: created.order_id,
            customer_id: created.customer.id.clone(),
            items: created
                .items
                .iter()
                .map(|item| LineItem {
                    sku: item.sku.clone(),
                    quantity: item.quantity,
                    unit_price_cents: item.unit_price.amount_minor,
                })
                .collect(),
            total_cents: created.total.amount_minor,
            currency: created.total.currency.clone(),
            status: OrderStatus::PendingPayment,
            payment_id: None,
            refund_requested: false,
            refunded: false,
            version: 0,
            created_at: recorded.time,
            updated_at: recorded.time,
        },
        (None, _) => return None,
        (Some(mut order), event) => {
            match event {
                OrderEvent::Created(_)
                | OrderEvent::CreatedV2(_)
                | OrderEvent::PaymentRequested(_) => {}
                OrderEvent::PaymentDeclined(_) => {}
                OrderEvent::PaymentCreated(payment) => {
                    order.payment_id.get_or_insert(payment.payment_id);
                }
                OrderEvent::Paid(paid) => {
                    order.status = OrderStatus::Paid;
                    order.payment_id = Some(paid.payment_id);
                }
                // Refunding a stray second payment does not cancel the order.
                OrderEvent::RefundRequested(refund)
                    if order.payment_id == Some(refund.payment_id) =>
                {
                    order.refund_requested = true;
                    if order.status == OrderStatus::Paid {
                        order.status = OrderStatus::Cancelling;
                    }
                }
                OrderEvent::RefundRequested(_) => {}
                OrderEvent::Refunded(_) => order.refunded = true,
                OrderEvent::Cancelled(_) => order.status = OrderStatus::Cancelled,
            }
            order
        }
    };
    order.version = recorded.version;
    order.updated_at = recorded.time;
    Some(order)
}

#[cfg(test)]
mod tests;
