//! Forwarding one event to a local endpoint, as `cectl listen` does: the exact bytes the
//! gateway stored (structured mode) or the binary-mode encoding of them, signed Standard
//! Webhooks style, with the answer's status and latency.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use shared_events::webhook::{self, WebhookSecret};
use url::Url;

use crate::client::root_cause;

/// How events are sent on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ForwardFormat {
    /// The whole event as application/cloudevents+json, byte for byte as the gateway stored it
    Structured,
    /// Attributes in ce- headers, the data as the body
    Binary,
}

/// The attributes a forwarder reads from an event.
#[derive(Debug, Clone, Deserialize)]
pub struct Summary {
    /// `id`.
    pub id: String,
    /// `source`.
    pub source: String,
    /// `type`.
    #[serde(rename = "type")]
    pub ty: String,
}

/// A request ready to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Its headers (content type, `ce-` attributes in binary mode, the signature).
    pub headers: HeaderMap,
    /// Its body.
    pub body: Bytes,
}

/// What the endpoint did with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// It answered this status.
    Status(u16),
    /// It did not answer: connection refused, timed out.
    Failed(String),
}

impl Answer {
    /// Whether it took the event (a 2xx).
    pub fn is_success(&self) -> bool {
        matches!(self, Self::Status(s) if (200..300).contains(s))
    }
}

/// The Standard Webhooks message id of an event: stable across deliveries of the same
/// (`source`, `id`), so a receiver can use it to deduplicate; it never contains a `.`.
pub fn message_id(event: &Summary) -> String {
    let digest = Sha256::new()
        .chain_update(event.source.as_bytes())
        .chain_update([0])
        .chain_update(event.id.as_bytes())
        .finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("msg_{hex}")
}

/// The request for `stored` (a structured-mode event as the gateway stored it) in `format`,
/// signed with `secret` at `timestamp` (Unix seconds).
///
/// # Errors
/// A message when binary mode is asked for and the event cannot be decoded or encoded.
pub fn prepare(
    stored: &[u8],
    event: &Summary,
    format: ForwardFormat,
    secret: &WebhookSecret,
    timestamp: i64,
) -> Result<Outgoing, String> {
    let (mut headers, body) = match format {
        ForwardFormat::Structured => {
            let mut headers = HeaderMap::new();
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/cloudevents+json; charset=utf-8"),
            );
            (headers, Bytes::copy_from_slice(stored))
        }
        ForwardFormat::Binary => {
            let decoded = shared_events::format::from_slice(stored)
                .map_err(|e| format!("the event cannot be read: {e}"))?;
            shared_events::http::encode_binary(&decoded)
                .map_err(|e| format!("the event cannot be encoded in binary mode: {e}"))?
        }
    };
    let id = message_id(event);
    let signature = secret.sign(&id, timestamp, &body);
    for (name, value) in [
        (webhook::ID_HEADER, id),
        (webhook::TIMESTAMP_HEADER, timestamp.to_string()),
        (webhook::SIGNATURE_HEADER, signature),
    ] {
        let value = HeaderValue::from_str(&value).map_err(|e| e.to_string())?;
        headers.insert(name, value);
    }
    Ok(Outgoing { headers, body })
}

/// POSTs `outgoing` to `url`; the answer and how long it took.
pub async fn send(
    http: &reqwest::Client,
    url: &Url,
    outgoing: Outgoing,
    timeout: Duration,
) -> (Answer, Duration) {
    let started = Instant::now();
    let result = http
        .post(url.clone())
        .headers(outgoing.headers)
        .body(outgoing.body)
        .timeout(timeout)
        .send()
        .await;
    let answer = match result {
        Ok(response) => {
            let status = response.status().as_u16();
            // Read the body so the connection can be reused; its content is not shown.
            let _ = response.bytes().await;
            Answer::Status(status)
        }
        Err(e) if e.is_timeout() => Answer::Failed(format!("timed out after {timeout:?}")),
        Err(e) => Answer::Failed(root_cause(&e)),
    };
    (answer, started.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORED: &[u8] = br#"{"specversion":"1.0","id":"e-1","source":"/s","type":"t.v1","datacontenttype":"application/json","data":{"n":1}}"#;

    fn summary() -> Summary {
        serde_json::from_slice(STORED).expect("a summary")
    }

    fn secret() -> WebhookSecret {
        WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("a secret")
    }

    #[test]
    fn structured_mode_sends_the_stored_bytes_signed() {
        let now = chrono::Utc::now();
        let out = prepare(
            STORED,
            &summary(),
            ForwardFormat::Structured,
            &secret(),
            now.timestamp(),
        )
        .expect("prepared");
        assert_eq!(&out.body[..], STORED);
        assert_eq!(
            out.headers[CONTENT_TYPE],
            "application/cloudevents+json; charset=utf-8"
        );
        let tolerance = Duration::from_secs(5);
        webhook::verify(&secret(), &out.headers, &out.body, now, tolerance).expect("verifies");
    }

    #[test]
    fn binary_mode_signs_the_data_it_sends() {
        let now = chrono::Utc::now();
        let out = prepare(
            STORED,
            &summary(),
            ForwardFormat::Binary,
            &secret(),
            now.timestamp(),
        )
        .expect("prepared");
        assert_eq!(out.headers["ce-id"], "e-1");
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&out.body).expect("JSON"),
            serde_json::json!({"n": 1})
        );
        webhook::verify(
            &secret(),
            &out.headers,
            &out.body,
            now,
            Duration::from_secs(5),
        )
        .expect("verifies");
    }

    #[test]
    fn message_ids_are_stable_per_event_and_dotless() {
        let a = summary();
        assert_eq!(message_id(&a), message_id(&summary()));
        let mut b = summary();
        b.source = "/other".into();
        assert_ne!(message_id(&a), message_id(&b));
        assert!(!message_id(&a).contains('.'));
    }
}
