//! Rendering a `Spec` as JSON Schema, sampling instances from it, and relaxing a reader.

use serde_json::{Map, Value, json};

use super::generator::{Extra, Leaf, Prop, Spec};

pub(super) fn leaf_schema(leaf: &Leaf) -> Value {
    let mut schema = Map::new();
    let mut put = |k: &str, v: Value| {
        schema.insert(k.to_owned(), v);
    };
    match leaf {
        Leaf::Str { min, max, pattern } => {
            put("type", json!("string"));
            min.map(|v| put("minLength", json!(v)));
            max.map(|v| put("maxLength", json!(v)));
            if *pattern {
                put("pattern", json!("^x"));
            }
        }
        Leaf::Int {
            min,
            max,
            exclusive,
            step,
        } => {
            put("type", json!("integer"));
            let low = if *exclusive {
                "exclusiveMinimum"
            } else {
                "minimum"
            };
            min.map(|v| put(low, json!(v)));
            max.map(|v| put("maximum", json!(v)));
            step.map(|v| put("multipleOf", json!(v)));
        }
        Leaf::Num { min, max } => {
            put("type", json!("number"));
            min.map(|v| put("minimum", json!(v)));
            max.map(|v| put("maximum", json!(v)));
        }
        Leaf::Bool => put("type", json!("boolean")),
        Leaf::NullableStr => put("type", json!(["string", "null"])),
        Leaf::Enum(values) => {
            put("type", json!("string"));
            put("enum", json!(values));
        }
        Leaf::Const(value) => put("const", json!(value)),
        Leaf::Union { one, branches } => {
            let branches: Vec<Value> = branches.iter().map(leaf_schema).collect();
            put(if *one { "oneOf" } else { "anyOf" }, json!(branches));
        }
        Leaf::Array { item, min, max } => {
            put("type", json!("array"));
            put("items", leaf_schema(item));
            min.map(|v| put("minItems", json!(v)));
            max.map(|v| put("maxItems", json!(v)));
        }
        Leaf::Any => {}
    }
    Value::Object(schema)
}

pub(super) fn prop_schema(name: &str, prop: &Prop) -> Value {
    match prop {
        Prop::Leaf(leaf) => leaf_schema(leaf),
        Prop::Ref(_) => json!({ "$ref": format!("#/$defs/T_{name}") }),
        Prop::Object(props, required, closed) => {
            let properties: Map<String, Value> = props
                .iter()
                .map(|(n, l)| ((*n).to_owned(), leaf_schema(l)))
                .collect();
            let required: Vec<&str> = props
                .iter()
                .zip(required)
                .filter(|(_, r)| **r)
                .map(|((n, _), _)| *n)
                .collect();
            json!({"type": "object", "properties": properties, "required": required,
                   "additionalProperties": !closed})
        }
    }
}

pub(super) fn schema(spec: &Spec) -> Value {
    let properties: Map<String, Value> = spec
        .props
        .iter()
        .map(|(n, p)| ((*n).to_owned(), prop_schema(n, p)))
        .collect();
    let defs: Map<String, Value> = spec
        .props
        .iter()
        .filter_map(|(n, p)| match p {
            Prop::Ref(leaf) => Some((format!("T_{n}"), leaf_schema(leaf))),
            _ => None,
        })
        .collect();
    let required: Vec<&str> = spec
        .props
        .iter()
        .zip(&spec.required)
        .filter(|(_, r)| **r)
        .map(|((n, _), _)| *n)
        .collect();
    let mut schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object", "properties": properties, "required": required,
    });
    if !defs.is_empty() {
        schema["$defs"] = Value::Object(defs);
    }
    match &spec.extra {
        Extra::Absent => {}
        Extra::True => schema["additionalProperties"] = json!(true),
        Extra::False => schema["additionalProperties"] = json!(false),
        Extra::Schema(leaf) => schema["additionalProperties"] = leaf_schema(leaf),
    }
    if let Some(leaf) = &spec.pattern {
        schema["patternProperties"] = json!({ "^p_": leaf_schema(leaf) });
    }
    if let Some(max) = spec.max_props {
        schema["maxProperties"] = json!(max);
    }
    schema
}

/// A tiny deterministic generator for instance sampling.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }

    fn next(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next(100) < percent
    }
}

