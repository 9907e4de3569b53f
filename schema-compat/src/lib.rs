//! JSON Schema (draft 2020-12) compatibility checking with Confluent Schema Registry semantics.
//!
//! [`check`] decides whether a new schema may follow a history of earlier versions under a
//! compatibility [`Mode`] (`BACKWARD`, `FORWARD`, `FULL`, each optionally `_TRANSITIVE`, or
//! `NONE`). Each comparison asks one question, answered by [`can_read`]: *is every instance valid
//! under the writer schema also valid under the reader schema?* `BACKWARD` takes the new schema
//! as reader and the earlier version as writer, `FORWARD` the converse.
//!
//! The answer is sound: "compatible" means proven, and anything the checker cannot reason about
//! (a keyword like `if`/`then`/`else`, a remote `$ref`, a regex its engine refuses, limits
//! exceeded) fails closed with an [`FindingKind::UnsupportedKeyword`],
//! [`FindingKind::UnresolvedReference`] or [`FindingKind::TooComplex`] finding. The one
//! exception, documented: a keyword the checker cannot reason about is accepted where both
//! schemas carry it identically at the same place (the writer's data already satisfies it).
//! Keywords only the writer has are ignored, with a non-breaking finding, since dropping a writer
//! constraint only widens what the reader must accept.
//!
//! The project's writer schemas are closed (`additionalProperties: false`, from schemars).
//! With [`CheckOptions::open_reader_views`] (the default) the reader is taken with
//! `additionalProperties: false` relaxed, so optional fields can come and go in both directions
//! while real breaks (a field retyped, a new required field, an enum value removed, a bound
//! tightened) are refused. Turn it off for plain Confluent semantics.
//!
//! Findings are named after Confluent's JSON Schema differences
//! (`PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL`, `TYPE_NARROWED`, …), each with JSON pointers
//! into both schemas, a message, and whether it breaks compatibility.
//!
//! ```
//! use schema_compat::{check, CheckOptions, Mode};
//! use serde_json::json;
//!
//! let v1 = json!({"type": "object", "properties": {"id": {"type": "string"}},
//!                 "required": ["id"], "additionalProperties": false});
//! let v2 = json!({"type": "object", "properties": {"id": {"type": "string"},
//!                 "note": {"type": "string"}}, "required": ["id"], "additionalProperties": false});
//! let report = check(Mode::FullTransitive, &[v1], &v2, &CheckOptions::default());
//! assert!(report.compatible);
//! ```
//!
//! # What it reasons about, and where it departs from Confluent
//!
//! `type` (lists, `null`, `integer` within `number`), `properties`, `required`,
//! `additionalProperties` (`true`, `false`, a schema), `patternProperties`, `enum`, `const`,
//! `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `multipleOf` (exact decimal
//! arithmetic), `minLength`, `maxLength`, `minItems`, `maxItems`, `minProperties`,
//! `maxProperties`, `uniqueItems`, `pattern`, `format`, `items`, `prefixItems`, `allOf`, `anyOf`,
//! `oneOf`, local `$ref` (JSON pointer, `$anchor`, root `$id`) with `$defs`, recursion, and the
//! `true`/`false` schemas. Annotations (`title`, `description`, `examples`, `default`,
//! `deprecated`, `readOnly`, `writeOnly`, `$schema`, `$id`, `$comment`, …) and keywords outside
//! the draft 2020-12 vocabulary (`x-…`) are ignored.
//!
//! Fail closed (unless carried identically by both schemas at the same place): `not`,
//! `if`/`then`/`else`, `dependentSchemas`, `dependentRequired`, `propertyNames`,
//! `contains`/`minContains`/`maxContains`, `$dynamicRef`, `$recursiveRef`, the pre-2020
//! `dependencies` and `additionalItems`, and (only when the whole node is identical)
//! `unevaluatedProperties`/`unevaluatedItems`. Also a `$ref` that does not resolve inside its
//! document (remote, or under a nested `$id`), a regex the `regex` crate refuses (lookaround,
//! backreferences), a `$ref` cycle that never descends into the data, and schemas deeper or
//! larger than the checker's limits. When the writer is enumerated (`enum`, `const`, `boolean`,
//! `null`), each value is validated against the reader instead, and there `not`,
//! `if`/`then`/`else`, `dependent*`, `propertyNames` and `contains` are judged too.
//!
//! Departures, all on the safe side: a `required` property with a `default` is still required
//! (a validator does not fill defaults; Confluent's lenient mode accepts it); `format` is treated
//! as asserting (a format added or changed is breaking, except known widenings such as `int32`
//! → `int64`); two different `pattern`s are a narrowing unless the reader's plainly covers the
//! writer's (`^ord_` covers `^ord_[0-9]+$`); a `oneOf` in the reader needs its branches to be
//! provably disjoint for the writer's data. Patterns are run by the `regex` crate, whose Unicode
//! classes (`\d`, `\w`) are wider than ECMA-262's.
//!
//! # Layout
//!
//! - `mode`: [`Mode`] and [`Direction`].
//! - `kind`: [`FindingKind`], named after Confluent's differences; `finding`: [`Finding`],
//!   [`Report`].
//! - `check`: the core comparison of a reader node with a writer node, recursion guards, limits,
//!   unsupported keywords.
//! - `schema`: the view of one schema node (side, pointer, keywords, `$ref`); `reference`: local
//!   `$ref` resolution; `types`: JSON type sets; `same`: structural identity.
//! - `merge`: writer-side `allOf`/`$ref` merging and `anyOf`/`oneOf` splitting (always widening).
//! - One module per keyword family: `object` (content models) with `additional`
//!   (pattern and additional properties), `array` (tuples and items),
//!   `numeric` (bounds, `multipleOf`, with `decimal` for exact arithmetic), `string` (lengths,
//!   `pattern`, `format`, with `pattern` relations in `pattern`), `combinators` (reader-side
//!   `$ref`/`allOf`/`anyOf`/`oneOf`, `oneOf` disjointness), `enums` (enumerated writers,
//!   checked value by value with the small validator in `validate`), `bounds` (count bounds).

