//! A small validator for concrete values (a writer's `enum`/`const` values, discriminators),
//! answering valid, invalid (with the refusing keyword) or unknown (fail closed). `format` is
//! left to the structural check; the reader's `additionalProperties: false` is relaxed as the
//! options say.

use serde_json::Value;

use crate::bounds::as_count;
use crate::check::Checker;
use crate::decimal::is_multiple;
use crate::same::{json_contains, json_eq};
use crate::schema::Node;
use crate::types::TypeSet;

const MAX_DEPTH: usize = 64;

/// Where and why a value was refused (or could not be judged).
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    /// The keyword that refused.
    pub keyword: String,
    /// Its JSON pointer in the schema.
    pub pointer: String,
    /// For `enum`/`const`: the values the keyword allows.
    pub allowed: Option<Vec<Value>>,
}

/// The verdict on one value.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    Valid,
    Invalid(Failure),
    Unknown(Failure),
}

impl Outcome {
    fn of(ok: bool, node: &Node<'_>, keyword: &str) -> Outcome {
        if ok {
            Outcome::Valid
        } else {
            Outcome::Invalid(failure(node, keyword))
        }
    }

    pub fn is_invalid(&self) -> bool {
        matches!(self, Outcome::Invalid(_))
    }
}

fn failure(node: &Node<'_>, keyword: &str) -> Failure {
    Failure {
        keyword: keyword.to_owned(),
        pointer: node.at(&[keyword]),
        allowed: None,
    }
}

fn unknown(node: &Node<'_>, keyword: &str) -> Outcome {
    Outcome::Unknown(failure(node, keyword))
}

/// Folds conjunctive outcomes: the first invalid wins, else the first unknown.
#[derive(Default)]
struct All(Option<Failure>);

impl All {
    fn add(&mut self, outcome: Outcome) -> Option<Outcome> {
        match outcome {
            Outcome::Valid => None,
            Outcome::Invalid(f) => Some(Outcome::Invalid(f)),
            Outcome::Unknown(f) => {
                self.0.get_or_insert(f);
                None
            }
        }
    }

    fn finish(self) -> Outcome {
        self.0.map_or(Outcome::Valid, Outcome::Unknown)
    }
}

macro_rules! all {
    ($acc:expr, $outcome:expr) => {
        if let Some(invalid) = $acc.add($outcome) {
            return invalid;
        }
    };
}

mod containers;

use containers::{array_counts, object_counts};

impl Checker {
    /// Validates `value` against `node`.
    pub(crate) fn validate(&mut self, node: &Node<'_>, value: &Value) -> Outcome {
        self.validate_at(node, value, 0)
    }

