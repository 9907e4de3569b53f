//! The payment: its state and the pure decisions on it (no I/O).

use chrono::{DateTime, Utc};
use serde::Serialize;
use shared_events::catalog::values::{
    AmountCents, Currency, OrderId, PaymentId, PaymentStatus, Reason,
};
use shared_events::catalog::{PaymentMakeV1, PaymentStateV1};

/// A payment as payment-service keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payment {
    /// Its id.
    pub payment_id: PaymentId,
    /// The order it pays for.
    pub order_id: OrderId,
    /// The amount charged.
    pub amount_cents: AmountCents,
    /// Its currency.
    pub currency: Currency,
    /// Charged or refunded.
    pub status: PaymentStatus,
    /// When it was charged.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Payment {
    /// The `payment.state.v1` reply data.
    pub fn state(&self) -> PaymentStateV1 {
        PaymentStateV1 {
            payment_id: self.payment_id,
            order_id: self.order_id,
            status: self.status,
            amount_cents: self.amount_cents,
            currency: self.currency.clone(),
        }
    }
}

/// What to do with a `payment.make.v1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Charge {
    /// Charge: this payment is created.
    Charged(Payment),
    /// Decline, for this reason.
    Declined(Reason),
}

/// Decides a charge: declined when the amount exceeds `max_amount_cents`, charged otherwise.
pub fn charge(make: &PaymentMakeV1, max_amount_cents: i64, now: DateTime<Utc>) -> Charge {
    if make.amount_cents.get() > max_amount_cents {
        let reason = format!(
            "amount {} {} exceeds the limit of {max_amount_cents}",
            make.amount_cents, make.currency
        );
        return Charge::Declined(
            Reason::try_from(reason)
                .unwrap_or_else(|_| unreachable!("a short generated reason is valid")),
        );
    }
    Charge::Charged(Payment {
        payment_id: PaymentId::new(),
        order_id: make.order_id,
        amount_cents: make.amount_cents,
        currency: make.currency.clone(),
        status: PaymentStatus::Charged,
        created_at: now,
        updated_at: now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make(amount: i64) -> PaymentMakeV1 {
        PaymentMakeV1 {
            order_id: OrderId::new(),
            amount_cents: AmountCents::try_from(amount).expect("valid"),
            currency: Currency::try_from("EUR").expect("valid"),
        }
    }

    #[test]
    fn an_amount_within_the_limit_is_charged() {
        let Charge::Charged(payment) = charge(&make(100_000), 100_000, Utc::now()) else {
            panic!("charged")
        };
        assert_eq!(payment.status, PaymentStatus::Charged);
        assert_eq!(payment.amount_cents.get(), 100_000);
    }

    #[test]
    fn an_amount_over_the_limit_is_declined_with_a_reason() {
        let Charge::Declined(reason) = charge(&make(100_001), 100_000, Utc::now()) else {
            panic!("declined")
        };
        assert!(reason.as_str().contains("exceeds the limit"), "{reason}");
    }
}
