//! `CancelOrder`: cancel an order, compensating its payment when it was paid (from
//! `POST /orders/{id}/cancel`).

use crate::domain::Orders;
use crate::domain::order::Order;
use crate::error::ApiError;
use async_trait::async_trait;
use shared_events::bus::{Command, CommandHandler};
use shared_events::catalog::values::{OrderId, Reason};
use shared_events::trace::Traceparent;
use std::sync::Arc;

/// Cancel the order `order_id`.
#[derive(Debug, Clone)]
pub struct CancelOrder {
    /// The order.
    pub order_id: OrderId,
    /// Why, if the caller said.
    pub reason: Option<Reason>,
    /// The caller's trace, if it sent one.
    pub trace: Option<Traceparent>,
}

impl Command for CancelOrder {
    type Output = Order;
}

/// Handles [`CancelOrder`].
pub struct CancelOrderHandler(pub Arc<Orders>);

#[async_trait]
impl CommandHandler<CancelOrder, ApiError> for CancelOrderHandler {
    async fn handle(&self, command: CancelOrder) -> Result<Order, ApiError> {
        self.0
            .cancel_order(command.order_id, command.reason, command.trace)
            .await
    }
}
