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
use crate::domain::signing::signature_header;
use crate::domain::{AttemptResult, Format, SigningKey, SinkError, SinkPolicy, SinkUrl};

/// The handshake's and deliveries' origin header (CloudEvents HTTP 1.1 Web Hooks §4.1.2).
pub const REQUEST_ORIGIN: &str = "webhook-request-origin";

/// The most of a failed response's body that is kept.
const EXCERPT: usize = 1024;
/// A successful response's body is read (so the connection can be reused) up to this much.
const DRAIN: usize = 64 * 1024;
/// The largest reply event read from a 2xx response.
const REPLY_LIMIT: usize = 1024 * 1024;

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
    /// The CloudEvent a 2xx response carried (a reply), or why it could not be read.
    pub reply: Option<Result<Event, String>>,
}

/// The HTTP client every attempt goes through.
#[derive(Debug, Clone)]
pub struct Sender {
    client: reqwest::Client,
    policy: SinkPolicy,
}

/// What a delivery carries besides the event.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extras<'a> {
    /// Sign with these keys (Standard Webhooks), under this `webhook-id`.
    pub signing: Option<(&'a [SigningKey], &'a str)>,
    /// Send `WebHook-Request-Origin` with this value (after a handshake).
    pub origin: Option<&'a str>,
}

/// What a sink answered to the handshake's `OPTIONS`.
#[derive(Debug, Clone)]
pub enum ValidationAnswer {
    /// It answered with this status and these headers.
    Answered {
        /// The status.
        status: u16,
        /// `WebHook-Allowed-Origin`, if present.
        allowed_origin: Option<String>,
        /// `WebHook-Allowed-Rate`, if present.
        allowed_rate: Option<String>,
    },
    /// It could not be reached (or is refused by the SSRF guard).
    Unreachable(String),
}

/// Resolves sink host names and drops every address the policy refuses, so a name cannot be
/// pointed at a forbidden address after the subscription was accepted.
#[derive(Debug)]
struct GuardedResolver {
    policy: SinkPolicy,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
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
            .dns_resolver(Arc::new(GuardedResolver {
                policy: policy.clone(),
            }))
            // A proxy would resolve and connect on our behalf, past the guard.
            .no_proxy()
            .user_agent(concat!("event-gateway/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client, policy })
    }

    /// Sends an event (structured JSON bytes as stored) to `sink`, signed and with the origin
    /// header as `extras` say.
    pub async fn send(
        &self,
        sink: &SinkUrl,
        format: Format,
        body: &Bytes,
        timeout: Duration,
        extras: Extras<'_>,
    ) -> Attempted {
        let started = Instant::now();
        let failed = |result, error: String| Attempted {
            result,
            latency: started.elapsed(),
            error: Some(error),
            response: None,
            reply: None,
        };
        if let Err(refused) = self.policy.check_url(sink) {
            return failed(AttemptResult::Network, refused.to_string());
        }
        let (mut headers, data) = match format {
            Format::Structured => {
                let mut headers = http::HeaderMap::new();
                headers.insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/cloudevents+json; charset=utf-8"),
                );
                (headers, body.clone())
            }
            Format::Binary => match encode_binary(body) {
                Ok(encoded) => encoded,
                Err(error) => return failed(AttemptResult::Network, error),
            },
        };
        if let Some((keys, msg_id)) = extras.signing {
            let now = Utc::now();
            let timestamp = now.timestamp();
            if let Some(signature) = signature_header(keys, msg_id, timestamp, &data, now) {
                let values = [
                    ("webhook-id", msg_id.to_owned()),
                    ("webhook-timestamp", timestamp.to_string()),
                    ("webhook-signature", signature),
                ];
                for (name, value) in values {
                    if let Ok(value) = HeaderValue::from_str(&value) {
                        headers.insert(name, value);
                    }
                }
            }
        }
        if let Some(origin) = extras.origin.and_then(|o| HeaderValue::from_str(o).ok()) {
            headers.insert(REQUEST_ORIGIN, origin);
        }
        let request = self
            .client
            .post(sink.url().clone())
            .headers(headers)
            .body(data);
        self.send_request(request.timeout(timeout), started).await
    }

