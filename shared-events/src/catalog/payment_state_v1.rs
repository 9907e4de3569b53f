//! `com.example.payment.state.v1`: The payment of an order, in reply to com.example.payment.get.v1.

use super::values::*;
use super::{CatalogType, Kind};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The data of `com.example.payment.state.v1`: The payment of an order, in reply to com.example.payment.get.v1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PaymentStateV1 {
    /// The payment.
    pub payment_id: PaymentId,
    /// The order it is for.
    pub order_id: OrderId,
    /// Its status: charged or refunded.
    pub status: PaymentStatus,
    /// The amount charged, in cents.
    pub amount_cents: AmountCents,
    /// The currency of the amount.
    pub currency: Currency,
}

impl CatalogType for PaymentStateV1 {
    const TYPE: &'static str = "com.example.payment.state.v1";
    const KIND: Kind = Kind::Reply;
    const DESCRIPTION: &'static str =
        "The payment of an order, in reply to com.example.payment.get.v1.";

    fn subject(&self) -> String {
        self.order_id.to_string()
    }
}
