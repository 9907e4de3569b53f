//! Asking payment-service about an order's payment with a `com.example.payment.get.v1` query
//! event, answered by `com.example.payment.state.v1` in the HTTP response. A short timeout
//! bounds the wait; any failure is reported as [`PaymentLookup::Unavailable`] so the caller can
//! degrade gracefully instead of failing.

use shared_events::catalog::values::OrderId;
use shared_events::catalog::{PaymentGetV1, PaymentStateV1};
use shared_events::http::query::{QueryError, query};
use shared_events::producer::Producer;
use shared_events::trace::Traceparent;
use std::time::Duration;
use url::Url;

/// What payment-service said about an order's payment.
#[derive(Debug, Clone, PartialEq)]
pub enum PaymentLookup {
    /// Its payment.
    Found(PaymentStateV1),
    /// It has none.
    None,
    /// It could not be asked (down, slow, or answering nonsense).
    Unavailable(String),
}

/// The payment-service client.
#[derive(Debug, Clone)]
pub struct PaymentClient {
    client: reqwest::Client,
    url: Url,
    producer: Producer,
    timeout: Duration,
}

impl PaymentClient {
    /// A client asking `url` (payment-service's `/events`) within `timeout`.
    pub fn new(client: reqwest::Client, url: Url, producer: Producer, timeout: Duration) -> Self {
        Self {
            client,
            url,
            producer,
            timeout,
        }
    }

    /// The payment of `order_id`.
    pub async fn payment_of(&self, order_id: OrderId, trace: &Traceparent) -> PaymentLookup {
        let asked = PaymentGetV1 { order_id };
        match query::<_, PaymentStateV1>(
            &self.client,
            &self.url,
            &self.producer,
            &asked,
            trace,
            self.timeout,
        )
        .await
        {
            Ok(state) => PaymentLookup::Found(state),
            Err(QueryError::NotFound) => PaymentLookup::None,
            Err(error) => {
                metrics::counter!("order_payment_lookup_failures_total").increment(1);
                tracing::warn!(%order_id, %error, "payment-service did not answer payment.get.v1");
                PaymentLookup::Unavailable(error.to_string())
            }
        }
    }
}
