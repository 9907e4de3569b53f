//! `/deadletters`: list, read, redeliver (one or a subscription's), delete.

use http::Method;
use serde::Deserialize;
use serde_json::Value;

use super::{ClientError, GatewayClient};

/// A page of dead letters.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetterPage {
    /// The summaries, oldest first.
    pub dead_letters: Vec<Value>,
    /// The `after` of the next page, when there may be one.
    #[serde(default)]
    pub next: Option<String>,
}

/// `GET /deadletters` parameters.
#[derive(Debug, Clone, Default)]
pub struct DeadLetterQuery {
    /// Only this subscription's.
    pub subscription: Option<String>,
    /// Only this event type's.
    pub event_type: Option<String>,
    /// After this id (paging).
    pub after: Option<String>,
    /// At most this many (the gateway caps it at 1000).
    pub limit: Option<u32>,
}

impl GatewayClient {
    /// `GET /deadletters?subscription=&type=&after=&limit=`.
    ///
    /// # Errors
    /// As [`GatewayClient::send`], or [`ClientError::InvalidBody`].
    pub async fn dead_letters(
        &self,
        query: &DeadLetterQuery,
    ) -> Result<DeadLetterPage, ClientError> {
        let mut url = self.url(&["deadletters"]);
        {
            let mut pairs = url.query_pairs_mut();
            let mut put = |name: &str, value: Option<&str>| {
                if let Some(value) = value {
                    pairs.append_pair(name, value);
                }
            };
            put("subscription", query.subscription.as_deref());
            put("type", query.event_type.as_deref());
            put("after", query.after.as_deref());
            put("limit", query.limit.map(|n| n.to_string()).as_deref());
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        self.typed(self.request(Method::GET, url)).await
    }

    /// `GET /deadletters/{id}`: the event, untouched, and every attempt.
    ///
    /// # Errors
    /// As [`GatewayClient::send`]; 404 when there is no such dead letter.
    pub async fn dead_letter(&self, id: &str) -> Result<Value, ClientError> {
        let url = self.url(&["deadletters", id]);
        self.json(self.request(Method::GET, url)).await
    }

    /// `POST /deadletters/{id}/redeliver`.
    ///
    /// # Errors
    /// As [`GatewayClient::send`]; 404 when there is no such dead letter, 409 when its
    /// subscription is gone.
    pub async fn redeliver(&self, id: &str) -> Result<Value, ClientError> {
        let url = self.url(&["deadletters", id, "redeliver"]);
        self.json(self.request(Method::POST, url)).await
    }

    /// `POST /deadletters/redeliver?subscription=`: answers how many were put back.
    ///
    /// # Errors
    /// As [`GatewayClient::send`]; 404 when there is no such subscription.
    pub async fn redeliver_subscription(&self, subscription: &str) -> Result<u64, ClientError> {
        #[derive(Deserialize)]
        struct Redelivered {
            redelivered: u64,
        }
        let mut url = self.url(&["deadletters", "redeliver"]);
        url.query_pairs_mut()
            .append_pair("subscription", subscription);
        let answer: Redelivered = self.typed(self.request(Method::POST, url)).await?;
        Ok(answer.redelivered)
    }

    /// `DELETE /deadletters/{id}`.
    ///
    /// # Errors
    /// As [`GatewayClient::send`]; 404 when there is no such dead letter.
    pub async fn delete_dead_letter(&self, id: &str) -> Result<(), ClientError> {
        let url = self.url(&["deadletters", id]);
        self.send(self.request(Method::DELETE, url)).await?;
        Ok(())
    }
}
