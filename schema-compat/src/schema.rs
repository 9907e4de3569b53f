//! A view of one schema node: where it sits, which side it is on, its keywords and JSON type
//! set, and local `$ref` resolution.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::reference::{escape, resolve, step};
use crate::types::TypeSet;

/// Keywords that never constrain an instance: ignored by every comparison.
const ANNOTATIONS: &[&str] = &[
    "title",
    "description",
    "examples",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
    "$schema",
    "$id",
    "$anchor",
    "$dynamicAnchor",
    "$recursiveAnchor",
    "$comment",
    "$vocabulary",
    "$defs",
    "definitions",
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
];

/// Draft 2020-12 keywords (and a few older ones validators still honour) that the structural
/// comparison cannot reason about. In a reader they fail closed unless the writer carries them
/// identically at the same place; in a writer they are ignored, which only widens the set of
/// instances the writer is assumed to produce.
pub(crate) const UNSUPPORTED: &[&str] = &[
    "not",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
    "propertyNames",
    "contains",
    "minContains",
    "maxContains",
    "unevaluatedProperties",
    "unevaluatedItems",
    "$dynamicRef",
    "$recursiveRef",
    "dependencies",
    "additionalItems",
];

/// Keywords whose value is a single subschema.
pub(crate) const SCHEMA_VALUED: &[&str] = &[
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "additionalItems",
];

/// Keywords whose value maps names to subschemas.
pub(crate) const SCHEMA_MAPS: &[&str] = &["properties", "patternProperties", "dependentSchemas"];

/// Keywords whose value is a list of subschemas.
pub(crate) const SCHEMA_LISTS: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];

/// The combinator keywords a reader node is split on.
pub(crate) const COMBINATORS: &[&str] = &["$ref", "allOf", "anyOf", "oneOf"];

/// Whether `keyword` ever constrains instances (is not an annotation nor unknown).
pub(crate) fn is_constraint(keyword: &str) -> bool {
    !ANNOTATIONS.contains(&keyword) && (is_handled(keyword) || UNSUPPORTED.contains(&keyword))
}

fn is_handled(keyword: &str) -> bool {
    matches!(
        keyword,
        "type"
            | "enum"
            | "const"
            | "properties"
            | "required"
            | "additionalProperties"
            | "patternProperties"
            | "minProperties"
            | "maxProperties"
            | "items"
            | "prefixItems"
            | "minItems"
            | "maxItems"
            | "uniqueItems"
            | "minimum"
            | "maximum"
            | "exclusiveMinimum"
            | "exclusiveMaximum"
            | "multipleOf"
            | "minLength"
            | "maxLength"
            | "pattern"
            | "format"
            | "allOf"
            | "anyOf"
            | "oneOf"
            | "$ref"
    )
}

/// Which schema a node belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Side {
    /// The schema that must accept the data.
    Reader,
    /// The schema the data was written with.
    Writer,
}

/// One schema node with its place: the document it belongs to, its JSON pointer there, and a
/// tag that tells nodes built by the checker (merged or split) from the one written at `ptr`.
#[derive(Debug, Clone)]
pub(crate) struct Node<'a> {
    pub doc: &'a Value,
    pub value: Cow<'a, Value>,
    pub ptr: String,
    pub tag: String,
    pub side: Side,
}

impl<'a> Node<'a> {
    /// The root of a document.
    pub fn root(doc: &'a Value, side: Side) -> Self {
        Node {
            doc,
            value: Cow::Borrowed(doc),
            ptr: String::new(),
            tag: String::new(),
            side,
        }
    }

