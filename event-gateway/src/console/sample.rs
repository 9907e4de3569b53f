//! Example data made from a JSON Schema, for the catalog page: the smallest plausible value of
//! each property (every property, not only the required ones, so the example shows the whole
//! shape), honouring `enum`, `const`, `$ref`, formats (`uuid`, `date-time`, `date`, `email`,
//! `uri`), length and range bounds, and patterns of the form `^[A-Z]{n}$`. The catalog page
//! validates every example against its schema and says so; a unit test holds every catalog
//! type's example to that.

use serde_json::{Map, Value, json};

/// An example value of `schema`, resolving `$ref`s against `root`.
pub fn example(schema: &Value, root: &Value) -> Value {
    example_at(schema, root, 0)
}

fn resolve<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference
            .strip_prefix('#')
            .and_then(|pointer| root.pointer(pointer))
            .unwrap_or(schema),
        None => schema,
    }
}

fn example_at(schema: &Value, root: &Value, depth: usize) -> Value {
    if depth > 16 {
        return Value::Null;
    }
    let schema = resolve(schema, root);
    if let Some(value) = schema.get("const") {
        return value.clone();
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
    {
        return first.clone();
    }
    for combinator in ["oneOf", "anyOf", "allOf"] {
        if let Some(first) = schema
            .get(combinator)
            .and_then(Value::as_array)
            .and_then(|a| a.iter().find(|s| s.get("type") != Some(&json!("null"))))
        {
            return example_at(first, root, depth + 1);
        }
    }
    let ty = match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if schema.get("properties").is_some() => "object",
        _ => "null",
    };
    match ty {
        "object" => {
            let mut object = Map::new();
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (name, property) in properties {
                    object.insert(name.clone(), example_at(property, root, depth + 1));
                }
            }
            Value::Object(object)
        }
        "array" => {
            let items = schema.get("items").cloned().unwrap_or(Value::Null);
            let n = schema
                .get("minItems")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .max(1);
            Value::Array(
                (0..n)
                    .map(|_| example_at(&items, root, depth + 1))
                    .collect(),
            )
        }
        "string" => Value::String(string(schema)),
        "integer" => {
            let min = schema.get("minimum").and_then(Value::as_i64);
            let max = schema.get("maximum").and_then(Value::as_i64);
            let value = min.unwrap_or(1).max(1);
            Value::from(max.map_or(value, |m| value.min(m)))
        }
        "number" => {
            let min = schema.get("minimum").and_then(Value::as_f64).unwrap_or(1.0);
            json!(min.max(1.0))
        }
        "boolean" => Value::Bool(true),
        _ => Value::Null,
    }
}

fn string(schema: &Value) -> String {
    match schema.get("format").and_then(Value::as_str) {
        Some("uuid") => return "0190b2a4-7c1e-7000-8000-000000000001".to_owned(),
        Some("date-time") => return "2025-01-31T09:30:00Z".to_owned(),
        Some("date") => return "2025-01-31".to_owned(),
        Some("email") => return "someone@example.com".to_owned(),
        Some("uri") => return "https://example.com/".to_owned(),
        _ => {}
    }
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
        if let Some(text) = from_pattern(pattern) {
            return text;
        }
    }
    let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
    let max = schema
        .get("maxLength")
        .and_then(Value::as_u64)
        .map_or(usize::MAX, |m| m as usize);
    let mut text = "example".to_owned();
    while text.len() < min {
        text.push('x');
    }
    text.truncate(max.max(min));
    text
}

/// A string matching `^[X-Y]{n}$` (one character class and a count): `n` times `X`.
fn from_pattern(pattern: &str) -> Option<String> {
    let inner = pattern.strip_prefix("^[")?.strip_suffix('$')?;
    let (class, count) = inner.split_once("]{")?;
    let count: usize = count.strip_suffix('}')?.parse().ok()?;
    let first = class.chars().next().filter(|c| *c != '^' && *c != '\\')?;
    (count <= 64).then(|| first.to_string().repeat(count))
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_events::catalog::CATALOG;
    use shared_events::schema;

    #[test]
    fn every_catalog_type_gets_an_example_its_schema_accepts() {
        for entry in CATALOG {
            let document = (entry.schema)();
            let value = example(&document, &document);
            schema::validate(entry.event_type, &value).unwrap_or_else(|e| {
                panic!(
                    "the example of {} is invalid: {e}\n{value:#}",
                    entry.event_type
                )
            });
            assert!(value.is_object(), "{}", entry.event_type);
        }
    }

    #[test]
    fn bounds_formats_and_patterns_are_honoured() {
        let schema = json!({
            "type": "object",
            "properties": {
                "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
                "n": {"type": "integer", "minimum": 5},
                "short": {"type": "string", "maxLength": 3},
                "long": {"type": "string", "minLength": 10},
                "kind": {"enum": ["a", "b"]},
                "items": {"type": "array", "minItems": 2, "items": {"$ref": "#/$defs/Item"}}
            },
            "$defs": {"Item": {"type": "object", "properties": {"id": {"type": "string", "format": "uuid"}}}}
        });
        let value = example(&schema, &schema);
        assert_eq!(value["code"], "AAA");
        assert_eq!(value["n"], 5);
        assert_eq!(value["short"], "exa");
        assert_eq!(value["long"].as_str().map(str::len), Some(10));
        assert_eq!(value["kind"], "a");
        assert_eq!(value["items"].as_array().map(Vec::len), Some(2));
        assert!(
            value["items"][0]["id"]
                .as_str()
                .is_some_and(|s| s.len() == 36)
        );
    }
}
