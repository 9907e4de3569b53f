//! `GetPayment` (from `com.example.payment.get.v1`): the payment of an order.

use crate::domain::Payments;
use crate::domain::payment::Payment;
use crate::error::ApiError;
use async_trait::async_trait;
use shared_events::bus::{Command, CommandHandler};
use shared_events::catalog::values::OrderId;
use std::sync::Arc;

/// The payment of `order_id`, if it has one.
#[derive(Debug, Clone, Copy)]
pub struct GetPayment {
    /// The order.
    pub order_id: OrderId,
}

impl Command for GetPayment {
    type Output = Option<Payment>;
}

/// Handles [`GetPayment`].
pub struct GetPaymentHandler(pub Arc<Payments>);

#[async_trait]
impl CommandHandler<GetPayment, ApiError> for GetPaymentHandler {
    async fn handle(&self, query: GetPayment) -> Result<Option<Payment>, ApiError> {
        self.0.payment_of_order(query.order_id).await
    }
}
