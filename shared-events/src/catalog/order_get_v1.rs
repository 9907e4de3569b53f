//! `com.example.order.get.v1`: Ask order-service for an order's current state; answered by com.example.order.state.v1.

use super::values::*;
use super::{CatalogType, Kind};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The data of `com.example.order.get.v1`: Ask order-service for an order's current state; answered by com.example.order.state.v1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OrderGetV1 {
    /// The order asked about.
    pub order_id: OrderId,
}

impl CatalogType for OrderGetV1 {
    const TYPE: &'static str = "com.example.order.get.v1";
    const KIND: Kind = Kind::Query;
    const DESCRIPTION: &'static str =
        "Ask order-service for an order's current state; answered by com.example.order.state.v1.";

    fn subject(&self) -> String {
        self.order_id.to_string()
    }
}
