//! The decisions of the order aggregate: pure functions from a state and an input to the events
//! to append. No I/O; the use cases load, decide and append with optimistic concurrency.

use super::{Order, OrderEvent};
use shared_events::catalog::values::{
    AmountCents, Currency, Customer, CustomerId, LineItem, LineItemV2, Money, OrderId, OrderStatus,
    Reason,
};
use shared_events::catalog::{
    OrderCancelledV1, OrderCreatedV1, OrderCreatedV2, OrderPaidV1, PaymentCreatedV1,
    PaymentDeclinedV1, PaymentMakeV1, PaymentRefundV1, PaymentRefundedV1,
};

/// A request to place an order, already parsed at the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// The id to give it.
    pub order_id: OrderId,
    /// Who places it.
    pub customer_id: CustomerId,
    /// What is ordered.
    pub items: Vec<LineItem>,
    /// The currency of every amount.
    pub currency: Currency,
}

/// Why an order cannot be placed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaceError {
    /// No items.
    #[error("an order needs at least one item")]
    NoItems,
    /// The total does not fit in 64 bits.
    #[error("the order total overflows")]
    TotalOverflow,
}

/// The total of `items`.
///
/// # Errors
/// [`PlaceError::TotalOverflow`] when a line or the sum overflows.
pub fn total(items: &[LineItem]) -> Result<AmountCents, PlaceError> {
    items.iter().try_fold(AmountCents::ZERO, |sum, item| {
        item.unit_price_cents
            .checked_mul(item.quantity.get())
            .and_then(|line| sum.checked_add(line))
            .ok_or(PlaceError::TotalOverflow)
    })
}

/// The events that place `order`: `order.created.v1` (unless `emit_v1` is off),
/// `order.created.v2` and the `payment.make.v1` command.
///
/// # Errors
/// [`PlaceError`] for an empty order or an overflowing total.
pub fn place(order: &NewOrder, emit_v1: bool) -> Result<Vec<OrderEvent>, PlaceError> {
    if order.items.is_empty() {
        return Err(PlaceError::NoItems);
    }
    let total_cents = total(&order.items)?;
    let mut events = Vec::with_capacity(3);
    if emit_v1 {
        events.push(OrderEvent::Created(OrderCreatedV1 {
            order_id: order.order_id,
            customer_id: order.customer_id.clone(),
            items: order.items.clone(),
            total_cents,
            currency: order.currency.clone(),
        }));
    }
    let money = |amount_minor| Money {
        amount_minor,
        currency: order.currency.clone(),
    };
    events.push(OrderEvent::CreatedV2(OrderCreatedV2 {
        order_id: order.order_id,
        customer: Customer {
            id: order.customer_id.clone(),
        },
        items: order
            .items
            .iter()
            .map(|item| LineItemV2 {
                sku: item.sku.clone(),
                quantity: item.quantity,
                unit_price: money(item.unit_price_cents),
            })
            .collect(),
        total: money(total_cents),
    }));
    events.push(OrderEvent::PaymentRequested(PaymentMakeV1 {
        order_id: order.order_id,
        amount_cents: total_cents,
        currency: order.currency.clone(),
    }));
    Ok(events)
}

fn reason(text: &str) -> Reason {
    Reason::try_from(text).unwrap_or_else(|_| unreachable!("literal reasons are valid"))
}

impl Order {
    /// Cancelling: a pending order is cancelled at once; a paid one is compensated (a refund is
    /// requested and the order is `cancelling` until it is refunded); an order already cancelled
    /// or cancelling needs nothing more.
    pub fn cancel(&self, why: Option<Reason>) -> Vec<OrderEvent> {
        let why = why.unwrap_or_else(|| reason("cancelled by the customer"));
        match self.status {
            OrderStatus::PendingPayment => vec![OrderEvent::Cancelled(OrderCancelledV1 {
                order_id: self.id,
                reason: why,
            })],
            OrderStatus::Paid => match self.payment_id {
                Some(payment_id) => vec![OrderEvent::RefundRequested(PaymentRefundV1 {
                    payment_id,
                    order_id: self.id,
                    reason: why,
                })],
                None => Vec::new(),
            },
            OrderStatus::Cancelling | OrderStatus::Cancelled => Vec::new(),
        }
    }

    /// A payment arrived: a pending order is paid; a payment for an order that was cancelled
    /// meanwhile (or a second payment) is refunded.
    pub fn on_payment_created(&self, payment: &PaymentCreatedV1) -> Vec<OrderEvent> {
        match self.status {
            OrderStatus::PendingPayment => vec![OrderEvent::Paid(OrderPaidV1 {
                order_id: self.id,
                payment_id: payment.payment_id,
            })],
            OrderStatus::Paid | OrderStatus::Cancelling
                if self.payment_id == Some(payment.payment_id) =>
            {
                Vec::new()
            }
            OrderStatus::Cancelled
                if self.refund_requested && self.payment_id == Some(payment.payment_id) =>
            {
                Vec::new()
            }
            _ => vec![OrderEvent::RefundRequested(PaymentRefundV1 {
                payment_id: payment.payment_id,
                order_id: self.id,
                reason: reason("the order was cancelled before its payment arrived"),
            })],
        }
    }

    /// The payment was declined: a pending order is cancelled with the decline's reason.
    pub fn on_payment_declined(&self, declined: &PaymentDeclinedV1) -> Vec<OrderEvent> {
        match self.status {
            OrderStatus::PendingPayment => vec![OrderEvent::Cancelled(OrderCancelledV1 {
                order_id: self.id,
                reason: declined.reason.clone(),
            })],
            _ => Vec::new(),
        }
    }

    /// The payment was refunded: an order waiting for its refund is cancelled.
    pub fn on_payment_refunded(&self, _refunded: &PaymentRefundedV1) -> Vec<OrderEvent> {
        match self.status {
            OrderStatus::Cancelling => vec![OrderEvent::Cancelled(OrderCancelledV1 {
                order_id: self.id,
                reason: reason("the payment was refunded"),
            })],
            _ => Vec::new(),
        }
    }
}