    /// A node built by the checker, e.g. a merge, in the same document as `self`.
    pub fn synthetic(&self, value: Value, ptr: String, tag: &str) -> Node<'a> {
        Node {
            doc: self.doc,
            value: Cow::Owned(value),
            ptr,
            tag: format!("{}{tag}", self.tag),
            side: self.side,
        }
    }

    /// A `true` schema standing where `self` stands (e.g. for an absent `items`).
    pub fn accept_all(&self, ptr: String) -> Node<'a> {
        self.synthetic(Value::Bool(true), ptr, "+true")
    }

    /// Identity for recursion guards.
    pub fn key(&self) -> String {
        format!("{:?}:{}#{}", self.side, self.ptr, self.tag)
    }

    /// The keyword's value, if this node is an object that has it.
    pub fn get(&self, keyword: &str) -> Option<&Value> {
        self.value.as_object().and_then(|map| map.get(keyword))
    }

    /// The node's keywords, empty for a boolean schema.
    pub fn map(&self) -> Option<&Map<String, Value>> {
        self.value.as_object()
    }

    /// A JSON pointer below this node (segments are escaped).
    pub fn at(&self, segments: &[&str]) -> String {
        let mut ptr = self.ptr.clone();
        for segment in segments {
            ptr.push('/');
            ptr.push_str(&escape(segment));
        }
        ptr
    }

    /// The subschema at `segments` below this node.
    pub fn child(&self, segments: &[&str]) -> Option<Node<'a>> {
        let ptr = self.at(segments);
        let value = match &self.value {
            Cow::Borrowed(value) => {
                let mut current: &'a Value = value;
                for segment in segments {
                    current = step(current, segment)?;
                }
                Cow::Borrowed(current)
            }
            Cow::Owned(value) => {
                let mut current = value;
                for segment in segments {
                    current = step(current, segment)?;
                }
                Cow::Owned(current.clone())
            }
        };
        Some(Node {
            doc: self.doc,
            value,
            ptr,
            tag: self.tag.clone(),
            side: self.side,
        })
    }

    /// `false`, or a schema that plainly accepts nothing (`type: []`, `enum: []`).
    pub fn is_false(&self) -> bool {
        match &*self.value {
            Value::Bool(b) => !b,
            Value::Object(map) => {
                map.get("enum")
                    .and_then(Value::as_array)
                    .is_some_and(Vec::is_empty)
                    || map
                        .get("type")
                        .and_then(Value::as_array)
                        .is_some_and(Vec::is_empty)
            }
            _ => false,
        }
    }

    /// `true`, or an object schema with no constraining keyword (`{}`, annotations only).
    pub fn is_true(&self) -> bool {
        match &*self.value {
            Value::Bool(b) => *b,
            Value::Object(map) => map.keys().all(|k| !is_constraint(k)),
            _ => false,
        }
    }

    /// Neither a boolean nor an object: not a schema at all.
    pub fn is_malformed(&self) -> bool {
        !matches!(&*self.value, Value::Bool(_) | Value::Object(_))
    }

    /// Whether the node has `$ref`, `allOf`, `anyOf` or `oneOf`.
    pub fn has_combinators(&self) -> bool {
        COMBINATORS.iter().any(|k| self.get(k).is_some())
    }

    /// The JSON types the node admits by its `type` keyword (all when absent); `None` when the
    /// keyword is malformed.
    pub fn types(&self) -> Option<TypeSet> {
        match self.get("type") {
            None if self.value.as_bool() == Some(false) => Some(TypeSet::EMPTY),
            None => Some(TypeSet::ALL),
            Some(Value::String(name)) => TypeSet::named(name),
            Some(Value::Array(names)) => names.iter().try_fold(TypeSet::EMPTY, |set, name| {
                Some(set.union(TypeSet::named(name.as_str()?)?))
            }),
            Some(_) => None,
        }
    }

    /// The string items of an array keyword such as `required` (`None` if malformed).
    pub fn strings(&self, keyword: &str) -> Option<Vec<String>> {
        match self.get(keyword) {
            None => Some(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| item.as_str().map(str::to_owned))
                .collect(),
            Some(_) => None,
        }
    }

    /// Resolves this node's `$ref` (if any) inside its own document.
    pub fn resolve_ref(&self) -> Option<Result<Node<'a>, String>> {
        let reference = self.get("$ref")?;
        let Some(reference) = reference.as_str() else {
            return Some(Err("`$ref` is not a string".to_owned()));
        };
        Some(
            resolve(self.doc, &self.ptr, reference).map(|(ptr, value)| Node {
                doc: self.doc,
                value: Cow::Borrowed(value),
                ptr,
                tag: String::new(),
                side: self.side,
            }),
        )
    }

    /// Follows a `$ref` that has no constraining sibling, repeatedly (at most a few times).
    pub fn through_refs(&self) -> Node<'a> {
        let mut node = self.clone();
        for _ in 0..16 {
            let only_ref = node
                .map()
                .is_some_and(|map| map.keys().all(|k| k == "$ref" || !is_constraint(k)));
            match node.resolve_ref() {
                Some(Ok(target)) if only_ref => node = target,
                _ => break,
            }
        }
        node
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn annotation_only_objects_are_true() {
        let doc = json!({"title": "x", "x-extension": 1});
        assert!(Node::root(&doc, Side::Reader).is_true());
        let doc = json!({"type": []});
        assert!(Node::root(&doc, Side::Reader).is_false());
    }
}
