//! Writer-side normalisation: `allOf` and `$ref` merged into one node, `anyOf`/`oneOf` split
//! into branches.
//!
//! Every step here may only *widen* the writer: the merged node admits at least every instance
//! the original admits. That is what keeps the check sound — proving that a wider writer is
//! readable proves the real one is. Where an exact merge would be costly (two `pattern`s, two
//! `anyOf`s) one side is kept, which widens.

use serde_json::{Map, Value};

use crate::same::{json_contains, json_eq};
use crate::schema::Node;
use crate::types::TypeSet;

const MAX_DEPTH: usize = 16;
const MAX_BRANCHES: usize = 64;

/// Merges `allOf` and `$ref` (with its siblings) into one node. An unresolvable `$ref` stays as
/// a keyword (so identity with the reader can still be seen) and is otherwise ignored.
pub(crate) fn flatten<'a>(node: &Node<'a>) -> Node<'a> {
    flatten_at(node, &mut Vec::new())
}

/// `seen` holds the `$ref` targets being merged further up: one met again is dropped (widening)
/// instead of being merged forever.
fn flatten_at<'a>(node: &Node<'a>, seen: &mut Vec<String>) -> Node<'a> {
    let Some(map) = node.map() else {
        return node.clone();
    };
    let all_of = map.get("allOf").and_then(Value::as_array);
    let target = node.resolve_ref().and_then(Result::ok);
    if all_of.is_none() && target.is_none() {
        return node.clone();
    }
    let target = target.filter(|t| !seen.contains(&t.ptr) && seen.len() < MAX_DEPTH);
    let only_ref = all_of.is_none()
        && map
            .keys()
            .all(|k| k == "$ref" || !crate::schema::is_constraint(k));
    if let (true, Some(target)) = (only_ref, &target) {
        seen.push(target.ptr.clone());
        let flat = flatten_at(target, seen);
        seen.pop();
        return flat;
    }
    let resolved = node.resolve_ref().is_some_and(|r| r.is_ok());
    let mut merged = if resolved {
        without(map, &["allOf", "$ref"])
    } else {
        without(map, &["allOf"])
    };
    if let Some(target) = target {
        seen.push(target.ptr.clone());
        merged = merge(&merged, &flatten_at(&target, seen).value);
        seen.pop();
    }
    if seen.len() < MAX_DEPTH {
        for i in 0..all_of.map_or(0, Vec::len) {
            if let Some(part) = node.child(&["allOf", &i.to_string()]) {
                seen.push(format!("{}#allOf", node.ptr));
                merged = merge(&merged, &flatten_at(&part, seen).value);
                seen.pop();
            }
        }
    }
    node.synthetic(merged, node.ptr.clone(), "&")
}

fn without(map: &Map<String, Value>, keywords: &[&str]) -> Value {
    Value::Object(
        map.iter()
            .filter(|(k, _)| !keywords.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

/// Splits a flattened writer node on `anyOf`/`oneOf` into branches, each merged with the
/// node's other keywords (`oneOf` read as `anyOf`, which widens). Past the limits the
/// combinator is dropped, which widens too.
pub(crate) fn split<'a>(node: &Node<'a>) -> Vec<Node<'a>> {
    let mut out = Vec::new();
    split_into(&flatten(node), 0, &mut out);
    out
}

fn split_into<'a>(node: &Node<'a>, depth: usize, out: &mut Vec<Node<'a>>) {
    let Some(map) = node.map() else {
        out.push(node.clone());
        return;
    };
    let Some((keyword, count)) = ["anyOf", "oneOf"].into_iter().find_map(|k| {
        map.get(k)
            .and_then(Value::as_array)
            .map(|items| (k, items.len()))
    }) else {
        out.push(node.clone());
        return;
    };
    let base = without(map, &[keyword]);
    if depth >= MAX_DEPTH || out.len() + count > MAX_BRANCHES {
        out.push(node.synthetic(without(map, &["anyOf", "oneOf"]), node.ptr.clone(), "|"));
        return;
    }
    for i in 0..count {
        let index = i.to_string();
        let Some(branch) = node.child(&[keyword, &index]) else {
            continue;
        };
        let branch = flatten(&branch);
        let merged = merge(&base, &branch.value);
        let merged = node.synthetic(merged, node.at(&[keyword, &index]), &format!("|{i}"));
        split_into(&flatten(&merged), depth + 1, out);
    }
}

