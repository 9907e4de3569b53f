//! `GetOrder`: an order's current state (from a `com.example.order.get.v1` query event).

use crate::domain::Orders;
use crate::domain::order::Order;
use crate::error::ApiError;
use async_trait::async_trait;
use shared_events::bus::{Command, CommandHandler};
use shared_events::catalog::values::OrderId;
use std::sync::Arc;

/// The state of `order_id`, read from its stream (strongly consistent).
#[derive(Debug, Clone, Copy)]
pub struct GetOrder {
    /// The order.
    pub order_id: OrderId,
}

impl Command for GetOrder {
    type Output = Option<Order>;
}

/// Handles [`GetOrder`].
pub struct GetOrderHandler(pub Arc<Orders>);

#[async_trait]
impl CommandHandler<GetOrder, ApiError> for GetOrderHandler {
    async fn handle(&self, query: GetOrder) -> Result<Option<Order>, ApiError> {
        Ok(self
            .0
            .load(query.order_id, None)
            .await?
            .map(|loaded| loaded.order))
    }
}
