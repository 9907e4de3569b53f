//! Value types shared by several catalog types. Each one validates on deserialisation, so a
//! handler that holds one holds a valid value, and each one documents its constraint in the
//! generated JSON Schema.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// Implements `JsonSchema` for a newtype whose serde form goes through `try_from`: schemars
/// would describe only the inner type and drop the constraint, so the schema is written out.
macro_rules! inline_schema {
    ($name:ident, $schema:tt) => {
        impl JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!($schema)
            }
        }
    };
}

/// The id of an order (a UUIDv7 minted by order-service).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderId(pub Uuid);

inline_schema!(OrderId, {"type": "string", "format": "uuid"});

/// The id of a payment (a UUIDv7 minted by payment-service).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PaymentId(pub Uuid);

inline_schema!(PaymentId, {"type": "string", "format": "uuid"});

macro_rules! uuid_id {
    ($name:ident) => {
        impl $name {
            /// A new time-ordered (UUIDv7) id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(OrderId);
uuid_id!(PaymentId);

/// Why a value is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValueError(String);

/// Declares a validated string newtype: serde goes through `TryFrom<String>`, the schema through
/// the `schemars` attributes on the inner field.
macro_rules! checked_string {
    ($(#[$doc:meta])* $name:ident, $check:expr, $schema:tt) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        inline_schema!($name, $schema);

        impl $name {
            /// The value as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = ValueError;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                let check: fn(&str) -> Result<(), String> = $check;
                check(&value).map_err(ValueError)?;
                Ok(Self(value))
            }
        }

        impl TryFrom<&str> for $name {
            type Error = ValueError;

            fn try_from(value: &str) -> Result<Self, Self::Error> {
                Self::try_from(value.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

fn bounded(value: &str, what: &str, max: usize) -> Result<(), String> {
    let len = value.chars().count();
    if len == 0 || len > max {
        return Err(format!("{what} must be 1 to {max} characters, got {len}"));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{what} must not contain control characters"));
    }
    Ok(())
}

checked_string!(
    /// The customer's id in the shop (opaque to us, 1–128 characters).
    CustomerId,
    |v| bounded(v, "customer_id", 128),
    {"type": "string", "minLength": 1, "maxLength": 128}
);

checked_string!(
    /// A stock-keeping unit (1–64 characters).
    Sku,
    |v| bounded(v, "sku", 64),
    {"type": "string", "minLength": 1, "maxLength": 64}
);

checked_string!(
    /// An ISO 4217 currency code: three upper-case ASCII letters.
    Currency,
    |v| {
        if v.len() == 3 && v.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(())
        } else {
            Err(format!("currency must be three upper-case letters (ISO 4217), got `{v}`"))
        }
    },
    {"type": "string", "pattern": "^[A-Z]{3}$"}
);

checked_string!(
    /// A short human-readable reason (1–500 characters).
    Reason,
    |v| bounded(v, "reason", 500),
    {"type": "string", "minLength": 1, "maxLength": 500}
);

/// A non-negative amount in the currency's minor unit (cents).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct AmountCents(i64);

inline_schema!(AmountCents, {"type": "integer", "minimum": 0, "maximum": i64::MAX});

impl AmountCents {
    /// Zero.
    pub const ZERO: Self = Self(0);

    /// The amount as a number of cents.
    pub fn get(self) -> i64 {
        self.0
    }

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }

    /// `self × n`, or `None` on overflow.
    pub fn checked_mul(self, n: u32) -> Option<Self> {
        self.0.checked_mul(i64::from(n)).map(Self)
    }
}

impl TryFrom<i64> for AmountCents {
    type Error = ValueError;

    fn try_from(value: i64) -> Result<Self, Self::Error> {
        if value < 0 {
            return Err(ValueError(format!(
                "amount must not be negative, got {value}"
            )));
        }
        Ok(Self(value))
    }
}

impl From<AmountCents> for i64 {
    fn from(value: AmountCents) -> Self {
        value.0
    }
}

impl fmt::Display for AmountCents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A quantity of at least one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Quantity(u32);

inline_schema!(Quantity, {"type": "integer", "minimum": 1, "maximum": u32::MAX});

impl Quantity {
    /// The quantity as a number.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for Quantity {
    type Error = ValueError;

    fn try_from(value: u32) -> Result<Self, Self::Error> {
        if value == 0 {
            return Err(ValueError("quantity must be at least 1".to_owned()));
        }
        Ok(Self(value))
    }
}

impl From<Quantity> for u32 {
    fn from(value: Quantity) -> Self {
        value.0
    }
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct LineItem {
    /// What was ordered.
    pub sku: Sku,
    /// How many.
    pub quantity: Quantity,
    /// The price of one, in cents.
    pub unit_price_cents: AmountCents,
}

/// The lifecycle of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Created; waiting for the payment outcome.
    PendingPayment,
    /// Paid.
    Paid,
    /// Cancelled after payment; waiting for the refund.
    Cancelling,
    /// Cancelled (declined, cancelled before payment, or refunded).
    Cancelled,
}

inline_schema!(OrderStatus, {"type": "string", "enum": ["pending_payment", "paid", "cancelling", "cancelled"]});

impl OrderStatus {
    /// The wire name, e.g. `pending_payment`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingPayment => "pending_payment",
            Self::Paid => "paid",
            Self::Cancelling => "cancelling",
            Self::Cancelled => "cancelled",
        }
    }
}

impl std::str::FromStr for OrderStatus {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pending_payment" => Ok(Self::PendingPayment),
            "paid" => Ok(Self::Paid),
            "cancelling" => Ok(Self::Cancelling),
            "cancelled" => Ok(Self::Cancelled),
            other => Err(ValueError(format!(
                "unknown order status `{other}`; expected pending_payment, paid, cancelling or cancelled"
            ))),
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The lifecycle of a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// The customer was charged.
    Charged,
    /// The charge was refunded.
    Refunded,
}

inline_schema!(PaymentStatus, {"type": "string", "enum": ["charged", "refunded"]});

impl PaymentStatus {
    /// The wire name, e.g. `charged`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Charged => "charged",
            Self::Refunded => "refunded",
        }
    }
}

/// An amount of money: minor units and their currency together (order.created.v2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Money {
    /// The amount in the currency's minor unit.
    pub amount_minor: AmountCents,
    /// The currency.
    pub currency: Currency,
}

/// The customer who placed an order (order.created.v2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Customer {
    /// The customer's id in the shop.
    pub id: CustomerId,
}

/// One line of an order (order.created.v2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct LineItemV2 {
    /// What was ordered.
    pub sku: Sku,
    /// How many.
    pub quantity: Quantity,
    /// The price of one.
    pub unit_price: Money,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_values_are_refused_on_deserialisation() {
        assert!(serde_json::from_str::<Currency>("\"eur\"").is_err());
        assert!(serde_json::from_str::<Currency>("\"EURO\"").is_err());
        assert!(serde_json::from_str::<Currency>("\"EUR\"").is_ok());
        assert!(serde_json::from_str::<AmountCents>("-1").is_err());
        assert!(serde_json::from_str::<Quantity>("0").is_err());
        assert!(serde_json::from_str::<Sku>("\"\"").is_err());
    }

    #[test]
    fn amounts_refuse_to_overflow() {
        let big = AmountCents::try_from(i64::MAX).expect("valid");
        assert_eq!(big.checked_mul(2), None);
        assert_eq!(
            big.checked_add(AmountCents::try_from(1).expect("valid")),
            None
        );
    }
}
