//! `com.example.order.state.v1`: The state of an order, in reply to com.example.order.get.v1.

use super::values::*;
use super::{CatalogType, Kind};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The data of `com.example.order.state.v1`: The state of an order, in reply to com.example.order.get.v1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OrderStateV1 {
    /// The order.
    pub order_id: OrderId,
    /// Its status: pending_payment, paid, cancelling (refund under way) or cancelled.
    pub status: OrderStatus,
    /// Its total, in cents.
    pub total_cents: AmountCents,
    /// The currency of the total.
    pub currency: Currency,
    /// The version of the order's event stream this state was read at.
    pub version: u64,
}

impl CatalogType for OrderStateV1 {
    const TYPE: &'static str = "com.example.order.state.v1";
    const KIND: Kind = Kind::Reply;
    const DESCRIPTION: &'static str =
        "The state of an order, in reply to com.example.order.get.v1.";

    fn subject(&self) -> String {
        self.order_id.to_string()
    }
}
