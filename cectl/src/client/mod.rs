//! [`GatewayClient`]: the gateway's HTTP API, typed by endpoint, with every error answer
//! (problem+json, RFC 9457) turned into a [`ClientError`] that knows its exit code (a 404 is 4).
//!
//! `cectl` knows the gateway only through this API (STYLE: who may know whom). One file per
//! resource, as the gateway's `routes/`: `subscriptions`, `deadletters`, `events` (reading the
//! stream and the delivery log), `stream` (Server-Sent Events), `pull` (pull delivery) and
//! `jobs` (replay). [`GatewayClient::request`] and [`GatewayClient::send`] are there for
//! anything unusual.

use std::time::Duration;

use http::Method;
use reqwest::{RequestBuilder, Response};
use serde_json::Value;
use url::Url;

mod deadletters;
mod error;
mod events;
mod jobs;
mod pull;
mod stream;
mod subscriptions;

pub use deadletters::{DeadLetterPage, DeadLetterQuery};
pub use error::{ClientError, root_cause};
pub use events::{DeliveryPage, DeliveryQuery, EventPage, EventQuery};
pub use jobs::{Job, ReplayRange};
pub use pull::{BrokerProperties, FailedToken, Pulled, Settle, Settlement, TokenError};
pub use stream::{SseFrame, SseParser, SseStream, StreamError, StreamRequest};
pub use subscriptions::Applied;

/// How long an API call may take.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The gateway's HTTP API.
#[derive(Debug, Clone)]
pub struct GatewayClient {
    base: Url,
    token: Option<String>,
    http: reqwest::Client,
}

impl GatewayClient {
    /// A client of the gateway at `base` (`http://127.0.0.1:8080`), sending `token` as a bearer
    /// token when there is one.
    ///
    /// # Errors
    /// [`ClientError::InvalidUrl`] when `base` is not an http(s) URL.
    pub fn new(base: &str, token: Option<String>) -> Result<Self, ClientError> {
        let invalid = |reason: String| ClientError::InvalidUrl {
            url: base.to_owned(),
            reason,
        };
        let url = Url::parse(base).map_err(|e| invalid(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
            return Err(invalid("use an http:// or https:// URL".to_owned()));
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("cectl/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| invalid(e.to_string()))?;
        Ok(Self {
            base: url,
            token: token.filter(|t| !t.is_empty()),
            http,
        })
    }

    /// The underlying HTTP client (for requests to other servers, which get no token).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The URL of an API path given as segments (each percent-encoded as needed), under the
    /// base URL's own path.
    pub fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// Whether a token is configured.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// Whether `url` is on this gateway (so it may see the token).
    pub fn owns(&self, url: &Url) -> bool {
        url.origin() == self.base.origin()
    }

    /// A request to `url` with the bearer token when `url` is on this gateway.
    pub fn request(&self, method: Method, url: Url) -> RequestBuilder {
        let with_token = self.owns(&url);
        let mut builder = self.http.request(method, url);
        if let Some(token) = self.token.as_ref().filter(|_| with_token) {
            builder = builder.bearer_auth(token);
        }
        builder
    }

    /// Sends a request; error statuses become [`ClientError::Status`].
    ///
    /// # Errors
    /// [`ClientError::Unreachable`] or [`ClientError::Status`].
    pub async fn send(&self, builder: RequestBuilder) -> Result<Response, ClientError> {
        self.execute(builder.timeout(TIMEOUT)).await
    }

    /// Sends a request whose answer may stream for as long as it likes (no overall timeout:
    /// the caller watches for silence); error statuses become [`ClientError::Status`].
    ///
    /// # Errors
    /// [`ClientError::Unreachable`] or [`ClientError::Status`].
    pub async fn send_streaming(&self, builder: RequestBuilder) -> Result<Response, ClientError> {
        self.execute(builder).await
    }

    async fn execute(&self, builder: RequestBuilder) -> Result<Response, ClientError> {
        let request = builder.build().map_err(|source| ClientError::Unreachable {
            url: self.base.to_string(),
            source,
        })?;
        let url = request.url().to_string();
        let response = self
            .http
            .execute(request)
            .await
            .map_err(|source| ClientError::Unreachable { url, source })?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(ClientError::from_response(response).await)
        }
    }

    pub(crate) async fn json(&self, builder: RequestBuilder) -> Result<Value, ClientError> {
        let response = self.send(builder).await?;
        let url = response.url().to_string();
        let bytes = response
            .bytes()
            .await
            .map_err(|source| ClientError::Unreachable {
                url: url.clone(),
                source,
            })?;
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|e| ClientError::InvalidBody {
            url,
            reason: e.to_string(),
        })
    }

    pub(crate) async fn typed<T: serde::de::DeserializeOwned>(
        &self,
        builder: RequestBuilder,
    ) -> Result<T, ClientError> {
        let url = self.base.to_string();
        let value = self.json(builder).await?;
        serde_json::from_value(value).map_err(|e| ClientError::InvalidBody {
            url,
            reason: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::Exit;

    #[test]
    fn paths_go_under_the_base_path_and_segments_are_encoded() {
        let client = GatewayClient::new("http://gw:8080/prefix/", None).expect("valid");
        assert_eq!(
            client.url(&["subscriptions", "a b"]).as_str(),
            "http://gw:8080/prefix/subscriptions/a%20b"
        );
        let root = GatewayClient::new("http://gw:8080", None).expect("valid");
        assert_eq!(
            root.url(&["deadletters", "7", "redeliver"]).as_str(),
            "http://gw:8080/deadletters/7/redeliver"
        );
    }

    #[test]
    fn only_http_urls_are_gateways() {
        for bad in ["gw:8080", "ftp://gw", "mailto:a@b", "not a url"] {
            let error = GatewayClient::new(bad, None).expect_err(bad);
            assert_eq!(error.exit(), Exit::Usage, "{bad}");
        }
    }

    #[test]
    fn the_token_goes_only_to_the_gateway() {
        let client = GatewayClient::new("http://gw:8080", Some("t".repeat(16))).expect("valid");
        let to_gateway = client
            .request(Method::GET, client.url(&["subscriptions"]))
            .build()
            .expect("builds");
        assert!(to_gateway.headers().contains_key("authorization"));
        let elsewhere = client
            .request(
                Method::POST,
                Url::parse("http://other:8080/events").expect("url"),
            )
            .build()
            .expect("builds");
        assert!(!elsewhere.headers().contains_key("authorization"));
    }
}
