//! Inbound webhooks: third parties `POST /webhooks/{source}`; each source is configured with a
//! secret, a signature scheme and how its payloads become CloudEvents.
//!
//! - `standard` (Standard Webhooks): `webhook-id`, `webhook-timestamp` (within the tolerance,
//!   ±5 min by default) and `webhook-signature` (`v1,<base64>` entries, space-separated, any
//!   one matching), over `{id}.{timestamp}.{body}` with the `whsec_` key.
//! - `github`: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>` with the secret's
//!   bytes, `X-GitHub-Delivery` as the id (GitHub sends no timestamp to check).
//!
//! A verified request becomes a CloudEvent with `id` = the webhook id (so a replay is a
//! duplicate), `source` = the configured source URI and `data` = the payload, untouched.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use http::HeaderMap;
use serde::Deserialize;
use serde_json::Value;
use shared_events::{Event, EventBuilder, EventBuilderV10};
use subtle::ConstantTimeEq;

use crate::domain::WebhookSecret;

/// How a source signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// Standard Webhooks.
    Standard,
    /// GitHub's `X-Hub-Signature-256`.
    Github,
}

/// Where the CloudEvent type comes from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TypeMapping {
    /// A dotted path into the JSON payload (`type`, `data.kind`): the type is
    /// `com.example.<source>.<value>.v1`.
    pub field: Option<String>,
    /// A request header (`X-GitHub-Event`), mapped the same way.
    pub header: Option<String>,
    /// One fixed type for everything.
    pub fixed: Option<String>,
}

/// One source as written in the sources file.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SourceSpec {
    scheme: Scheme,
    secret: Option<String>,
    secret_env: Option<String>,
    source: Option<String>,
    #[serde(rename = "type")]
    type_mapping: TypeMapping,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourcesFile {
    sources: BTreeMap<String, SourceSpec>,
}

/// The key a source signs with.
#[derive(Clone)]
enum Key {
    Standard(WebhookSecret),
    Github(Vec<u8>),
}

/// A configured source. `Debug` never shows its secret.
#[derive(Clone)]
pub struct WebhookSource {
    /// The path segment (`/webhooks/{name}`).
    pub name: String,
    /// The CloudEvent `source` of its events.
    pub source: String,
    /// How its types are mapped.
    pub type_mapping: TypeMapping,
    key: Key,
}

impl std::fmt::Debug for WebhookSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSource")
            .field("name", &self.name)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// Why a request is not accepted as coming from its source: always a 401.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// A header the scheme needs is missing or unreadable.
    #[error("the `{0}` header is missing or unreadable")]
    MissingHeader(&'static str),
    /// No signature matches.
    #[error("no signature matches the source's secret")]
    BadSignature,
    /// The timestamp is too far from now.
    #[error("the webhook timestamp is more than {0}s away from the gateway's clock")]
    Stale(u64),
}

/// What a verified request is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Its webhook id (the CloudEvent id).
    pub id: String,
    /// When it was sent, if the scheme says.
    pub time: Option<DateTime<Utc>>,
}

/// Loads a sources file (YAML or TOML, by extension).
///
/// # Errors
/// When the file cannot be read or a source is invalid.
pub fn load(path: &Path) -> anyhow::Result<Vec<WebhookSource>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let file: SourcesFile = if path.extension().is_some_and(|e| e == "toml") {
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?
    } else {
        serde_yaml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?
    };
    file.sources
        .into_iter()
        .map(|(name, spec)| source_from_spec(name, spec))
        .collect()
}

fn source_from_spec(name: String, spec: SourceSpec) -> anyhow::Result<WebhookSource> {
    anyhow::ensure!(
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)),
        "source name `{name}`: use letters, digits, `-` and `_`"
    );
    let secret = match (spec.secret, spec.secret_env) {
        (Some(secret), None) => secret,
        (None, Some(var)) => std::env::var(&var)
            .with_context(|| format!("source `{name}`: environment variable {var} is not set"))?,
        _ => anyhow::bail!("source `{name}`: give exactly one of `secret` and `secretEnv`"),
    };
    let key = match spec.scheme {
        Scheme::Standard => Key::Standard(
            WebhookSecret::parse(&secret).map_err(|e| anyhow::anyhow!("source `{name}`: {e}"))?,
        ),
        Scheme::Github => Key::Github(secret.into_bytes()),
    };
    let t = &spec.type_mapping;
    anyhow::ensure!(
        [t.field.is_some(), t.header.is_some(), t.fixed.is_some()]
            .iter()
            .filter(|x| **x)
            .count()
            == 1,
        "source `{name}`: `type` needs exactly one of `field`, `header` and `fixed`"
    );
    Ok(WebhookSource {
        source: spec.source.unwrap_or_else(|| format!("/webhooks/{name}")),
        name,
        type_mapping: spec.type_mapping,
        key,
    })
}

fn header<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<&'a str, Rejection> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(Rejection::MissingHeader(name))
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

