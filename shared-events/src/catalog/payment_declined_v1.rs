//! `com.example.payment.declined.v1`: A payment for an order was declined.

use super::values::*;
use super::{CatalogType, Kind};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The data of `com.example.payment.declined.v1`: A payment for an order was declined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PaymentDeclinedV1 {
    /// The order whose payment was declined.
    pub order_id: OrderId,
    /// Why it was declined.
    pub reason: Reason,
}

impl CatalogType for PaymentDeclinedV1 {
    const TYPE: &'static str = "com.example.payment.declined.v1";
    const KIND: Kind = Kind::Event;
    const DESCRIPTION: &'static str = "A payment for an order was declined.";

    fn subject(&self) -> String {
        self.order_id.to_string()
    }
}
