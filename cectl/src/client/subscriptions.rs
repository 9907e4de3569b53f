//! `/subscriptions`: list, read, create, replace, apply (replace else create), delete.

use http::Method;
use serde::Deserialize;
use serde_json::Value;

use super::{ClientError, GatewayClient};
use crate::exit::Exit;

/// What `PUT`-else-`POST` did with a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// It did not exist: created.
    Created,
    /// It existed: replaced.
    Replaced,
}

impl GatewayClient {
    /// `GET /subscriptions`.
    ///
    /// # Errors
    /// As [`GatewayClient::send`], or [`ClientError::InvalidBody`].
    pub async fn subscriptions(&self) -> Result<Vec<Value>, ClientError> {
        #[derive(Deserialize)]
        struct List {
            subscriptions: Vec<Value>,
        }
        let url = self.url(&["subscriptions"]);
        let list: List = self.typed(self.request(Method::GET, url)).await?;
        Ok(list.subscriptions)
    }

    /// `GET /subscriptions/{id}`.
    ///
    /// # Errors
    /// As [`GatewayClient::send`]; a 404 when there is no such subscription.
    pub async fn subscription(&self, id: &str) -> Result<Value, ClientError> {
        let url = self.url(&["subscriptions", id]);
        self.json(self.request(Method::GET, url)).await
    }

    /// `POST /subscriptions`: answers the subscription as created (with its secret when the
    /// body asked for `"secret": "generate"`).
    ///
    /// # Errors
    /// As [`GatewayClient::send`]; 400 for an invalid body, 409 when the id is taken.
    pub async fn create_subscription(&self, body: &Value) -> Result<Value, ClientError> {
        let url = self.url(&["subscriptions"]);
        self.json(self.request(Method::POST, url).json(body)).await
    }

    /// `PUT /subscriptions/{id}`.
    ///
    /// # Errors
    /// As [`GatewayClient::send`]; 404 when it does not exist.
    pub async fn replace_subscription(&self, id: &str, body: &Value) -> Result<Value, ClientError> {
        let url = self.url(&["subscriptions", id]);
        self.json(self.request(Method::PUT, url).json(body)).await
    }

    /// Replaces the subscription `id` or, when there is none, creates it.
    ///
    /// # Errors
    /// As [`GatewayClient::create_subscription`] and [`GatewayClient::replace_subscription`].
    pub async fn apply_subscription(
        &self,
        id: &str,
        body: &Value,
    ) -> Result<(Applied, Value), ClientError> {
        match self.replace_subscription(id, body).await {
            Ok(value) => Ok((Applied::Replaced, value)),
            Err(e) if e.exit() == Exit::NotFound => self
                .create_subscription(body)
                .await
                .map(|value| (Applied::Created, value)),
            Err(e) => Err(e),
        }
    }

    /// `DELETE /subscriptions/{id}`.
    ///
    /// # Errors
    /// As [`GatewayClient::send`]; 404 when it does not exist.
    pub async fn delete_subscription(&self, id: &str) -> Result<(), ClientError> {
        let url = self.url(&["subscriptions", id]);
        self.send(self.request(Method::DELETE, url)).await?;
        Ok(())
    }
}
