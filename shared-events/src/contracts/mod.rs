//! Consumer contracts: each consumer commits what it expects of the events it reads, as a Pact
//! V4 message pact (`contracts/<consumer>/<provider>.json`), and the producer's tests check every
//! event its real code builds against every expectation for that event's type.
//!
//! An expectation (one `Asynchronous/Messages` interaction) names the event by its `type` in
//! `metadata` and holds:
//! - `metadata`: the CloudEvents attributes the consumer relies on, with example values;
//! - `contents.content`: an example `data`, with only the fields the consumer uses;
//! - `matchingRules`: how strictly to compare (`metadata` rules by attribute name, `body` rules
//!   by path `$.a.b[*]`); without a rule a value must equal the example.
//!
//! Verification follows Pact's rules: every attribute and field of the example must be present
//! in the event (extra ones are fine), compared by its matcher or by equality; a `type` matcher
//! cascades to the children. Matchers implemented: `type` (with `min`/`max` for arrays),
//! `regex`, `integer`, `decimal`, `number`, `boolean`, `include`, `equality`, `notEmpty`.
//!
//! [`broken_by`] answers the other question, asked when a schema change is refused: whose
//! example does the new schema reject? Missing-field errors are not counted (a consumer that
//! does not mention a field does not rely on it), so what remains is a field the consumer uses
//! that was removed or retyped.

mod matchers;

pub use matchers::{Mismatch, verify_interaction};

use cloudevents::Event;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// The interaction type of a message pact.
pub const MESSAGE_INTERACTION: &str = "Asynchronous/Messages";

/// A party of a pact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pacticipant {
    /// Its name (`order-service`).
    pub name: String,
}

/// A Pact V4 file: one consumer's expectations of one provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pact {
    /// Who reads the events.
    pub consumer: Pacticipant,
    /// Who produces them.
    pub provider: Pacticipant,
    /// One expectation per event type (or per variant of one).
    pub interactions: Vec<Interaction>,
    /// `{"pactSpecification": {"version": "4.0"}}`.
    #[serde(default)]
    pub metadata: Value,
}

/// One expected message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Interaction {
    /// `Asynchronous/Messages`.
    #[serde(rename = "type")]
    pub interaction_type: String,
    /// What the consumer expects, in words.
    pub description: String,
    /// An optional unique key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The example data.
    pub contents: Contents,
    /// The CloudEvents attributes relied on, with example values (`type` names the event).
    #[serde(default)]
    pub metadata: Map<String, Value>,
    /// How to compare.
    #[serde(default)]
    pub matching_rules: MatchingRules,
    /// A pending expectation is reported but does not fail verification.
    #[serde(default)]
    pub pending: bool,
}

impl Interaction {
    /// The CloudEvents `type` this expectation is about.
    pub fn event_type(&self) -> Option<&str> {
        self.metadata.get("type").and_then(Value::as_str)
    }
}

/// A message body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contents {
    /// The example `data`.
    pub content: Value,
    /// Its media type.
    #[serde(default)]
    pub content_type: Option<String>,
    /// `false`: the content is JSON, not an encoded string.
    #[serde(default)]
    pub encoded: Value,
}

/// Matching rules by category.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MatchingRules {
    /// Rules for `data`, keyed by path (`$.items[*].sku`).
    #[serde(default)]
    pub body: Map<String, Value>,
    /// Rules for attributes, keyed by attribute name.
    #[serde(default)]
    pub metadata: Map<String, Value>,
}

/// A contract file that could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct ContractError {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub reason: String,
}

/// The workspace's `contracts/` directory (as seen from this crate's sources).
pub fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("contracts")
}

/// Every pact under `dir` (`<dir>/<consumer>/<provider>.json`), sorted by path. A missing
/// directory holds none.
///
/// # Errors
/// A [`ContractError`] for the first file that cannot be read or is not a pact.
pub fn load_dir(dir: &Path) -> Result<Vec<(PathBuf, Pact)>, ContractError> {
    let mut files: Vec<PathBuf> = Vec::new();
    let Ok(consumers) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    for consumer in consumers.flatten() {
        let Ok(entries) = std::fs::read_dir(consumer.path()) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let error = |reason: String| ContractError {
                path: path.clone(),
                reason,
            };
            let text = std::fs::read_to_string(&path).map_err(|e| error(e.to_string()))?;
            let pact: Pact = serde_json::from_str(&text).map_err(|e| error(e.to_string()))?;
            Ok((path, pact))
        })
        .collect()
}

/// Checks `event` against every expectation in `pacts` about its type: the mismatches, empty
/// when every consumer is satisfied. Pending expectations are skipped.
pub fn verify(event: &Event, pacts: &[(PathBuf, Pact)]) -> Vec<Mismatch> {
    use cloudevents::AttributesReader;
    pacts
        .iter()
        .flat_map(|(_, pact)| {
            pact.interactions
                .iter()
                .filter(|i| !i.pending && i.event_type() == Some(event.ty()))
                .flat_map(move |i| verify_interaction(event, &pact.consumer.name, i))
        })
        .collect()
}

/// A consumer whose expectation a schema change breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenConsumer {
    /// The consumer.
    pub consumer: String,
    /// The expectation.
    pub description: String,
    /// What the new schema rejects in its example, with the JSON pointer.
    pub reason: String,
}

impl std::fmt::Display for BrokenConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.consumer, self.description, self.reason
        )
    }
}

/// The consumers (from the pacts under `dir`) whose example data for `event_type` the schema
/// `new_schema` rejects, ignoring fields the example leaves out. Unreadable pacts are skipped:
/// this only enriches an error message.
pub fn broken_by(dir: &Path, event_type: &str, new_schema: &Value) -> Vec<BrokenConsumer> {
    let Ok(pacts) = load_dir(dir) else {
        return Vec::new();
    };
    let Ok(validator) = jsonschema::validator_for(new_schema) else {
        return Vec::new();
    };
    let mut broken = Vec::new();
    for (_, pact) in &pacts {
        for interaction in &pact.interactions {
            if interaction.event_type() != Some(event_type) {
                continue;
            }
            let reasons: Vec<String> = validator
                .iter_errors(&interaction.contents.content)
                .filter(|e| {
                    !matches!(
                        e.kind,
                        jsonschema::error::ValidationErrorKind::Required { .. }
                    )
                })
                .map(|e| {
                    let pointer = e.instance_path.to_string();
                    let at = if pointer.is_empty() {
                        "/"
                    } else {
                        pointer.as_str()
                    };
                    format!("at {at}: {e}")
                })
                .collect();
            if !reasons.is_empty() {
                broken.push(BrokenConsumer {
                    consumer: pact.consumer.name.clone(),
                    description: interaction.description.clone(),
                    reason: reasons.join("; "),
                });
            }
        }
    }
    broken
}
