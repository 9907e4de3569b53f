//! Commands: what order-service is asked to do, one file each with its handler. Each handler
//! calls one use case of [`Orders`](super::Orders).

mod cancel_order;
mod place_order;

pub use cancel_order::{CancelOrder, CancelOrderHandler};
pub use place_order::{PlaceOrder, PlaceOrderHandler};

use super::Orders;
use crate::error::ApiError;
use shared_events::bus::{BusError, CommandBus};
use std::sync::Arc;

/// Registers every command handler on `bus`.
///
/// # Errors
/// [`BusError::AlreadyRegistered`] if a command got two handlers.
pub fn register(bus: &mut CommandBus<ApiError>, orders: &Arc<Orders>) -> Result<(), BusError> {
    bus.register(PlaceOrderHandler(orders.clone()))?;
    bus.register(CancelOrderHandler(orders.clone()))?;
    bus.register(super::query::GetOrderHandler(orders.clone()))?;
    Ok(())
}
