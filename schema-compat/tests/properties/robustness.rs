//! Robustness: arbitrary JSON, shaped like schemas or not, never makes the checker panic or
//! hang, and a schema is always compatible with itself.

use proptest::prelude::*;
use proptest::test_runner::Config;
use schema_compat::{CheckOptions, Mode, can_read, check};
use serde_json::{Map, Value, json};

const KEYWORDS: [&str; 40] = [
    "type",
    "enum",
    "const",
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    "minProperties",
    "maxProperties",
    "items",
    "prefixItems",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "allOf",
    "anyOf",
    "oneOf",
    "$ref",
    "$defs",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "dependentSchemas",
    "unevaluatedProperties",
    "propertyNames",
    "title",
    "$id",
    "a",
    "b",
];

fn atom() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(null)),
        any::<bool>().prop_map(Value::from),
        (-3i64..10).prop_map(Value::from),
        Just(json!(0.5)),
        Just(json!(-1e300)),
        prop_oneof![
            Just("string"),
            Just("object"),
            Just("integer"),
            Just("number"),
            Just("null"),
            Just("array"),
            Just("#"),
            Just("#/$defs/a"),
            Just("#/properties/a"),
            Just("^a"),
            Just("(?=x)"),
            Just("[")
        ]
        .prop_map(Value::from),
    ]
}

fn schema_like() -> impl Strategy<Value = Value> {
    atom().prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((proptest::sample::select(KEYWORDS.to_vec()), inner), 0..6)
                .prop_map(|entries| {
                    Value::Object(
                        entries
                            .into_iter()
                            .map(|(k, v)| (k.to_owned(), v))
                            .collect::<Map<_, _>>(),
                    )
                }),
        ]
    })
}

proptest! {
    #![proptest_config(Config { cases: 512, failure_persistence: None, ..Config::default() })]

    #[test]
    fn arbitrary_json_never_panics(a in schema_like(), b in schema_like(), open in any::<bool>()) {
        let options = CheckOptions { open_reader_views: open };
        let _ = can_read(&a, &b, &options);
        let _ = can_read(&b, &a, &options);
        let report = check(Mode::FullTransitive, &[a.clone(), b.clone()], &a, &options);
        prop_assert_eq!(report.versions_checked, vec![0, 1]);
    }

    #[test]
    fn every_schema_can_read_itself(a in schema_like(), open in any::<bool>()) {
        let options = CheckOptions { open_reader_views: open };
        let findings = can_read(&a, &a, &options);
        prop_assert!(findings.iter().all(|f| !f.breaking), "{:#?}", findings);
    }
}

#[test]
fn deeply_nested_schemas_fail_closed_instead_of_overflowing() {
    let mut a = json!({"type": "string"});
    let mut b = json!({"type": "integer"});
    for _ in 0..300 {
        a = json!({"type": "object", "properties": {"n": a}});
        b = json!({"type": "object", "properties": {"n": b}});
    }
    let findings = can_read(&a, &b, &CheckOptions::default());
    assert!(findings.iter().any(|f| f.breaking));
}