    fn validate_at(&mut self, node: &Node<'_>, value: &Value, depth: usize) -> Outcome {
        let map = match &*node.value {
            Value::Bool(true) => return Outcome::Valid,
            Value::Bool(false) => {
                return Outcome::Invalid(Failure {
                    keyword: "false".to_owned(),
                    pointer: node.ptr.clone(),
                    allowed: None,
                });
            }
            Value::Object(map) => map,
            _ => return unknown(node, "schema"),
        };
        if depth > MAX_DEPTH || !self.spend() {
            return unknown(node, "$ref");
        }
        let mut acc = All::default();
        let mut members_done = false;
        let mut items_done = false;
        for (keyword, arg) in map {
            let outcome = match keyword.as_str() {
                "type" => match node.types() {
                    Some(types) => Outcome::of(types.admits(TypeSet::of(value)), node, keyword),
                    None => unknown(node, keyword),
                },
                "enum" => match arg.as_array() {
                    Some(items) => with_allowed(
                        Outcome::of(json_contains(items, value), node, keyword),
                        items,
                    ),
                    None => unknown(node, keyword),
                },
                "const" => with_allowed(
                    Outcome::of(json_eq(arg, value), node, keyword),
                    std::slice::from_ref(arg),
                ),
                "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => {
                    match (value.as_f64(), arg.as_f64()) {
                        (None, _) => Outcome::Valid,
                        (Some(v), Some(limit)) => {
                            let ok = match keyword.as_str() {
                                "minimum" => v >= limit,
                                "maximum" => v <= limit,
                                "exclusiveMinimum" => v > limit,
                                _ => v < limit,
                            };
                            Outcome::of(ok, node, keyword)
                        }
                        (Some(_), None) => unknown(node, keyword),
                    }
                }
                "multipleOf" => match (value.as_number(), arg.as_number()) {
                    (None, _) => Outcome::Valid,
                    (Some(v), Some(d)) => match is_multiple(v, d) {
                        Some(ok) => Outcome::of(ok, node, keyword),
                        None => unknown(node, keyword),
                    },
                    (Some(_), None) => unknown(node, keyword),
                },
                "minLength" | "maxLength" => match (value.as_str(), as_count(arg)) {
                    (None, _) => Outcome::Valid,
                    (Some(s), Some(limit)) => {
                        let length = s.chars().count() as u64;
                        let ok = if keyword == "minLength" {
                            length >= limit
                        } else {
                            length <= limit
                        };
                        Outcome::of(ok, node, keyword)
                    }
                    (Some(_), None) => unknown(node, keyword),
                },
                "pattern" => match (value.as_str(), arg.as_str()) {
                    (None, _) => Outcome::Valid,
                    (Some(s), Some(p)) => match self.regex(p) {
                        Some(re) => Outcome::of(re.is_match(s), node, keyword),
                        None => unknown(node, keyword),
                    },
                    (Some(_), None) => unknown(node, keyword),
                },
                "properties" | "patternProperties" | "additionalProperties" if !members_done => {
                    members_done = true;
                    match value.as_object() {
                        Some(object) => self.members(node, map, object, depth),
                        None => Outcome::Valid,
                    }
                }
                "required" | "minProperties" | "maxProperties" | "dependentRequired" => {
                    match value.as_object() {
                        Some(object) => object_counts(node, keyword, arg, object),
                        None => Outcome::Valid,
                    }
                }
                "propertyNames" => match value.as_object() {
                    Some(object) => self.property_names(node, object, depth),
                    None => Outcome::Valid,
                },
                "dependentSchemas" => match (value.as_object(), arg.as_object()) {
                    (None, _) => Outcome::Valid,
                    (Some(object), Some(deps)) => {
                        let mut inner = All::default();
                        for name in deps.keys().filter(|n| object.contains_key(*n)) {
                            if let Some(sub) = node.child(&[keyword, name]) {
                                all!(inner, self.validate_at(&sub, value, depth + 1));
                            }
                        }
                        inner.finish()
                    }
                    (Some(_), None) => unknown(node, keyword),
                },
                "prefixItems" | "items" if !items_done => {
                    items_done = true;
                    match value.as_array() {
                        Some(items) => self.items(node, items, depth),
                        None => Outcome::Valid,
                    }
                }
                "minItems" | "maxItems" | "uniqueItems" => match value.as_array() {
                    Some(items) => array_counts(node, keyword, arg, items),
                    None => Outcome::Valid,
                },
                "contains" => match value.as_array() {
                    Some(items) => self.contains(node, map, items, depth),
                    None => Outcome::Valid,
                },
                "allOf" | "anyOf" | "oneOf" => self.combinator(node, keyword, value, depth),
                "not" => match node.child(&[keyword]) {
                    Some(sub) => match self.validate_at(&sub, value, depth + 1) {
                        Outcome::Valid => Outcome::Invalid(failure(node, keyword)),
                        Outcome::Invalid(_) => Outcome::Valid,
                        Outcome::Unknown(f) => Outcome::Unknown(f),
                    },
                    None => unknown(node, keyword),
                },
                "if" => self.conditional(node, value, depth),
                "$ref" => match node.resolve_ref() {
                    Some(Ok(target)) => self.validate_at(&target, value, depth + 1),
                    _ => unknown(node, keyword),
                },
                "unevaluatedProperties"
                | "unevaluatedItems"
                | "$dynamicRef"
                | "$recursiveRef"
                | "dependencies"
                | "additionalItems" => unknown(node, keyword),
                _ => Outcome::Valid,
            };
            all!(acc, outcome);
        }
        acc.finish()
    }

    fn combinator(
        &mut self,
        node: &Node<'_>,
        keyword: &str,
        value: &Value,
        depth: usize,
    ) -> Outcome {
        let count = node
            .get(keyword)
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if node.get(keyword).and_then(Value::as_array).is_none() {
            return unknown(node, keyword);
        }
        let (mut valid, mut unknowns, mut first_invalid) = (0usize, None, None);
        for i in 0..count {
            let Some(sub) = node.child(&[keyword, &i.to_string()]) else {
                continue;
            };
            match self.validate_at(&sub, value, depth + 1) {
                Outcome::Valid => valid += 1,
                Outcome::Invalid(f) => {
                    first_invalid.get_or_insert(f);
                }
                Outcome::Unknown(f) => {
                    unknowns.get_or_insert(f);
                }
            }
        }
        match (keyword, unknowns) {
            ("allOf", _) if first_invalid.is_some() => {
                Outcome::Invalid(first_invalid.unwrap_or_else(|| failure(node, keyword)))
            }
            ("allOf", Some(f)) => Outcome::Unknown(f),
            ("allOf", None) => Outcome::Valid,
            ("anyOf", _) if valid > 0 => Outcome::Valid,
            ("oneOf", _) if valid > 1 => Outcome::Invalid(failure(node, keyword)),
            (_, Some(f)) => Outcome::Unknown(f),
            ("oneOf", None) if valid == 1 => Outcome::Valid,
            _ => Outcome::Invalid(failure(node, keyword)),
        }
    }

    fn conditional(&mut self, node: &Node<'_>, value: &Value, depth: usize) -> Outcome {
        let Some(condition) = node.child(&["if"]) else {
            return unknown(node, "if");
        };
        let branch = match self.validate_at(&condition, value, depth + 1) {
            Outcome::Valid => "then",
            Outcome::Invalid(_) => "else",
            Outcome::Unknown(f) => return Outcome::Unknown(f),
        };
        match node.child(&[branch]) {
            Some(sub) => match self.validate_at(&sub, value, depth + 1) {
                Outcome::Invalid(_) => Outcome::Invalid(failure(node, "if")),
                other => other,
            },
            None => Outcome::Valid,
        }
    }
}

