//! `com.example.payment.make.v1`: Charge the customer for an order.

use super::values::*;
use super::{CatalogType, Kind};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The data of `com.example.payment.make.v1`: Charge the customer for an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PaymentMakeV1 {
    /// The order to charge for.
    pub order_id: OrderId,
    /// The amount to charge, in cents.
    pub amount_cents: AmountCents,
    /// The currency of the amount.
    pub currency: Currency,
}

impl CatalogType for PaymentMakeV1 {
    const TYPE: &'static str = "com.example.payment.make.v1";
    const KIND: Kind = Kind::Command;
    const DESCRIPTION: &'static str = "Charge the customer for an order.";

    fn subject(&self) -> String {
        self.order_id.to_string()
    }
}
