//! `com.example.order.paid.v1`: An order was paid.

use super::values::*;
use super::{CatalogType, Kind};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The data of `com.example.order.paid.v1`: An order was paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OrderPaidV1 {
    /// The paid order.
    pub order_id: OrderId,
    /// The payment that paid it.
    pub payment_id: PaymentId,
}

impl CatalogType for OrderPaidV1 {
    const TYPE: &'static str = "com.example.order.paid.v1";
    const KIND: Kind = Kind::Event;
    const DESCRIPTION: &'static str = "An order was paid.";

    fn subject(&self) -> String {
        self.order_id.to_string()
    }
}