/// Splits a writer node with several types into one node per type (`integer` folded into
/// `number`), so each can be matched with a different reader branch.
pub(crate) fn split_types<'a>(node: &Node<'a>) -> Vec<Node<'a>> {
    let (Some(types), Some(map)) = (node.types(), node.map()) else {
        return vec![node.clone()];
    };
    if node.get("type").is_none() || types.singles().count() < 2 {
        return vec![node.clone()];
    }
    types
        .singles()
        .map(|t| {
            let mut map = map.clone();
            let name = t.names().first().copied().unwrap_or("null");
            map.insert("type".into(), Value::from(name));
            node.synthetic(Value::Object(map), node.ptr.clone(), &format!(":{name}"))
        })
        .collect()
}

/// A schema admitting at least every instance both `a` and `b` admit (exact for most keywords).
pub(crate) fn merge(a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Bool(true), other) | (other, Value::Bool(true)) => other.clone(),
        (Value::Bool(false), _) | (_, Value::Bool(false)) => Value::Bool(false),
        (Value::Object(x), Value::Object(y)) => {
            let mut out = x.clone();
            for (keyword, value) in y {
                let merged = match x.get(keyword) {
                    None => value.clone(),
                    Some(mine) => merge_keyword(keyword, mine, value),
                };
                out.insert(keyword.clone(), merged);
            }
            if let (Some(p), Some(q)) = (x.get("const"), y.get("const")) {
                if !json_eq(p, q) {
                    // Two different constants: nothing is valid.
                    out.insert("enum".into(), Value::Array(Vec::new()));
                }
            }
            Value::Object(out)
        }
        // A malformed side: keep the other (dropping a writer constraint widens).
        (Value::Object(_), _) => a.clone(),
        _ => b.clone(),
    }
}

fn both(a: &Value, b: &Value) -> Value {
    if json_eq(a, b) {
        a.clone()
    } else {
        serde_json::json!({"allOf": [a, b]})
    }
}

fn merge_keyword(keyword: &str, a: &Value, b: &Value) -> Value {
    match keyword {
        "type" => {
            let set = |v: &Value| Node::root(v, crate::schema::Side::Writer).types();
            let wrap = |v: &Value| serde_json::json!({ "type": v });
            match (set(&wrap(a)), set(&wrap(b))) {
                (Some(x), Some(y)) => match x.meet(y).names().as_slice() {
                    [single] => Value::from(*single),
                    names => Value::from(names.to_vec()),
                },
                _ => a.clone(),
            }
        }
        "enum" => match (a.as_array(), b.as_array()) {
            (Some(x), Some(y)) => {
                Value::Array(x.iter().filter(|v| json_contains(y, v)).cloned().collect())
            }
            _ => a.clone(),
        },
        "required" => match (a.as_array(), b.as_array()) {
            (Some(x), Some(y)) => {
                let mut all = x.clone();
                all.extend(y.iter().filter(|v| !json_contains(x, v)).cloned());
                Value::Array(all)
            }
            _ => a.clone(),
        },
        "properties" | "patternProperties" => match (a.as_object(), b.as_object()) {
            (Some(x), Some(y)) => {
                let mut out = x.clone();
                for (name, schema) in y {
                    let merged = match x.get(name) {
                        Some(mine) => both(mine, schema),
                        None => schema.clone(),
                    };
                    out.insert(name.clone(), merged);
                }
                Value::Object(out)
            }
            _ => a.clone(),
        },
        "additionalProperties" | "items" => both(a, b),
        "prefixItems" => match (a.as_array(), b.as_array()) {
            (Some(x), Some(y)) => {
                let longest = x.len().max(y.len());
                Value::Array(
                    (0..longest)
                        .map(|i| match (x.get(i), y.get(i)) {
                            (Some(p), Some(q)) => both(p, q),
                            (Some(p), None) | (None, Some(p)) => p.clone(),
                            (None, None) => Value::Bool(true),
                        })
                        .collect(),
                )
            }
            _ => a.clone(),
        },
        "minimum" | "exclusiveMinimum" | "minLength" | "minItems" | "minProperties" => {
            pick(a, b, |x, y| x >= y)
        }
        "maximum" | "exclusiveMaximum" | "maxLength" | "maxItems" | "maxProperties" => {
            pick(a, b, |x, y| x <= y)
        }
        "uniqueItems" => Value::Bool(a.as_bool() == Some(true) || b.as_bool() == Some(true)),
        _ => a.clone(),
    }
}