fn with_allowed(outcome: Outcome, allowed: &[Value]) -> Outcome {
    match outcome {
        Outcome::Invalid(mut f) => {
            f.allowed = Some(allowed.to_vec());
            Outcome::Invalid(f)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CheckOptions;
    use crate::schema::Side;
    use serde_json::json;

    fn verdict(schema: &Value, value: &Value, open: bool) -> &'static str {
        let mut ck = Checker::new(&CheckOptions {
            open_reader_views: open,
        });
        match ck.validate(&Node::root(schema, Side::Reader), value) {
            Outcome::Valid => "valid",
            Outcome::Invalid(_) => "invalid",
            Outcome::Unknown(_) => "unknown",
        }
    }

    #[test]
    fn values_are_judged_by_the_supported_keywords() {
        let schema = json!({"type": "number", "multipleOf": 0.1, "maximum": 1});
        assert_eq!(verdict(&schema, &json!(0.3), true), "valid");
        assert_eq!(verdict(&schema, &json!(0.35), true), "invalid");
        assert_eq!(verdict(&schema, &json!(1.1), true), "invalid");
        let one_of = json!({"oneOf": [{"type": "integer"}, {"minimum": 0}]});
        assert_eq!(verdict(&one_of, &json!(-1), true), "valid");
        assert_eq!(verdict(&one_of, &json!(1), true), "invalid");
        let conditional =
            json!({"if": {"const": "a"}, "then": {"minLength": 1}, "else": {"maxLength": 0}});
        assert_eq!(verdict(&conditional, &json!("a"), true), "valid");
        assert_eq!(verdict(&conditional, &json!("b"), true), "invalid");
    }

    #[test]
    fn closed_readers_are_relaxed_by_the_open_view() {
        let schema =
            json!({"type": "object", "properties": {"a": {}}, "additionalProperties": false});
        let value = json!({"a": 1, "b": 2});
        assert_eq!(verdict(&schema, &value, true), "valid");
        assert_eq!(verdict(&schema, &value, false), "invalid");
    }

    #[test]
    fn keywords_beyond_the_validator_are_unknown() {
        let schema = json!({"unevaluatedProperties": false});
        assert_eq!(verdict(&schema, &json!({}), true), "unknown");
        let schema = json!({"pattern": "(?=lookahead)"});
        assert_eq!(verdict(&schema, &json!("x"), true), "unknown");
    }
}
