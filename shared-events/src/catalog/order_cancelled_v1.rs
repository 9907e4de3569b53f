//! `com.example.order.cancelled.v1`: An order was cancelled (declined payment, or cancelled by the customer and refunded).

use super::values::*;
use super::{CatalogType, Kind};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The data of `com.example.order.cancelled.v1`: An order was cancelled (declined payment, or cancelled by the customer and refunded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OrderCancelledV1 {
    /// The cancelled order.
    pub order_id: OrderId,
    /// Why it was cancelled.
    pub reason: Reason,
}

impl CatalogType for OrderCancelledV1 {
    const TYPE: &'static str = "com.example.order.cancelled.v1";
    const KIND: Kind = Kind::Event;
    const DESCRIPTION: &'static str =
        "An order was cancelled (declined payment, or cancelled by the customer and refunded).";

    fn subject(&self) -> String {
        self.order_id.to_string()
    }
}
