//! `PaymentDeclined` (from `com.example.payment.declined.v1`): the charge was declined; a pending order is cancelled.

use crate::domain::order::OrderEvent;
use crate::domain::{Incoming, Orders};
use crate::error::ApiError;
use async_trait::async_trait;
use shared_events::bus::EventHandler;
use shared_events::catalog::PaymentDeclinedV1;
use std::sync::Arc;

/// A `com.example.payment.declined.v1` that arrived.
#[derive(Debug, Clone)]
pub struct PaymentDeclined {
    /// Its envelope.
    pub incoming: Incoming,
    /// Its data.
    pub data: PaymentDeclinedV1,
}

/// Records [`PaymentDeclined`] on the order's stream with the order's reaction.
pub struct OnPaymentDeclined(pub Arc<Orders>);

#[async_trait]
impl EventHandler<PaymentDeclined, ApiError> for OnPaymentDeclined {
    async fn handle(&self, event: &PaymentDeclined) -> Result<(), ApiError> {
        let data = event.data.clone();
        self.0
            .react(
                event.data.order_id,
                &event.incoming,
                OrderEvent::PaymentDeclined(event.data.clone()),
                move |order| order.on_payment_declined(&data),
            )
            .await
    }
}
