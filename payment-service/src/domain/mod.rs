//! The domain: the payment ([`payment`]), the use cases ([`Payments`]) and the messages that reach
//! them through the command bus: commands ([`command`]) and queries ([`query`]). payment-service
//! consumes no events (it only obeys commands), so it has no event handlers. Nothing here knows
//! axum or reqwest; storage is reached through [`crate::store::PaymentStore`].

pub mod command;
pub mod payment;
pub mod query;

use crate::error::ApiError;
use crate::store::{Change, ChangeOutcome, InboxKey, PaymentStore, PaymentWrite};
use chrono::Utc;
use payment::{Charge, Payment};
use shared_events::catalog::values::OrderId;
use shared_events::catalog::{
    PaymentCreatedV1, PaymentDeclinedV1, PaymentMakeV1, PaymentRefundV1, PaymentRefundedV1,
};
use shared_events::producer::Producer;
use shared_events::trace::Traceparent;
use std::sync::Arc;
use tokio::sync::Notify;

/// Who sent an incoming command: its envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// Its `source`.
    pub source: String,
    /// Its `id`.
    pub id: String,
    /// Its `traceparent`, if valid.
    pub traceparent: Option<Traceparent>,
}

impl Incoming {
    fn inbox(&self) -> InboxKey {
        InboxKey {
            source: self.source.clone(),
            id: self.id.clone(),
        }
    }

    fn trace(&self) -> Traceparent {
        self.traceparent
            .map_or_else(Traceparent::generate, |t| t.child())
    }
}

/// The use cases of payment-service.
pub struct Payments {
    store: Arc<dyn PaymentStore>,
    producer: Producer,
    max_amount_cents: i64,
    wake_relay: Arc<Notify>,
}

impl Payments {
    /// The use cases over `store`, declining charges above `max_amount_cents`.
    pub fn new(
        store: Arc<dyn PaymentStore>,
        producer: Producer,
        max_amount_cents: i64,
        wake_relay: Arc<Notify>,
    ) -> Self {
        Self {
            store,
            producer,
            max_amount_cents,
            wake_relay,
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn PaymentStore> {
        &self.store
    }

    async fn apply(&self, change: Change) -> Result<ChangeOutcome, ApiError> {
        let has_events = !change.outgoing.is_empty();
        let outcome = self.store.apply(change).await?;
        if outcome == ChangeOutcome::Duplicate {
            metrics::counter!("payment_commands_duplicate_total").increment(1);
        } else if has_events {
            self.wake_relay.notify_one();
        }
        Ok(outcome)
    }

    fn inbox_only(incoming: &Incoming, order_id: OrderId) -> Change {
        Change {
            inbox: incoming.inbox(),
            write: None,
            aggregate: order_id.to_string(),
            outgoing: Vec::new(),
        }
    }

    /// Charges an order (or declines it above the limit) and announces the outcome. An order
    /// that already has a payment is not charged twice.
    ///
    /// # Errors
    /// A storage failure.
    pub async fn make_payment(
        &self,
        incoming: &Incoming,
        make: &PaymentMakeV1,
    ) -> Result<(), ApiError> {
        if self.store.payment_of_order(make.order_id).await?.is_some() {
            self.apply(Self::inbox_only(incoming, make.order_id))
                .await?;
            return Ok(());
        }
        let trace = incoming.trace();
        let change = match payment::charge(make, self.max_amount_cents, Utc::now()) {
            Charge::Charged(payment) => {
                let created = PaymentCreatedV1 {
                    payment_id: payment.payment_id,
                    order_id: payment.order_id,
                    amount_cents: payment.amount_cents,
                    currency: payment.currency.clone(),
                };
                metrics::counter!("payment_payments_total", "outcome" => "charged").increment(1);
                Change {
                    inbox: incoming.inbox(),
                    write: Some(PaymentWrite::Insert(payment)),
                    aggregate: make.order_id.to_string(),
                    outgoing: vec![self.producer.event(&created, &trace)],
                }
            }
            Charge::Declined(reason) => {
                metrics::counter!("payment_payments_total", "outcome" => "declined").increment(1);
                let declined = PaymentDeclinedV1 {
                    order_id: make.order_id,
                    reason,
                };
                Change {
                    inbox: incoming.inbox(),
                    write: None,
                    aggregate: make.order_id.to_string(),
                    outgoing: vec![self.producer.event(&declined, &trace)],
                }
            }
        };
        if self.apply(change).await? == ChangeOutcome::AlreadyCharged {
            self.apply(Self::inbox_only(incoming, make.order_id))
                .await?;
        }
        Ok(())
    }

    /// Refunds a payment and announces it (again, if it was already refunded, so the order
    /// converges). A refund for an unknown payment is acknowledged and logged.
    ///
    /// # Errors
    /// A storage failure.
    pub async fn refund_payment(
        &self,
        incoming: &Incoming,
        refund: &PaymentRefundV1,
    ) -> Result<(), ApiError> {
        if self.store.payment(refund.payment_id).await?.is_none() {
            tracing::warn!(payment_id = %refund.payment_id, "refund for an unknown payment; acknowledged");
            self.apply(Self::inbox_only(incoming, refund.order_id))
                .await?;
            return Ok(());
        }
        let refunded = PaymentRefundedV1 {
            payment_id: refund.payment_id,
            order_id: refund.order_id,
        };
        let change = Change {
            inbox: incoming.inbox(),
            write: Some(PaymentWrite::Refund {
                payment_id: refund.payment_id,
                at: Utc::now(),
            }),
            aggregate: refund.order_id.to_string(),
            outgoing: vec![self.producer.event(&refunded, &incoming.trace())],
        };
        if self.apply(change).await? == ChangeOutcome::Applied {
            metrics::counter!("payment_refunds_total").increment(1);
        }
        Ok(())
    }

    /// The payment of `order_id`.
    ///
    /// # Errors
    /// A storage failure.
    pub async fn payment_of_order(&self, order_id: OrderId) -> Result<Option<Payment>, ApiError> {
        Ok(self.store.payment_of_order(order_id).await?)
    }
}
