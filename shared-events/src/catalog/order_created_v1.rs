//! `com.example.order.created.v1`: An order was placed and awaits payment.

use super::values::*;
use super::{CatalogType, Kind};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The data of `com.example.order.created.v1`: An order was placed and awaits payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OrderCreatedV1 {
    /// The new order.
    pub order_id: OrderId,
    /// Who placed it.
    pub customer_id: CustomerId,
    /// What was ordered (at least one line).
    #[schemars(length(min = 1))]
    pub items: Vec<LineItem>,
    /// The sum of quantity × unit price over the items, in cents.
    pub total_cents: AmountCents,
    /// The currency of every amount in the order.
    pub currency: Currency,
}

impl CatalogType for OrderCreatedV1 {
    const TYPE: &'static str = "com.example.order.created.v1";
    const KIND: Kind = Kind::Event;
    const DESCRIPTION: &'static str = "An order was placed and awaits payment.";

    fn subject(&self) -> String {
        self.order_id.to_string()
    }
}
