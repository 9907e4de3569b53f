//! `com.example.payment.refunded.v1`: A payment was refunded.

use super::values::*;
use super::{CatalogType, Kind};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The data of `com.example.payment.refunded.v1`: A payment was refunded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PaymentRefundedV1 {
    /// The refunded payment.
    pub payment_id: PaymentId,
    /// The order it had paid for.
    pub order_id: OrderId,
}

impl CatalogType for PaymentRefundedV1 {
    const TYPE: &'static str = "com.example.payment.refunded.v1";
    const KIND: Kind = Kind::Event;
    const DESCRIPTION: &'static str = "A payment was refunded.";

    fn subject(&self) -> String {
        self.order_id.to_string()
    }
}
