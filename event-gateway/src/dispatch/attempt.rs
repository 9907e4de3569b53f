//! One attempt: one POST of the stored event to the sink, in the subscription's format, with
//! its timeout, over pooled connections, redirects not followed, every connection vetted by the
//! [`SinkPolicy`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::Utc;
use http::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use shared_events::Event;
use shared_events::format;

use crate::domain::retry::parse_retry_after;
use crate::domain::{AttemptResult, Format, SinkPolicy, SinkUrl};

/// The most of a failed response's body that is kept.
const EXCERPT: usize = 1024;
/// A successful response's body is read (so the connection can be reused) up to this much.
const DRAIN: usize = 64 * 1024;

/// What an attempt came back with, and what to record about it.
#[derive(Debug, Clone)]
pub struct Attempted {
    /// The result the retry policy decides on.
    pub result: AttemptResult,
    /// How long it took.
    pub latency: Duration,
    /// What went wrong, in words.
    pub error: Option<String>,
    /// The first 1 KiB of a failed response's body.
    pub response: Option<String>,
}

/// The HTTP client every attempt goes through.
#[derive(Debug, Clone)]
pub struct Sender {
    client: reqwest::Client,
    policy: SinkPolicy,
}

/// Resolves sink host names and drops every address the policy refuses, so a name cannot be
/// pointed at a forbidden address after the subscription was accepted.
#[derive(Debug)]
struct GuardedResolver {
    policy: SinkPolicy,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| policy.allows(a.ip()))
                .collect();
            if allowed.is_empty() && !found.is_empty() {
                return Err(
                    format!("{host} resolves only to addresses this gateway refuses").into(),
                );
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

impl Sender {
    /// A sender whose connections obey `policy`.
    ///
    /// # Errors
    /// When the HTTP client cannot be built (no TLS backend, …).
    pub fn new(policy: SinkPolicy) -> reqwest::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(256)
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_nodelay(true)
            .connect_timeout(Duration::from_secs(10))
            .dns_resolver(Arc::new(GuardedResolver { policy }))
            .user_agent(concat!("event-gateway/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client, policy })
    }

    /// Sends an event (structured JSON bytes as stored) to `sink`.
    pub async fn send(
        &self,
        sink: &SinkUrl,
        format: Format,
        body: &Bytes,
        timeout: Duration,
    ) -> Attempted {
        let started = Instant::now();
        let failed = |result, error: String| Attempted {
            result,
            latency: started.elapsed(),
            error: Some(error),
            response: None,
        };
        if let Err(refused) = self.policy.check_url(sink) {
            return failed(AttemptResult::Network, refused.to_string());
        }
        let request = match format {
            Format::Structured => self
                .client
                .post(sink.url().clone())
                .header(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/cloudevents+json; charset=utf-8"),
                )
                .body(body.clone()),
            Format::Binary => match encode_binary(body) {
                Ok((headers, data)) => self
                    .client
                    .post(sink.url().clone())
                    .headers(headers)
                    .body(data),
                Err(error) => return failed(AttemptResult::Network, error),
            },
        };
        self.send_request(request.timeout(timeout), started).await
    }

    /// Sends an already encoded event (for the dead-letter sink).
    pub async fn send_event(&self, sink: &SinkUrl, event: &Event, timeout: Duration) -> Attempted {
        let started = Instant::now();
        if let Err(refused) = self.policy.check_url(sink) {
            return Attempted {
                result: AttemptResult::Network,
                latency: started.elapsed(),
                error: Some(refused.to_string()),
                response: None,
            };
        }
        match shared_events::http::encode_binary(event) {
            Ok((headers, data)) => {
                let request = self
                    .client
                    .post(sink.url().clone())
                    .headers(headers)
                    .body(data)
                    .timeout(timeout);
                self.send_request(request, started).await
            }
            Err(error) => Attempted {
                result: AttemptResult::Network,
                latency: started.elapsed(),
                error: Some(error.to_string()),
                response: None,
            },
        }
    }

    async fn send_request(&self, request: reqwest::RequestBuilder, started: Instant) -> Attempted {
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                let result = if error.is_timeout() {
                    AttemptResult::Timeout
                } else {
                    AttemptResult::Network
                };
                return Attempted {
                    result,
                    latency: started.elapsed(),
                    error: Some(describe(&error)),
                    response: None,
                };
            }
        };
        let code = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, Utc::now()));
        let success = (200..300).contains(&code);
        let keep = if success { DRAIN } else { EXCERPT };
        let mut excerpt = Vec::new();
        let mut read_error = None;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = EXCERPT.saturating_sub(excerpt.len());
                    excerpt.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    if excerpt.len() >= keep {
                        break;
                    }
                }
                Ok(None) => break,
                Err(error) => {
                    read_error = Some(error);
                    break;
                }
            }
        }
        let latency = started.elapsed();
        if let Some(error) = read_error.filter(|_| success) {
            // The answer was 2xx but did not arrive whole: it still counts as taken.
            tracing::debug!(error = %describe(&error), "reading a 2xx response body failed");
        }
        Attempted {
            result: AttemptResult::Status { code, retry_after },
            latency,
            error: (!success).then(|| format!("the sink answered {code}")),
            response: (!success && !excerpt.is_empty())
                .then(|| String::from_utf8_lossy(&excerpt).into_owned()),
        }
    }
}

/// Binary mode from the stored structured JSON: the one place an event is decoded for sending.
fn encode_binary(body: &Bytes) -> Result<(http::HeaderMap, Bytes), String> {
    let event =
        format::from_slice(body).map_err(|e| format!("the stored event cannot be read: {e}"))?;
    shared_events::http::encode_binary(&event)
        .map_err(|e| format!("the stored event cannot be encoded: {e}"))
}

/// An error with its causes, `outer: inner: innermost`.
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
