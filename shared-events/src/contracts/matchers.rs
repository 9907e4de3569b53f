//! Pact V4 matching: an event against one expectation.

use super::Interaction;
use crate::attributes::canonical_value;
use crate::catalog::data_as_json;
use cloudevents::Event;
use regex::Regex;
use serde_json::{Map, Value};

/// One way an event fails a consumer's expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The consumer whose expectation fails.
    pub consumer: String,
    /// The expectation's description.
    pub description: String,
    /// Where: `metadata.<attribute>` or a body path `$.a.b`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} expects {}: at {}: {}",
            self.consumer, self.description, self.path, self.message
        )
    }
}

/// One step of a body path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Field(String),
    Index(usize),
}

fn render(path: &[Seg]) -> String {
    let mut out = String::from("$");
    for seg in path {
        match seg {
            Seg::Field(name) => {
                out.push('.');
                out.push_str(name);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Whether rule key `key` (`$.items[*].sku`, `$.*`) addresses `path`; its specificity if so.
fn rule_matches(key: &str, path: &[Seg]) -> Option<usize> {
    let rest = key.strip_prefix('$')?;
    let mut pattern = Vec::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                let mut name = String::new();
                while let Some(&n) = chars.peek() {
                    if n == '.' || n == '[' {
                        break;
                    }
                    name.push(n);
                    chars.next();
                }
                pattern.push(name);
            }
            '[' => {
                let mut inner = String::new();
                for n in chars.by_ref() {
                    if n == ']' {
                        break;
                    }
                    inner.push(n);
                }
                pattern.push(format!("[{}]", inner.trim_matches('\'')));
            }
            _ => return None,
        }
    }
    if pattern.len() != path.len() {
        return None;
    }
    let mut exact = 0;
    for (p, seg) in pattern.iter().zip(path) {
        match (p.as_str(), seg) {
            ("*", Seg::Field(_)) | ("[*]", Seg::Index(_)) => {}
            (p, Seg::Field(name)) if p == name || p == format!("[{name}]") => exact += 1,
            (p, Seg::Index(i)) if p == format!("[{i}]") => exact += 1,
            _ => return None,
        }
    }
    Some(exact)
}

fn find_rule<'a>(rules: &'a Map<String, Value>, path: &[Seg]) -> Option<&'a Value> {
    rules
        .iter()
        .filter_map(|(key, rule)| rule_matches(key, path).map(|score| (score, rule)))
        .max_by_key(|(score, _)| *score)
        .map(|(_, rule)| rule)
}

