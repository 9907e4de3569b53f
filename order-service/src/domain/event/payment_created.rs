//! `PaymentCreated` (from `com.example.payment.created.v1`): the customer was charged; a pending order becomes paid, a cancelled one gets its payment refunded.

use crate::domain::order::OrderEvent;
use crate::domain::{Incoming, Orders};
use crate::error::ApiError;
use async_trait::async_trait;
use shared_events::bus::EventHandler;
use shared_events::catalog::PaymentCreatedV1;
use std::sync::Arc;

/// A `com.example.payment.created.v1` that arrived.
#[derive(Debug, Clone)]
pub struct PaymentCreated {
    /// Its envelope.
    pub incoming: Incoming,
    /// Its data.
    pub data: PaymentCreatedV1,
}

/// Records [`PaymentCreated`] on the order's stream with the order's reaction.
pub struct OnPaymentCreated(pub Arc<Orders>);

#[async_trait]
impl EventHandler<PaymentCreated, ApiError> for OnPaymentCreated {
    async fn handle(&self, event: &PaymentCreated) -> Result<(), ApiError> {
        let data = event.data.clone();
        self.0
            .react(
                event.data.order_id,
                &event.incoming,
                OrderEvent::PaymentCreated(event.data.clone()),
                move |order| order.on_payment_created(&data),
            )
            .await
    }
}