fn pick(a: &Value, b: &Value, first_wins: impl Fn(f64, f64) -> bool) -> Value {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) if !first_wins(x, y) => b.clone(),
        _ => a.clone(),
    }
}

/// The concrete values a (flattened, split) writer node may take, when finitely many: from
/// `enum`/`const`, or from a type set within `null` and `boolean`.
pub(crate) fn finite_values(node: &Node<'_>) -> Option<Vec<Value>> {
    let from_enum = node.get("enum").and_then(Value::as_array).cloned();
    let from_const = node.get("const").cloned();
    let values = match (from_enum, from_const) {
        (Some(items), Some(c)) => items.into_iter().filter(|v| json_eq(v, &c)).collect(),
        (Some(items), None) => items,
        (None, Some(c)) => vec![c],
        (None, None) => {
            let types = node.types()?;
            if types.is_empty() || !TypeSet::NULL.union(TypeSet::BOOLEAN).contains(types) {
                return None;
            }
            let mut values = Vec::new();
            if types.contains(TypeSet::NULL) {
                values.push(Value::Null);
            }
            if types.contains(TypeSet::BOOLEAN) {
                values.extend([Value::Bool(false), Value::Bool(true)]);
            }
            values
        }
    };
    Some(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Side;
    use serde_json::json;

    #[test]
    fn all_of_and_refs_merge_into_one_node() {
        let doc = json!({
            "$defs": {"base": {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}},
            "allOf": [{"$ref": "#/$defs/base"}, {"properties": {"b": {"type": "integer"}}, "required": ["b"]}],
        });
        let flat = flatten(&Node::root(&doc, Side::Writer));
        assert_eq!(flat.get("type"), Some(&json!("object")));
        assert_eq!(flat.get("required"), Some(&json!(["a", "b"])));
        assert!(flat.get("properties").is_some_and(|p| p.get("b").is_some()));
    }

    #[test]
    fn any_of_splits_into_branches_merged_with_the_base() {
        let doc =
            json!({"title": "t", "minLength": 1, "anyOf": [{"type": "string"}, {"type": "null"}]});
        let branches = split(&Node::root(&doc, Side::Writer));
        assert_eq!(branches.len(), 2);
        assert_eq!(branches[0].get("minLength"), Some(&json!(1)));
        assert_eq!(branches[1].ptr, "/anyOf/1");
    }

    #[test]
    fn self_referencing_all_of_terminates() {
        let doc = json!({"allOf": [{"$ref": "#"}], "type": "string"});
        let flat = flatten(&Node::root(&doc, Side::Writer));
        assert_eq!(flat.get("type"), Some(&json!("string")));
    }

    #[test]
    fn finite_values_come_from_enum_const_and_small_types() {
        let doc = json!({"enum": ["a", "b"], "const": "b"});
        assert_eq!(
            finite_values(&Node::root(&doc, Side::Writer)),
            Some(vec![json!("b")])
        );
        let doc = json!({"type": ["boolean", "null"]});
        assert_eq!(
            finite_values(&Node::root(&doc, Side::Writer)).map(|v| v.len()),
            Some(3)
        );
        let doc = json!({"type": "string"});
        assert_eq!(finite_values(&Node::root(&doc, Side::Writer)), None);
    }
}