pub(super) fn random_value(rng: &mut Rng, depth: u8) -> Value {
    let pool = [
        json!(null),
        json!(true),
        json!(""),
        json!("x"),
        json!("xyz"),
        json!("hello"),
        json!(0),
        json!(1),
        json!(3),
        json!(-2),
        json!(7),
        json!(2.5),
        json!([]),
        json!(["x"]),
        json!({}),
        json!({"a": "x"}),
    ];
    if depth > 0 && rng.chance(10) {
        return json!([random_value(rng, depth - 1)]);
    }
    pool[rng.next(pool.len() as u64) as usize].clone()
}

pub(super) fn sample_leaf(rng: &mut Rng, leaf: &Leaf) -> Value {
    if rng.chance(10) {
        return random_value(rng, 1);
    }
    match leaf {
        Leaf::Str { min, max, pattern } => {
            let low = u64::from(min.unwrap_or(0));
            let high = u64::from(max.unwrap_or(6)).max(low);
            let len = low + rng.next(high - low + 1);
            let mut s: String = (0..len)
                .map(|_| ['x', 'y', 'é'][rng.next(3) as usize])
                .collect();
            if *pattern && !s.starts_with('x') && len > 0 {
                s.replace_range(..s.chars().next().map_or(0, char::len_utf8), "x");
            }
            json!(s)
        }
        Leaf::Int { min, max, step, .. } => {
            let low = i64::from(min.unwrap_or(-5));
            let high = i64::from(max.unwrap_or(9)).max(low);
            let mut v = low + rng.next((high - low + 1) as u64) as i64;
            if let Some(step) = step {
                v -= v.rem_euclid(i64::from(*step));
            }
            json!(v)
        }
        Leaf::Num { min, max } => {
            let low = f64::from(min.unwrap_or(-5));
            let high = f64::from(max.unwrap_or(9)).max(low);
            json!(low + (high - low) * rng.next(5) as f64 / 4.0)
        }
        Leaf::Bool => json!(rng.chance(50)),
        Leaf::NullableStr => {
            if rng.chance(50) {
                json!(null)
            } else {
                json!("x")
            }
        }
        Leaf::Enum(values) => json!(values[rng.next(values.len() as u64) as usize]),
        Leaf::Const(value) => json!(value),
        Leaf::Union { branches, .. } => {
            match branches.get(rng.next(branches.len() as u64) as usize) {
                Some(branch) => sample_leaf(rng, branch),
                None => json!(null),
            }
        }
        Leaf::Array { item, min, max } => {
            let low = u64::from(min.unwrap_or(0));
            let high = u64::from(max.unwrap_or(3)).max(low);
            let len = low + rng.next(high - low + 1);
            Value::Array((0..len).map(|_| sample_leaf(rng, item)).collect())
        }
        Leaf::Any => random_value(rng, 2),
    }
}

pub(super) fn sample_props<'a>(
    rng: &mut Rng,
    props: impl Iterator<Item = (&'a str, bool, Value)>,
) -> Map<String, Value> {
    let mut object = Map::new();
    for (name, required, value) in props {
        if required || rng.chance(60) {
            object.insert(name.to_owned(), value);
        }
    }
    for extra in ["p_1", "zz", "a", "c"] {
        if rng.chance(12) && !object.contains_key(extra) {
            object.insert(extra.to_owned(), random_value(rng, 1));
        }
    }
    object
}

pub(super) fn sample(rng: &mut Rng, spec: &Spec) -> Value {
    let values: Vec<(&str, bool, Value)> = spec
        .props
        .iter()
        .zip(&spec.required)
        .map(|((name, prop), required)| {
            let value = match prop {
                Prop::Leaf(leaf) | Prop::Ref(leaf) => sample_leaf(rng, leaf),
                Prop::Object(props, req, _) => {
                    let inner: Vec<(&str, bool, Value)> = props
                        .iter()
                        .zip(req)
                        .map(|((n, l), r)| (*n, *r, sample_leaf(rng, l)))
                        .collect();
                    Value::Object(sample_props(rng, inner.into_iter()))
                }
            };
            (*name, *required, value)
        })
        .collect();
    Value::Object(sample_props(rng, values.into_iter()))
}

pub(super) fn relax(schema: &mut Value) {
    if let Value::Object(map) = schema {
        if map.get("additionalProperties") == Some(&Value::Bool(false)) {
            map.remove("additionalProperties");
        }
        for (keyword, value) in map.iter_mut() {
            if keyword != "enum" && keyword != "const" {
                relax(value);
            }
        }
    }
}
