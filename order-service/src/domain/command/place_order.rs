//! `PlaceOrder`: place a new order (from `POST /orders`).

use crate::domain::order::decide::NewOrder;
use crate::domain::{Orders, Placed};
use crate::error::ApiError;
use async_trait::async_trait;
use shared_events::bus::{Command, CommandHandler};
use shared_events::trace::Traceparent;
use std::sync::Arc;

/// Place `order`; `idempotency` is the request's `Idempotency-Key` and a hash of its body.
#[derive(Debug, Clone)]
pub struct PlaceOrder {
    /// The order, validated at the edge.
    pub order: NewOrder,
    /// `(key, body hash)` when the request carried an `Idempotency-Key`.
    pub idempotency: Option<(String, String)>,
    /// The trace the saga will carry.
    pub trace: Traceparent,
}

impl Command for PlaceOrder {
    type Output = Placed;
}

/// Handles [`PlaceOrder`].
pub struct PlaceOrderHandler(pub Arc<Orders>);

#[async_trait]
impl CommandHandler<PlaceOrder, ApiError> for PlaceOrderHandler {
    async fn handle(&self, command: PlaceOrder) -> Result<Placed, ApiError> {
        self.0
            .place_order(command.order, command.idempotency, command.trace)
            .await
    }
}
