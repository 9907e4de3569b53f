//! Asking payment-service about an order's payment with a `com.example.payment.get.v1` query
//! event, answered by `com.example.payment.state.v1` in the HTTP response. A short timeout
//! bounds the wait; any failure is reported as [`PaymentLookup::Unavailable`] so the caller can
//! degrade gracefully instead of failing.

use shared_events::catalog::values::OrderId;
use shared_events::catalog::{self, CatalogType, PaymentGetV1, PaymentStateV1};
use shared_events::http::reqwest::{RequestBuilderExt, ResponseExt};
use shared_events::producer::Producer;
use shared_events::trace::Traceparent;
use std::time::Duration;
use url::Url;

/// Why a typed query got no typed reply.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The responder knows nothing about the subject (404).
    #[error("not found")]
    NotFound,
    /// No answer within the timeout, a transport failure or an error status.
    #[error("{0}")]
    Unavailable(String),
    /// An answer that is not the expected reply.
    #[error("unexpected reply: {0}")]
    BadReply(String),
}

/// Sends query `query` to `url` and decodes the reply as `R`, within `timeout`.
///
/// # Errors
/// [`QueryError`] saying why there is no reply.
pub async fn query<Q: CatalogType, R: CatalogType>(
    client: &reqwest::Client,
    url: &Url,
    producer: &Producer,
    query: &Q,
    trace: &Traceparent,
    timeout: Duration,
) -> Result<R, QueryError> {
    let event = producer.event(query, trace);
    let request = client
        .post(url.clone())
        .timeout(timeout)
        .cloudevent(&event)
        .map_err(|e| QueryError::BadReply(e.to_string()))?;
    let response = request
        .send()
        .await
        .map_err(|e| QueryError::Unavailable(e.to_string()))?;
    let status = response.status();
    if status == reqwest::StatusCode::NOT_FOUND {
        return Err(QueryError::NotFound);
    }
    if !status.is_success() {
        return Err(QueryError::Unavailable(format!("answered {status}")));
    }
    let reply = tokio::time::timeout(timeout, response.into_cloudevent())
        .await
        .map_err(|_| QueryError::Unavailable("timed out reading the reply".to_owned()))?
        .map_err(|e| QueryError::BadReply(e.to_string()))?
        .ok_or_else(|| QueryError::BadReply("the response carries no event".to_owned()))?;
    catalog::decode::<R>(&reply).map_err(|e| QueryError::BadReply(e.to_string()))
}

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
