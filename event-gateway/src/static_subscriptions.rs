//! Static subscriptions from a file (`--subscriptions`), YAML or TOML by extension, upserted at
//! start. Each entry has the shape of a `POST /subscriptions` body and must name its `id`, so a
//! restart updates rather than duplicates it.
//!
//! ```yaml
//! subscriptions:
//!   - id: payments
//!     sink: http://127.0.0.1:8082/events
//!     filters: [{ prefix: { type: com.example.payment. } }]
//! ```

use std::path::Path;

use anyhow::{Context as _, bail};
use serde_json::Value;

use crate::domain::{DeliveryPolicy, SinkPolicy, Subscription};

/// Reads and validates every subscription in `path`.
///
/// # Errors
/// When the file cannot be read or parsed, or an entry is invalid (named by index and field).
pub fn load(
    path: &Path,
    defaults: &DeliveryPolicy,
    policy: &SinkPolicy,
) -> anyhow::Result<Vec<Subscription>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let document: Value = match extension.as_str() {
        "toml" => {
            toml::from_str(&text).with_context(|| format!("parsing {} as TOML", path.display()))?
        }
        "yaml" | "yml" | "json" => serde_yaml::from_str(&text)
            .with_context(|| format!("parsing {} as YAML", path.display()))?,
        other => bail!(
            "{}: unknown extension `{other}`; use .yaml, .yml or .toml",
            path.display()
        ),
    };
    parse(&document, defaults, policy).with_context(|| format!("in {}", path.display()))
}

/// Validates a parsed document: `{subscriptions: [...]}`.
///
/// # Errors
/// When an entry is invalid.
pub fn parse(
    document: &Value,
    defaults: &DeliveryPolicy,
    policy: &SinkPolicy,
) -> anyhow::Result<Vec<Subscription>> {
    let Some(entries) = document.get("subscriptions").and_then(Value::as_array) else {
        bail!("the file must have a `subscriptions` list");
    };
    entries
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            if entry.get("id").and_then(Value::as_str).is_none() {
                bail!("subscriptions[{i}].id is required in a static subscription");
            }
            let sub = Subscription::from_json(entry, None, defaults)
                .map_err(|e| anyhow::anyhow!("subscriptions[{i}].{}: {}", e.field, e.message))?;
            if let Some(sink) = &sub.sink {
                policy
                    .check_url(sink)
                    .map_err(|e| anyhow::anyhow!("subscriptions[{i}].sink: {e}"))?;
            }
            Ok(sub)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> SinkPolicy {
        SinkPolicy {
            allow_loopback: true,
            ..SinkPolicy::default()
        }
    }

    #[test]
    fn yaml_and_toml_files_give_the_same_subscriptions() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let yaml = dir.path().join("subs.yaml");
        std::fs::write(&yaml, "subscriptions:\n  - id: pay\n    sink: http://127.0.0.1:1/\n    filters: [{prefix: {type: com.example.payment.}}]\n    delivery: {retry: 2}\n").expect("written");
        let toml = dir.path().join("subs.toml");
        std::fs::write(&toml, "[[subscriptions]]\nid = \"pay\"\nsink = \"http://127.0.0.1:1/\"\nfilters = [{prefix = {type = \"com.example.payment.\"}}]\ndelivery = {retry = 2}\n").expect("written");
        let defaults = DeliveryPolicy::default();
        let a = load(&yaml, &defaults, &policy()).expect("valid YAML");
        let b = load(&toml, &defaults, &policy()).expect("valid TOML");
        assert_eq!(a, b);
        assert_eq!(a[0].delivery.retry, 2);
    }

    #[test]
    fn an_invalid_entry_is_named_by_index_and_field() {
        let doc = serde_json::json!({"subscriptions": [{"id": "a", "sink": "http://127.0.0.1:1/"}, {"id": "b", "sink": "http://127.0.0.1:1/", "delivery": {"timeout": "soon"}}]});
        let error = parse(&doc, &DeliveryPolicy::default(), &policy())
            .expect_err("invalid")
            .to_string();
        assert!(
            error.contains("subscriptions[1].delivery.timeout"),
            "{error}"
        );
    }
}
