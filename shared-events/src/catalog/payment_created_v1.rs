//! `com.example.payment.created.v1`: A payment for an order was charged.

use super::values::*;
use super::{CatalogType, Kind};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The data of `com.example.payment.created.v1`: A payment for an order was charged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PaymentCreatedV1 {
    /// The new payment.
    pub payment_id: PaymentId,
    /// The order it pays for.
    pub order_id: OrderId,
    /// The amount charged, in cents.
    pub amount_cents: AmountCents,
    /// The currency of the amount.
    pub currency: Currency,
}

impl CatalogType for PaymentCreatedV1 {
    const TYPE: &'static str = "com.example.payment.created.v1";
    const KIND: Kind = Kind::Event;
    const DESCRIPTION: &'static str = "A payment for an order was charged.";

    fn subject(&self) -> String {
        self.order_id.to_string()
    }
}
