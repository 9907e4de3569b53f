//! `RefundPayment` (from `com.example.payment.refund.v1`): refund a payment (compensation).

use crate::domain::{Incoming, Payments};
use crate::error::ApiError;
use async_trait::async_trait;
use shared_events::bus::{Command, CommandHandler};
use shared_events::catalog::PaymentRefundV1;
use std::sync::Arc;

/// A `payment.refund.v1` that arrived.
#[derive(Debug, Clone)]
pub struct RefundPayment {
    /// Its envelope.
    pub incoming: Incoming,
    /// Its data.
    pub data: PaymentRefundV1,
}

impl Command for RefundPayment {
    type Output = ();
}

/// Handles [`RefundPayment`].
pub struct RefundPaymentHandler(pub Arc<Payments>);

#[async_trait]
impl CommandHandler<RefundPayment, ApiError> for RefundPaymentHandler {
    async fn handle(&self, command: RefundPayment) -> Result<(), ApiError> {
        self.0
            .refund_payment(&command.incoming, &command.data)
            .await
    }
}
