//! `com.example.payment.refund.v1`: Refund a payment, compensating a cancelled order.

use super::values::*;
use super::{CatalogType, Kind};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The data of `com.example.payment.refund.v1`: Refund a payment, compensating a cancelled order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PaymentRefundV1 {
    /// The payment to refund.
    pub payment_id: PaymentId,
    /// The order it paid for.
    pub order_id: OrderId,
    /// Why it is refunded.
    pub reason: Reason,
}

impl CatalogType for PaymentRefundV1 {
    const TYPE: &'static str = "com.example.payment.refund.v1";
    const KIND: Kind = Kind::Command;
    const DESCRIPTION: &'static str = "Refund a payment, compensating a cancelled order.";

    fn subject(&self) -> String {
        self.order_id.to_string()
    }
}
