//! The validator's object and array keywords.

use serde_json::{Map, Value};

use super::{All, Outcome, unknown};
use crate::bounds::as_count;
use crate::check::Checker;
use crate::same::json_eq;
use crate::schema::Node;

impl Checker {
    pub(super) fn members(
        &mut self,
        node: &Node<'_>,
        map: &Map<String, Value>,
        object: &Map<String, Value>,
        depth: usize,
    ) -> Outcome {
        let mut acc = All::default();
        let patterns: Vec<&String> = map
            .get("patternProperties")
            .and_then(Value::as_object)
            .map(|p| p.keys().collect())
            .unwrap_or_default();
        for (name, member) in object {
            let mut matched = false;
            if let Some(sub) = node.child(&["properties", name]) {
                matched = true;
                all!(acc, self.validate_at(&sub, member, depth + 1));
            }
            for pattern in &patterns {
                match self.regex(pattern).map(|re| re.is_match(name)) {
                    Some(true) => {
                        matched = true;
                        if let Some(sub) = node.child(&["patternProperties", pattern]) {
                            all!(acc, self.validate_at(&sub, member, depth + 1));
                        }
                    }
                    Some(false) => {}
                    None => all!(acc, unknown(node, "patternProperties")),
                }
            }
            if !matched && !self.relaxed(node) {
                if let Some(sub) = node.child(&["additionalProperties"]) {
                    let outcome = self.validate_at(&sub, member, depth + 1);
                    all!(acc, blame(outcome, &sub, "additionalProperties"));
                }
            }
        }
        acc.finish()
    }

    pub(super) fn property_names(
        &mut self,
        node: &Node<'_>,
        object: &Map<String, Value>,
        depth: usize,
    ) -> Outcome {
        let Some(sub) = node.child(&["propertyNames"]) else {
            return unknown(node, "propertyNames");
        };
        let mut acc = All::default();
        for name in object.keys() {
            all!(
                acc,
                self.validate_at(&sub, &Value::String(name.clone()), depth + 1)
            );
        }
        acc.finish()
    }

    pub(super) fn items(&mut self, node: &Node<'_>, items: &[Value], depth: usize) -> Outcome {
        let prefix = node
            .get("prefixItems")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        let mut acc = All::default();
        for (i, item) in items.iter().enumerate() {
            let index = i.to_string();
            let sub = if i < prefix {
                node.child(&["prefixItems", &index])
            } else {
                node.child(&["items"])
            };
            if let Some(sub) = sub {
                let outcome = self.validate_at(&sub, item, depth + 1);
                all!(
                    acc,
                    blame(
                        outcome,
                        &sub,
                        if i < prefix { "prefixItems" } else { "items" }
                    )
                );
            }
        }
        acc.finish()
    }

    pub(super) fn contains(
        &mut self,
        node: &Node<'_>,
        map: &Map<String, Value>,
        items: &[Value],
        depth: usize,
    ) -> Outcome {
        let Some(sub) = node.child(&["contains"]) else {
            return unknown(node, "contains");
        };
        let mut matches = 0u64;
        for item in items {
            match self.validate_at(&sub, item, depth + 1) {
                Outcome::Valid => matches += 1,
                Outcome::Invalid(_) => {}
                Outcome::Unknown(f) => return Outcome::Unknown(f),
            }
        }
        let min = map.get("minContains").and_then(as_count).unwrap_or(1);
        let max = map
            .get("maxContains")
            .and_then(as_count)
            .unwrap_or(u64::MAX);
        Outcome::of(matches >= min && matches <= max, node, "contains")
    }
}

/// A `false` subschema refusing is the parent keyword refusing (`additionalProperties: false`).
fn blame(outcome: Outcome, sub: &Node<'_>, keyword: &str) -> Outcome {
    match outcome {
        Outcome::Invalid(mut f) if f.keyword == "false" && f.pointer == sub.ptr => {
            f.keyword = keyword.to_owned();
            Outcome::Invalid(f)
        }
        other => other,
    }
}

pub(super) fn object_counts(
    node: &Node<'_>,
    keyword: &str,
    arg: &Value,
    object: &Map<String, Value>,
) -> Outcome {
    match keyword {
        "required" => match node.strings(keyword) {
            Some(names) => Outcome::of(names.iter().all(|n| object.contains_key(n)), node, keyword),
            None => unknown(node, keyword),
        },
        "dependentRequired" => match arg.as_object() {
            Some(deps) => {
                let ok = deps
                    .iter()
                    .filter(|(n, _)| object.contains_key(*n))
                    .all(|(_, needed)| {
                        needed.as_array().is_some_and(|needed| {
                            needed
                                .iter()
                                .all(|n| n.as_str().is_some_and(|n| object.contains_key(n)))
                        })
                    });
                Outcome::of(ok, node, keyword)
            }
            None => unknown(node, keyword),
        },
        _ => match as_count(arg) {
            Some(limit) => {
                let size = object.len() as u64;
                Outcome::of(
                    if keyword == "minProperties" {
                        size >= limit
                    } else {
                        size <= limit
                    },
                    node,
                    keyword,
                )
            }
            None => unknown(node, keyword),
        },
    }
}

pub(super) fn array_counts(
    node: &Node<'_>,
    keyword: &str,
    arg: &Value,
    items: &[Value],
) -> Outcome {
    if keyword == "uniqueItems" {
        let unique = arg.as_bool() != Some(true)
            || items
                .iter()
                .enumerate()
                .all(|(i, a)| items.iter().skip(i + 1).all(|b| !json_eq(a, b)));
        return Outcome::of(unique, node, keyword);
    }
    match as_count(arg) {
        Some(limit) => {
            let size = items.len() as u64;
            Outcome::of(
                if keyword == "minItems" {
                    size >= limit
                } else {
                    size <= limit
                },
                node,
                keyword,
            )
        }
        None => unknown(node, keyword),
    }
}