mod additional;
mod array;
mod bounds;
mod check;
mod combinators;
mod decimal;
mod enums;
mod finding;
mod kind;
mod merge;
mod mode;
mod numeric;
mod object;
mod pattern;
mod reference;
mod same;
mod schema;
mod string;
mod types;
mod validate;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use finding::{Finding, Report};
pub use kind::{FindingKind, ParseFindingKindError};
pub use mode::{Direction, Mode, ParseModeError};

/// How the comparison treats the schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CheckOptions {
    /// Take each reader with `additionalProperties: false` relaxed (an open reader view), so
    /// properties can be added and removed compatibly. `true` by default; `false` gives plain
    /// Confluent semantics, where removing a property from a closed model is breaking.
    pub open_reader_views: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            open_reader_views: true,
        }
    }
}

/// Whether every instance valid under `writer` is valid under `reader`: the findings, of which
/// none is breaking when it is. Findings carry version 0 and direction `BACKWARD`.
pub fn can_read(reader: &Value, writer: &Value, options: &CheckOptions) -> Vec<Finding> {
    check::Checker::new(options).run(reader, writer)
}

/// Checks `new` against `history` (oldest first) under `mode`.
///
/// The plain modes compare with the latest version only, the transitive ones with every
/// version; an empty history is always compatible. Each finding names the version it is against
/// (an index into `history`) and the direction of the comparison.
pub fn check(mode: Mode, history: &[Value], new: &Value, options: &CheckOptions) -> Report {
    let versions: Vec<usize> = match (mode, history.len()) {
        (Mode::None, _) | (_, 0) => Vec::new(),
        (mode, n) if mode.is_transitive() => (0..n).collect(),
        (_, n) => vec![n - 1],
    };
    let mut findings = Vec::new();
    for &version in &versions {
        let Some(old) = history.get(version) else {
            continue;
        };
        for &direction in mode.directions() {
            let (reader, writer) = match direction {
                Direction::Backward => (new, old),
                Direction::Forward => (old, new),
            };
            findings.extend(
                can_read(reader, writer, options)
                    .into_iter()
                    .map(|f| Finding {
                        version,
                        direction,
                        ..f
                    }),
            );
        }
    }
    Report {
        compatible: findings.iter().all(|f| !f.breaking),
        mode,
        versions_checked: versions,
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn closed(props: Value, required: &[&str]) -> Value {
        json!({"type": "object", "properties": props, "required": required, "additionalProperties": false})
    }

    #[test]
    fn transitive_modes_check_every_version_and_plain_ones_the_latest() {
        let v1 = closed(json!({"a": {"type": "string"}}), &["a"]);
        let v2 = closed(json!({"a": {"type": "string"}}), &[]);
        let v3 = closed(json!({"a": {"type": "string"}}), &["a"]);
        let plain = check(
            Mode::Backward,
            &[v1.clone(), v2.clone()],
            &v3,
            &CheckOptions::default(),
        );
        assert!(!plain.compatible);
        assert_eq!(plain.versions_checked, vec![1]);
        let transitive = check(
            Mode::ForwardTransitive,
            &[v1, v2],
            &v3,
            &CheckOptions::default(),
        );
        assert!(transitive.compatible, "{:#?}", transitive.findings);
        assert_eq!(transitive.versions_checked, vec![0, 1]);
    }

    #[test]
    fn findings_name_their_version_and_direction() {
        let v1 = closed(json!({"a": {"type": "string"}}), &[]);
        let v2 = closed(json!({"a": {"type": "integer"}}), &[]);
        let report = check(Mode::Full, &[v1], &v2, &CheckOptions::default());
        assert!(!report.compatible);
        assert!(
            report
                .findings
                .iter()
                .any(|f| f.direction == Direction::Backward)
        );
        assert!(
            report
                .findings
                .iter()
                .any(|f| f.direction == Direction::Forward)
        );
        assert!(report.findings.iter().all(|f| f.version == 0));
        let json = serde_json::to_value(&report).expect("a report serialises");
        assert_eq!(json["findings"][0]["kind"], json!("TYPE_CHANGED"));
    }

    #[test]
    fn none_and_empty_histories_are_compatible() {
        let v = json!({"type": "string"});
        assert!(check(Mode::None, &[json!(false)], &v, &CheckOptions::default()).compatible);
        assert!(check(Mode::Full, &[], &v, &CheckOptions::default()).compatible);
    }
}
