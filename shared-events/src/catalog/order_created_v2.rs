//! `com.example.order.created.v2`: An order was placed and awaits payment (v2: amounts are Money objects and the customer is an object).

use super::values::*;
use super::{CatalogType, Kind};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The data of `com.example.order.created.v2`: An order was placed and awaits payment (v2: amounts are Money objects and the customer is an object).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OrderCreatedV2 {
    /// The new order.
    pub order_id: OrderId,
    /// Who placed it.
    pub customer: Customer,
    /// What was ordered (at least one line).
    #[schemars(length(min = 1))]
    pub items: Vec<LineItemV2>,
    /// The sum of quantity × unit price over the items.
    pub total: Money,
}

impl CatalogType for OrderCreatedV2 {
    const TYPE: &'static str = "com.example.order.created.v2";
    const KIND: Kind = Kind::Event;
    const DESCRIPTION: &'static str = "An order was placed and awaits payment (v2: amounts are Money objects and the customer is an object).";

    fn subject(&self) -> String {
        self.order_id.to_string()
    }
}