fn same_kind(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

/// Applies one rule (`{"combine": "AND", "matchers": [...]}`) to `actual`.
fn apply(rule: &Value, expected: &Value, actual: &Value) -> Result<(), String> {
    let matchers: Vec<&Value> = match rule.get("matchers").and_then(Value::as_array) {
        Some(list) => list.iter().collect(),
        None => vec![rule],
    };
    let or = rule.get("combine").and_then(Value::as_str) == Some("OR");
    let results: Vec<Result<(), String>> = matchers
        .iter()
        .map(|m| apply_one(m, expected, actual))
        .collect();
    let failures: Vec<String> = results.iter().filter_map(|r| r.clone().err()).collect();
    if failures.is_empty() || (or && failures.len() < results.len()) {
        Ok(())
    } else {
        Err(failures.join(" and "))
    }
}

fn as_text(actual: &Value) -> Option<String> {
    match actual {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn apply_one(matcher: &Value, expected: &Value, actual: &Value) -> Result<(), String> {
    let kind = matcher
        .get("match")
        .and_then(Value::as_str)
        .unwrap_or("type");
    let fail = |what: String| Err(format!("{what}, got {actual}"));
    match kind {
        "type" => {
            if !same_kind(expected, actual) {
                return fail(format!("expected a value of the same type as {expected}"));
            }
            if let Some(items) = actual.as_array() {
                let len = items.len() as u64;
                if let Some(min) = matcher.get("min").and_then(Value::as_u64) {
                    if len < min {
                        return fail(format!("expected at least {min} item(s)"));
                    }
                }
                if let Some(max) = matcher.get("max").and_then(Value::as_u64) {
                    if len > max {
                        return fail(format!("expected at most {max} item(s)"));
                    }
                }
            }
            Ok(())
        }
        "regex" => {
            let pattern = matcher.get("regex").and_then(Value::as_str).unwrap_or("");
            let regex = Regex::new(&format!("^(?:{pattern})$"))
                .map_err(|e| format!("the expectation's regex `{pattern}` is invalid: {e}"))?;
            match as_text(actual) {
                Some(text) if regex.is_match(&text) => Ok(()),
                _ => fail(format!("expected a match for /{pattern}/")),
            }
        }
        "integer" if actual.is_i64() || actual.is_u64() => Ok(()),
        "integer" => fail("expected an integer".to_owned()),
        "decimal" if actual.is_f64() => Ok(()),
        "decimal" => fail("expected a decimal number".to_owned()),
        "number" if actual.is_number() => Ok(()),
        "number" => fail("expected a number".to_owned()),
        "boolean" if actual.is_boolean() => Ok(()),
        "boolean" => fail("expected a boolean".to_owned()),
        "include" => {
            let needle = matcher.get("value").and_then(Value::as_str).unwrap_or("");
            match as_text(actual) {
                Some(text) if text.contains(needle) => Ok(()),
                _ => fail(format!("expected a string including `{needle}`")),
            }
        }
        "equality" if actual == expected => Ok(()),
        "equality" => fail(format!("expected {expected}")),
        "notEmpty" => match actual {
            Value::Null => fail("expected a non-empty value".to_owned()),
            Value::String(s) if s.is_empty() => fail("expected a non-empty string".to_owned()),
            Value::Array(a) if a.is_empty() => fail("expected a non-empty array".to_owned()),
            Value::Object(o) if o.is_empty() => fail("expected a non-empty object".to_owned()),
            _ => Ok(()),
        },
        other => Err(format!(
            "matcher `{other}` is not supported by this verifier"
        )),
    }
}

struct Body<'a> {
    rules: &'a Map<String, Value>,
    out: Vec<(String, String)>,
}

impl Body<'_> {
    fn compare(&mut self, expected: &Value, actual: &Value, path: &mut Vec<Seg>, by_type: bool) {
        let mut by_type = by_type;
        if let Some(rule) = find_rule(self.rules, path) {
            if let Err(message) = apply(rule, expected, actual) {
                self.out.push((render(path), message));
                return;
            }
            if !(expected.is_object() || expected.is_array()) {
                return;
            }
            by_type = by_type || rule_has_type(rule);
        }
        match (expected, actual) {
            (Value::Object(e), Value::Object(a)) => {
                for (key, value) in e {
                    path.push(Seg::Field(key.clone()));
                    match a.get(key) {
                        Some(found) => self.compare(value, found, path, by_type),
                        None => self
                            .out
                            .push((render(path), "the event has no such field".to_owned())),
                    }
                    path.pop();
                }
            }
            (Value::Array(e), Value::Array(a)) => {
                if !by_type && e.len() != a.len() {
                    self.out.push((
                        render(path),
                        format!("expected {} item(s), got {}", e.len(), a.len()),
                    ));
                    return;
                }
                for (i, item) in a.iter().enumerate() {
                    let template = if by_type { e.first() } else { e.get(i) };
                    if let Some(template) = template {
                        path.push(Seg::Index(i));
                        self.compare(template, item, path, by_type);
                        path.pop();
                    }
                }
            }
            (e, a) if by_type && same_kind(e, a) && !e.is_object() && !e.is_array() => {}
            (e, a) if e == a => {}
            (e, a) => self
                .out
                .push((render(path), format!("expected {e}, got {a}"))),
        }
    }
}

fn rule_has_type(rule: &Value) -> bool {
    let matchers = rule.get("matchers").and_then(Value::as_array);
    let is_type = |m: &Value| m.get("match").and_then(Value::as_str) == Some("type");
    matchers.map_or(is_type(rule), |list| list.iter().any(is_type))
}

/// Checks `event` against one expectation of `consumer`.
pub fn verify_interaction(
    event: &Event,
    consumer: &str,
    interaction: &Interaction,
) -> Vec<Mismatch> {
    let mismatch = |path: String, message: String| Mismatch {
        consumer: consumer.to_owned(),
        description: interaction.description.clone(),
        path,
        message,
    };
    let mut out = Vec::new();
    for (name, expected) in &interaction.metadata {
        let path = format!("metadata.{name}");
        let Some(actual) = canonical_value(event, name) else {
            out.push(mismatch(
                path,
                "the event does not carry this attribute".to_owned(),
            ));
            continue;
        };
        let actual = Value::String(actual.into_owned());
        let result = match interaction.matching_rules.metadata.get(name) {
            Some(rule) => apply(rule, expected, &actual),
            None if as_text(expected) == as_text(&actual) => Ok(()),
            None => Err(format!("expected {expected}, got {actual}")),
        };
        if let Err(message) = result {
            out.push(mismatch(path, message));
        }
    }
    let data = match data_as_json(event, "data") {
        Ok(data) => data,
        Err(e) => {
            out.push(mismatch("$".to_owned(), e.to_string()));
            return out;
        }
    };
    let mut body = Body {
        rules: &interaction.matching_rules.body,
        out: Vec::new(),
    };
    body.compare(&interaction.contents.content, &data, &mut Vec::new(), false);
    out.extend(body.out.into_iter().map(|(p, m)| mismatch(p, m)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(expected: Value, actual: Value, rules: Value) -> Vec<(String, String)> {
        let rules = rules.as_object().cloned().unwrap_or_default();
        let mut body = Body {
            rules: &rules,
            out: Vec::new(),
        };
        body.compare(&expected, &actual, &mut Vec::new(), false);
        body.out
    }

    #[test]
    fn without_rules_values_must_equal_and_extra_fields_are_fine() {
        assert!(check(json!({"a": 1}), json!({"a": 1, "b": 2}), json!({})).is_empty());
        let out = check(json!({"a": 1}), json!({"a": 2}), json!({}));
        assert_eq!(out[0].0, "$.a");
        assert_eq!(
            check(json!({"a": 1}), json!({}), json!({}))[0].1,
            "the event has no such field"
        );
    }

    #[test]
    fn type_regex_integer_and_decimal_matchers_apply_by_path() {
        let rules = json!({
            "$.id": {"matchers": [{"match": "regex", "regex": "[0-9a-f-]{36}"}]},
            "$.n": {"matchers": [{"match": "integer"}]},
            "$.x": {"matchers": [{"match": "decimal"}]},
            "$.s": {"matchers": [{"match": "type"}]}
        });
        let expected =
            json!({"id": "0190b6a4-7a1e-7cc2-8a5e-6c1d2f3a4b5c", "n": 1, "x": 1.5, "s": "a"});
        let good =
            json!({"id": "0190b6a4-7a1e-7cc2-8a5e-6c1d2f3a4b5d", "n": 7, "x": 0.25, "s": "b"});
        assert!(check(expected.clone(), good, rules.clone()).is_empty());
        let bad = json!({"id": "nope", "n": 1.5, "x": 2, "s": 3});
        let paths: Vec<String> = check(expected, bad, rules)
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        assert_eq!(paths, ["$.id", "$.n", "$.s", "$.x"]);
    }

    #[test]
    fn array_min_max_and_cascading_type_matching() {
        let rules = json!({"$.items": {"matchers": [{"match": "type", "min": 1, "max": 2}]}});
        let expected = json!({"items": [{"sku": "A", "quantity": 1}]});
        let two = json!({"items": [{"sku": "B", "quantity": 3}, {"sku": "C", "quantity": 4}]});
        assert!(check(expected.clone(), two, rules.clone()).is_empty());
        assert!(!check(expected.clone(), json!({"items": []}), rules.clone()).is_empty());
        let retyped = json!({"items": [{"sku": "B", "quantity": "3"}]});
        assert_eq!(check(expected, retyped, rules)[0].0, "$.items[0].quantity");
    }

    #[test]
    fn include_and_or_combination() {
        let rules = json!({"$.r": {"combine": "OR", "matchers": [
            {"match": "include", "value": "limit"}, {"match": "include", "value": "fraud"}]}});
        assert!(
            check(
                json!({"r": "x"}),
                json!({"r": "over the limit"}),
                rules.clone()
            )
            .is_empty()
        );
        assert!(!check(json!({"r": "x"}), json!({"r": "card expired"}), rules).is_empty());
    }
}
