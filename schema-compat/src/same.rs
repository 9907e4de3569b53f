//! Structural identity of two schema nodes, possibly in different documents: equal keywords,
//! with local `$ref`s followed on both sides and annotations ignored.
//!
//! Used as a shortcut (identical nodes are compatible) and to accept keywords the checker cannot
//! reason about when both schemas carry them identically at the same place.

use std::collections::HashSet;

use serde_json::Value;

use crate::schema::{Node, SCHEMA_LISTS, SCHEMA_MAPS, SCHEMA_VALUED, is_constraint};

const MAX_DEPTH: usize = 64;

/// JSON equality with numbers compared by value (`1` equals `1.0`), as JSON Schema's `enum`
/// and `const` do.
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
                (Some(x), Some(y), _, _) => x == y,
                (_, _, Some(x), Some(y)) => x == y,
                _ => x.as_f64() == y.as_f64(),
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Whether `items` holds a value equal to `value`.
pub(crate) fn json_contains(items: &[Value], value: &Value) -> bool {
    items.iter().any(|item| json_eq(item, value))
}

fn same_set(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            x.iter().all(|v| json_contains(y, v)) && y.iter().all(|v| json_contains(x, v))
        }
        _ => json_eq(a, b),
    }
}

/// Whether the two nodes constrain instances identically (structurally).
pub(crate) fn same(a: &Node<'_>, b: &Node<'_>) -> bool {
    Identity::default().nodes(a, b, 0)
}

/// Whether the two nodes carry `keyword` identically (both absent counts as identical).
pub(crate) fn same_keyword(a: &Node<'_>, b: &Node<'_>, keyword: &str) -> bool {
    Identity::default().keyword(a, b, keyword, 0)
}

#[derive(Default)]
struct Identity {
    assumed: HashSet<(String, String)>,
}

impl Identity {
    fn nodes(&mut self, a: &Node<'_>, b: &Node<'_>, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        let (a, b) = (a.through_refs(), b.through_refs());
        if a.is_true() && b.is_true() {
            return true;
        }
        if a.is_malformed() || b.is_malformed() {
            // Not schemas; identical text is read identically, whatever it means.
            return json_eq(&a.value, &b.value);
        }
        if let (Value::Bool(x), Value::Bool(y)) = (&*a.value, &*b.value) {
            return x == y;
        }
        let (Some(map_a), Some(map_b)) = (a.map(), b.map()) else {
            return false;
        };
        let keys_a: Vec<&String> = map_a.keys().filter(|k| is_constraint(k)).collect();
        let keys_b = map_b.keys().filter(|k| is_constraint(k)).count();
        if keys_a.len() != keys_b {
            return false;
        }
        let pair = (a.key(), b.key());
        if !self.assumed.insert(pair) {
            // Already being compared further up: assume identical (co-induction).
            return true;
        }
        keys_a
            .into_iter()
            .all(|keyword| self.keyword(&a, &b, keyword, depth))
    }

    fn keyword(&mut self, a: &Node<'_>, b: &Node<'_>, keyword: &str, depth: usize) -> bool {
        let (value_a, value_b) = match (a.get(keyword), b.get(keyword)) {
            (None, None) => return true,
            (Some(x), Some(y)) => (x, y),
            _ => return false,
        };
        if SCHEMA_VALUED.contains(&keyword) {
            return match (a.child(&[keyword]), b.child(&[keyword])) {
                (Some(x), Some(y)) => self.nodes(&x, &y, depth + 1),
                _ => false,
            };
        }
        if SCHEMA_MAPS.contains(&keyword) {
            let (Some(x), Some(y)) = (value_a.as_object(), value_b.as_object()) else {
                return json_eq(value_a, value_b);
            };
            return x.len() == y.len()
                && x.keys().all(|name| {
                    y.contains_key(name)
                        && match (a.child(&[keyword, name]), b.child(&[keyword, name])) {
                            (Some(x), Some(y)) => self.nodes(&x, &y, depth + 1),
                            _ => false,
                        }
                });
        }
        if SCHEMA_LISTS.contains(&keyword) {
            let (Some(x), Some(y)) = (value_a.as_array(), value_b.as_array()) else {
                return json_eq(value_a, value_b);
            };
            return x.len() == y.len()
                && (0..x.len()).all(|i| {
                    let index = i.to_string();
                    match (a.child(&[keyword, &index]), b.child(&[keyword, &index])) {
                        (Some(x), Some(y)) => self.nodes(&x, &y, depth + 1),
                        _ => false,
                    }
                });
        }
        match keyword {
            "$ref" => match (a.resolve_ref(), b.resolve_ref()) {
                (Some(Ok(x)), Some(Ok(y))) => self.nodes(&x, &y, depth + 1),
                (Some(Err(_)), Some(Err(_))) => value_a == value_b,
                _ => false,
            },
            "required" | "type" | "enum" => same_set(value_a, value_b),
            _ => json_eq(value_a, value_b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Side;
    use serde_json::json;

    fn both(a: &Value, b: &Value) -> bool {
        same(&Node::root(a, Side::Reader), &Node::root(b, Side::Writer))
    }

    #[test]
    fn annotations_and_order_of_sets_do_not_matter() {
        let a = json!({"type": ["string", "null"], "title": "A", "required": ["x", "y"]});
        let b = json!({"required": ["y", "x"], "type": ["null", "string"], "description": "B"});
        assert!(both(&a, &b));
        assert!(!both(&a, &json!({"type": "string"})));
        assert!(json_eq(&json!(1), &json!(1.0)));
    }

    #[test]
    fn refs_are_followed_and_recursion_is_assumed_identical() {
        let a = json!({"$defs": {"n": {"properties": {"next": {"$ref": "#/$defs/n"}}}}, "$ref": "#/$defs/n"});
        let b = json!({"properties": {"next": {"$ref": "#"}}});
        assert!(both(&a, &b));
        let c = json!({"properties": {"next": {"$ref": "#"}, "x": true}});
        assert!(!both(&a, &c));
    }

    #[test]
    fn unresolved_refs_are_identical_only_by_text() {
        let a = json!({"$ref": "https://example.com/a"});
        assert!(both(&a, &a.clone()));
        assert!(!both(&a, &json!({"$ref": "https://example.com/b"})));
    }
}
