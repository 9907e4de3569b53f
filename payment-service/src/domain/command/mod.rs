//! Commands: what payment-service is told to do, one file each with its handler. Each handler
//! calls one use case of [`Payments`](super::Payments).

mod make_payment;
mod refund_payment;

pub use make_payment::{MakePayment, MakePaymentHandler};
pub use refund_payment::{RefundPayment, RefundPaymentHandler};

use super::Payments;
use crate::error::ApiError;
use shared_events::bus::{BusError, CommandBus};
use std::sync::Arc;

/// Registers every command and query handler on `bus`.
///
/// # Errors
/// [`BusError::AlreadyRegistered`] if a command got two handlers.
pub fn register(bus: &mut CommandBus<ApiError>, payments: &Arc<Payments>) -> Result<(), BusError> {
    bus.register(MakePaymentHandler(payments.clone()))?;
    bus.register(RefundPaymentHandler(payments.clone()))?;
    bus.register(super::query::GetPaymentHandler(payments.clone()))?;
    Ok(())
}
