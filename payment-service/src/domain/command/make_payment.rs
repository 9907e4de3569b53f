//! `MakePayment` (from `com.example.payment.make.v1`): charge an order, or decline it.

use crate::domain::{Incoming, Payments};
use crate::error::ApiError;
use async_trait::async_trait;
use shared_events::bus::{Command, CommandHandler};
use shared_events::catalog::PaymentMakeV1;
use std::sync::Arc;

/// A `payment.make.v1` that arrived.
#[derive(Debug, Clone)]
pub struct MakePayment {
    /// Its envelope.
    pub incoming: Incoming,
    /// Its data.
    pub data: PaymentMakeV1,
}

impl Command for MakePayment {
    type Output = ();
}

/// Handles [`MakePayment`].
pub struct MakePaymentHandler(pub Arc<Payments>);

#[async_trait]
impl CommandHandler<MakePayment, ApiError> for MakePaymentHandler {
    async fn handle(&self, command: MakePayment) -> Result<(), ApiError> {
        self.0.make_payment(&command.incoming, &command.data).await
    }
}