impl WebhookSource {
    /// Checks a request's signature (and, for Standard Webhooks, its timestamp).
    ///
    /// # Errors
    /// [`Rejection`] saying why it is not from this source.
    pub fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
        tolerance: Duration,
    ) -> Result<Verified, Rejection> {
        match &self.key {
            Key::Standard(secret) => {
                let id = header(headers, "webhook-id")?;
                let timestamp: i64 = header(headers, "webhook-timestamp")?
                    .parse()
                    .map_err(|_| Rejection::MissingHeader("webhook-timestamp"))?;
                let signatures = header(headers, "webhook-signature")?;
                let matched = signatures
                    .split(' ')
                    .filter_map(|entry| entry.split_once(','))
                    .filter(|(version, _)| *version == "v1")
                    .fold(false, |found, (_, sig)| {
                        secret.verifies(id, timestamp, body, sig) | found
                    });
                if !matched {
                    return Err(Rejection::BadSignature);
                }
                let skew = now.timestamp().abs_diff(timestamp);
                if skew > tolerance.as_secs() {
                    return Err(Rejection::Stale(tolerance.as_secs()));
                }
                Ok(Verified {
                    id: id.to_owned(),
                    time: DateTime::from_timestamp(timestamp, 0),
                })
            }
            Key::Github(key) => {
                let given = header(headers, "x-hub-signature-256")?;
                let given = given
                    .strip_prefix("sha256=")
                    .and_then(from_hex)
                    .ok_or(Rejection::BadSignature)?;
                let secret = GithubKey(key);
                if !bool::from(given.ct_eq(&secret.hmac(body))) {
                    return Err(Rejection::BadSignature);
                }
                let id = header(headers, "x-github-delivery")?;
                Ok(Verified {
                    id: id.to_owned(),
                    time: None,
                })
            }
        }
    }

    /// The CloudEvent type of a payload; `None` when the mapped field or header is missing.
    pub fn event_type(&self, headers: &HeaderMap, payload: Option<&Value>) -> Option<String> {
        let t = &self.type_mapping;
        if let Some(fixed) = &t.fixed {
            return Some(fixed.clone());
        }
        let raw = if let Some(path) = &t.field {
            let mut value = payload?;
            for part in path.split('.') {
                value = value.get(part)?;
            }
            value.as_str()?.to_owned()
        } else {
            headers.get(t.header.as_deref()?)?.to_str().ok()?.to_owned()
        };
        let event: String = raw
            .trim()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        (!event.is_empty()).then(|| format!("com.example.{}.{event}.v1", self.name))
    }

    /// The CloudEvent for a verified request: the payload untouched as its data.
    ///
    /// # Errors
    /// A message when the event cannot be built (an invalid source URI).
    pub fn to_event(
        &self,
        verified: &Verified,
        event_type: String,
        content_type: &str,
        body: &[u8],
        payload: Option<Value>,
    ) -> Result<Event, String> {
        let builder = EventBuilderV10::new()
            .id(verified.id.clone())
            .source(self.source.clone())
            .ty(event_type)
            .time(verified.time.unwrap_or_else(Utc::now));
        let builder = match payload {
            Some(json) => builder.data("application/json", json),
            None => builder.data(content_type.to_owned(), body.to_vec()),
        };
        builder.build().map_err(|e| e.to_string())
    }
}

/// A GitHub-style key: HMAC-SHA256 over the body alone.
struct GithubKey<'a>(&'a [u8]);

impl GithubKey<'_> {
    fn hmac(&self, body: &[u8]) -> Vec<u8> {
        use hmac::{Hmac, Mac};
        let mut mac =
            Hmac::<sha2::Sha256>::new_from_slice(self.0).expect("HMAC takes any key length");
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn github() -> WebhookSource {
        source_from_spec(
            "gh".to_owned(),
            SourceSpec {
                scheme: Scheme::Github,
                secret: Some("It's a Secret to Everybody".to_owned()),
                secret_env: None,
                source: None,
                type_mapping: TypeMapping {
                    field: None,
                    header: Some("x-github-event".to_owned()),
                    fixed: None,
                },
            },
        )
        .expect("valid")
    }

    #[test]
    fn a_github_signature_is_checked_against_githubs_documented_example() {
        // GitHub's documentation: secret "It's a Secret to Everybody", payload "Hello, World!".
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-hub-signature-256",
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
                .parse()
                .expect("a value"),
        );
        headers.insert("x-github-delivery", "d-1".parse().expect("a value"));
        headers.insert("x-github-event", "Push".parse().expect("a value"));
        let source = github();
        let ok = source.verify(
            &headers,
            b"Hello, World!",
            Utc::now(),
            Duration::from_secs(300),
        );
        assert_eq!(ok.map(|v| v.id), Ok("d-1".to_owned()));
        assert_eq!(
            source.verify(
                &headers,
                b"Hello, World?",
                Utc::now(),
                Duration::from_secs(300)
            ),
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            source.event_type(&headers, None).as_deref(),
            Some("com.example.gh.push.v1")
        );
    }

    #[test]
    fn types_come_from_a_payload_field() {
        let mut source = github();
        source.type_mapping = TypeMapping {
            field: Some("data.kind".to_owned()),
            header: None,
            fixed: None,
        };
        let payload = json!({"data": {"kind": "invoice.paid"}});
        assert_eq!(
            source
                .event_type(&HeaderMap::new(), Some(&payload))
                .as_deref(),
            Some("com.example.gh.invoice.paid.v1")
        );
        assert_eq!(source.event_type(&HeaderMap::new(), Some(&json!({}))), None);
    }
}
