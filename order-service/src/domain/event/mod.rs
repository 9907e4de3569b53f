//! Incoming events: what payment-service tells order-service, one file each with its handler.
//! The HTTP receiver turns a CloudEvent into one of these and publishes it on the event bus;
//! each handler records it on the order's stream with the order's reaction.

mod payment_created;
mod payment_declined;
mod payment_refunded;

pub use payment_created::{OnPaymentCreated, PaymentCreated};
pub use payment_declined::{OnPaymentDeclined, PaymentDeclined};
pub use payment_refunded::{OnPaymentRefunded, PaymentRefunded};

use super::Orders;
use crate::error::ApiError;
use shared_events::bus::EventBus;
use std::sync::Arc;

/// Subscribes every event handler on `bus`.
pub fn register(bus: &mut EventBus<ApiError>, orders: &Arc<Orders>) {
    bus.subscribe(OnPaymentCreated(orders.clone()))
        .subscribe(OnPaymentDeclined(orders.clone()))
        .subscribe(OnPaymentRefunded(orders.clone()));
}
