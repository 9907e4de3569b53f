//! `com.example.payment.get.v1`: Ask payment-service for the payment of an order; answered by com.example.payment.state.v1.

use super::values::*;
use super::{CatalogType, Kind};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The data of `com.example.payment.get.v1`: Ask payment-service for the payment of an order; answered by com.example.payment.state.v1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PaymentGetV1 {
    /// The order whose payment is asked about.
    pub order_id: OrderId,
}

impl CatalogType for PaymentGetV1 {
    const TYPE: &'static str = "com.example.payment.get.v1";
    const KIND: Kind = Kind::Query;
    const DESCRIPTION: &'static str = "Ask payment-service for the payment of an order; answered by com.example.payment.state.v1.";

    fn subject(&self) -> String {
        self.order_id.to_string()
    }
}