    /// The handshake's validation request: `OPTIONS` to the sink with `WebHook-Request-Origin`,
    /// and `WebHook-Request-Rate` and `WebHook-Request-Callback` when given.
    pub async fn validate(
        &self,
        sink: &SinkUrl,
        origin: &str,
        rate_per_minute: Option<u32>,
        callback: Option<&str>,
        timeout: Duration,
    ) -> ValidationAnswer {
        if let Err(refused) = self.policy.check_url(sink) {
            return ValidationAnswer::Unreachable(refused.to_string());
        }
        let mut request = self
            .client
            .request(http::Method::OPTIONS, sink.url().clone())
            .header(REQUEST_ORIGIN, origin)
            .timeout(timeout);
        if let Some(rate) = rate_per_minute {
            request = request.header("webhook-request-rate", rate.to_string());
        }
        if let Some(callback) = callback {
            request = request.header("webhook-request-callback", callback);
        }
        match request.send().await {
            Ok(response) => {
                let header = |name: &str| {
                    response
                        .headers()
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(|v| v.trim().to_owned())
                };
                ValidationAnswer::Answered {
                    status: response.status().as_u16(),
                    allowed_origin: header("webhook-allowed-origin"),
                    allowed_rate: header("webhook-allowed-rate"),
                }
            }
            Err(error) => ValidationAnswer::Unreachable(describe(&error)),
        }
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
                reply: None,
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
                reply: None,
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
                    reply: None,
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
        let headers = response.headers().clone();
        let carries_event =
            success && shared_events::http::carries_event(&headers).unwrap_or(false);
        let keep = match (success, carries_event) {
            (true, true) => REPLY_LIMIT,
            (true, false) => DRAIN,
            (false, _) => EXCERPT,
        };
        let mut body = Vec::new();
        let mut read_error = None;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if carries_event {
                        body.extend_from_slice(&chunk);
                    } else {
                        let room = EXCERPT.saturating_sub(body.len());
                        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    }
                    if body.len() >= keep {
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
        let reply = carries_event.then(|| {
            if let Some(error) = &read_error {
                return Err(format!("reading the reply failed: {}", describe(error)));
            }
            if body.len() > REPLY_LIMIT {
                return Err(format!("the reply is larger than {REPLY_LIMIT} bytes"));
            }
            match shared_events::http::decode_response(&headers, Bytes::from(body.clone())) {
                Ok(Some(shared_events::http::Incoming::Single(event, _))) => Ok(event),
                Ok(Some(_)) => Err("a batch is not a reply: answer one event".to_owned()),
                Ok(None) => Err("the response carries no event".to_owned()),
                Err(error) => Err(format!("the reply is not a valid CloudEvent: {error}")),
            }
        });
        if let Some(error) = read_error.filter(|_| success && !carries_event) {
            // The answer was 2xx but did not arrive whole: it still counts as taken.
            tracing::debug!(error = %describe(&error), "reading a 2xx response body failed");
        }
        Attempted {
            result: AttemptResult::Status { code, retry_after },
            latency,
            error: (!success).then(|| format!("the sink answered {code}")),
            response: (!success && !body.is_empty())
                .then(|| String::from_utf8_lossy(&body).into_owned()),
            reply,
        }
    }
}

/// Resolves a sink's host (once, with a deadline) and refuses it when any address it resolves
/// to is refused by `policy`: the subscription-time half of the SSRF guard. A name that does not
/// resolve now passes (it is checked again at connect time).
///
/// # Errors
/// [`SinkError`] naming the refused address.
pub async fn vet_sink(policy: &SinkPolicy, sink: &SinkUrl) -> Result<(), SinkError> {
    policy.check_url(sink)?;
    let Some(url::Host::Domain(host)) = sink.url().host() else {
        return Ok(());
    };
    let lookup = tokio::net::lookup_host((host, sink.url().port_or_known_default().unwrap_or(80)));
    let Ok(Ok(found)) = tokio::time::timeout(Duration::from_secs(2), lookup).await else {
        return Ok(());
    };
    for address in found {
        if !policy.allows(address.ip()) {
            return Err(SinkError::Forbidden(address.ip()));
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    #[tokio::test]
    async fn the_resolver_refuses_a_name_that_resolves_only_to_forbidden_addresses() {
        let strict = GuardedResolver {
            policy: SinkPolicy::for_listener(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        };
        let name: Name = "localhost".parse().expect("a name");
        assert!(strict.resolve(name).await.is_err());
        let local = GuardedResolver {
            policy: SinkPolicy::for_listener(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        };
        let name: Name = "localhost".parse().expect("a name");
        let addrs: Vec<SocketAddr> = local.resolve(name).await.expect("allowed").collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()));
    }

    #[tokio::test]
    async fn vetting_at_write_time_resolves_the_name() {
        let strict = SinkPolicy::for_listener(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let sink = SinkUrl::parse("http://localhost.:9/").expect("a sink");
        assert!(vet_sink(&strict, &sink).await.is_err());
    }
}
