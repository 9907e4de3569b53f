//! `PaymentRefunded` (from `com.example.payment.refunded.v1`): the payment was refunded; a cancelling order becomes cancelled.

use crate::domain::order::OrderEvent;
use crate::domain::{Incoming, Orders};
use crate::error::ApiError;
use async_trait::async_trait;
use shared_events::bus::EventHandler;
use shared_events::catalog::PaymentRefundedV1;
use std::sync::Arc;

/// A `com.example.payment.refunded.v1` that arrived.
#[derive(Debug, Clone)]
pub struct PaymentRefunded {
    /// Its envelope.
    pub incoming: Incoming,
    /// Its data.
    pub data: PaymentRefundedV1,
}

/// Records [`PaymentRefunded`] on the order's stream with the order's reaction.
pub struct OnPaymentRefunded(pub Arc<Orders>);

#[async_trait]
impl EventHandler<PaymentRefunded, ApiError> for OnPaymentRefunded {
    async fn handle(&self, event: &PaymentRefunded) -> Result<(), ApiError> {
        let data = event.data.clone();
        self.0
            .react(
                event.data.order_id,
                &event.incoming,
                OrderEvent::Refunded(event.data.clone()),
                move |order| order.on_payment_refunded(&data),
            )
            .await
    }
}
