//! Pull delivery (Event Grid's wire shapes): `receive` events of a pull subscription under a
//! lock, then `acknowledge`, `release` or `reject` them by lock token.

use std::time::Duration;

use http::Method;
use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;

use super::{ClientError, GatewayClient};

/// One received event: its lock and the event exactly as the gateway stored it.
#[derive(Debug, Deserialize)]
pub struct Pulled {
    /// The lock.
    #[serde(rename = "brokerProperties")]
    pub broker: BrokerProperties,
    /// The structured-mode CloudEvent, byte for byte as the gateway sent it.
    pub event: Box<RawValue>,
}

/// A received event's lock.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokerProperties {
    /// What settles the event.
    pub lock_token: String,
    /// How often the event was handed out (1 the first time).
    pub delivery_count: u32,
}

/// What became of the lock tokens of a settle request.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settlement {
    /// The tokens settled.
    pub succeeded_lock_tokens: Vec<String>,
    /// The tokens that were not, with why.
    pub failed_lock_tokens: Vec<FailedToken>,
}

/// A lock token that could not be settled.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedToken {
    /// The token.
    pub lock_token: String,
    /// Why.
    pub error: TokenError,
}

/// Why a lock token could not be settled.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenError {
    /// A code (`LockLost`, `InvalidLockToken`).
    pub code: String,
    /// In words.
    pub message: String,
}

/// How to settle received events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// Done with them.
    Acknowledge,
    /// Hand them out again after this delay (counted against the subscription's `retry`).
    Release(Duration),
    /// Dead-letter them.
    Reject,
}

impl GatewayClient {
    /// `POST /subscriptions/{id}/receive?max=&wait=`: up to `max` events, waiting up to
    /// `wait` (whole seconds) for the first.
    ///
    /// # Errors
    /// As [`GatewayClient::send`]; 404 for an unknown subscription, 409 for a push one.
    pub async fn receive(
        &self,
        subscription: &str,
        max: u32,
        wait: Duration,
    ) -> Result<Vec<Pulled>, ClientError> {
        #[derive(Deserialize)]
        struct Answer {
            value: Vec<Pulled>,
        }
        let mut url = self.url(&["subscriptions", subscription, "receive"]);
        url.query_pairs_mut()
            .append_pair("max", &max.to_string())
            .append_pair("wait", &format!("PT{}S", wait.as_secs()));
        let response = self.send(self.request(Method::POST, url.clone())).await?;
        let bytes = response
            .bytes()
            .await
            .map_err(|source| ClientError::Unreachable {
                url: url.to_string(),
                source,
            })?;
        let answer: Answer =
            serde_json::from_slice(&bytes).map_err(|e| ClientError::InvalidBody {
                url: url.to_string(),
                reason: e.to_string(),
            })?;
        Ok(answer.value)
    }

    /// `POST /subscriptions/{id}/acknowledge|release|reject` with these lock tokens.
    ///
    /// # Errors
    /// As [`GatewayClient::send`], or [`ClientError::InvalidBody`].
    pub async fn settle(
        &self,
        subscription: &str,
        how: Settle,
        lock_tokens: &[String],
    ) -> Result<Settlement, ClientError> {
        let verb = match how {
            Settle::Acknowledge => "acknowledge",
            Settle::Release(_) => "release",
            Settle::Reject => "reject",
        };
        let mut url = self.url(&["subscriptions", subscription, verb]);
        if let Settle::Release(delay) = how {
            url.query_pairs_mut()
                .append_pair("delay", &format!("PT{}S", delay.as_secs()));
        }
        let body = json!({ "lockTokens": lock_tokens });
        self.typed(self.request(Method::POST, url).json(&body))
            .await
    }
}
