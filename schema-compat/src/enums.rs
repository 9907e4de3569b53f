//! Enumerated writers (`enum`, `const`, or a type set within `null`/`boolean`): each value the
//! writer can produce is validated against the reader, which settles the question exactly
//! (up to keywords the validator cannot judge, which fail closed).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::check::Checker;
use crate::finding::{Finding, FindingKind as K};
use crate::same::json_contains;
use crate::schema::Node;
use crate::string;
use crate::types::TypeSet;
use crate::validate::{Failure, Outcome};

/// How many refused values a message lists.
const SHOWN: usize = 5;

/// The kind for a reader keyword that refuses writer values.
fn kind_of(failure: &Failure, values: &[Value]) -> K {
    match failure.keyword.as_str() {
        "type" | "false" => K::TypeNarrowed,
        "enum" | "const" => match &failure.allowed {
            Some(allowed) if allowed.iter().all(|v| json_contains(values, v)) => {
                K::EnumArrayNarrowed
            }
            _ => K::EnumArrayChanged,
        },
        "minimum" => K::MinimumIncreased,
        "exclusiveMinimum" => K::ExclusiveMinimumIncreased,
        "maximum" => K::MaximumDecreased,
        "exclusiveMaximum" => K::ExclusiveMaximumDecreased,
        "multipleOf" => K::MultipleOfChanged,
        "minLength" => K::MinLengthIncreased,
        "maxLength" => K::MaxLengthDecreased,
        "pattern" => K::PatternChanged,
        "required" => K::RequiredAttributeAdded,
        "additionalProperties" => K::AdditionalPropertiesNarrowed,
        "minProperties" => K::MinPropertiesIncreased,
        "maxProperties" => K::MaxPropertiesDecreased,
        "minItems" => K::MinItemsIncreased,
        "maxItems" => K::MaxItemsDecreased,
        "uniqueItems" => K::UniqueItemsAdded,
        "items" => K::AdditionalItemsRemoved,
        "prefixItems" => K::ItemRemovedFromClosedContentModel,
        "anyOf" | "oneOf" => K::SumTypeNarrowed,
        _ => K::CombinedTypeChanged,
    }
}

fn list(values: &[&Value]) -> String {
    let mut shown: Vec<String> = values.iter().take(SHOWN).map(|v| v.to_string()).collect();
    if values.len() > SHOWN {
        shown.push(format!("and {} more", values.len() - SHOWN));
    }
    shown.join(", ")
}

/// Validates each of the writer's `values` against the reader.
pub(crate) fn check_values(
    ck: &mut Checker,
    reader: &Node<'_>,
    writer: &Node<'_>,
    values: Vec<Value>,
    out: &mut Vec<Finding>,
) {
    // Values the writer's own other keywords refuse are never written.
    let values: Vec<Value> = values
        .into_iter()
        .filter(|v| !ck.validate(writer, v).is_invalid())
        .collect();
    if values.is_empty() {
        return;
    }
    let mut refused: BTreeMap<(K, String), Vec<&Value>> = BTreeMap::new();
    let mut undecided: BTreeMap<String, (String, Vec<&Value>)> = BTreeMap::new();
    for value in &values {
        match ck.validate(reader, value) {
            Outcome::Valid => {}
            Outcome::Invalid(failure) => refused
                .entry((kind_of(&failure, &values), failure.pointer))
                .or_default()
                .push(value),
            Outcome::Unknown(failure) => undecided
                .entry(failure.pointer)
                .or_insert_with(|| (failure.keyword, Vec::new()))
                .1
                .push(value),
        }
    }
    for ((mut kind, pointer), bad) in refused {
        if kind == K::TypeNarrowed && bad.len() == values.len() {
            kind = K::TypeChanged;
        }
        out.push(Finding::new(
            kind,
            pointer,
            writer.ptr.clone(),
            format!("the reader refuses the writer's value(s) {}", list(&bad)),
        ));
    }
    for (pointer, (keyword, bad)) in undecided {
        out.push(Finding::new(
            K::UnsupportedKeyword,
            pointer,
            writer.ptr.clone(),
            format!(
                "cannot decide whether the reader's `{keyword}` accepts the writer's value(s) {}",
                list(&bad)
            ),
        ));
    }
    extended(reader, writer, &values, out);
    let formatted = values.iter().any(|v| {
        matches!(
            TypeSet::of(v),
            TypeSet::STRING | TypeSet::INTEGER | TypeSet::NUMBER
        )
    });
    if formatted {
        string::check_format(reader, writer, out);
    }
}

/// Notes a reader `enum`/`const` that allows more than the writer produces.
fn extended(reader: &Node<'_>, writer: &Node<'_>, values: &[Value], out: &mut Vec<Finding>) {
    let allowed: Vec<Value> = match (reader.get("enum"), reader.get("const")) {
        (Some(Value::Array(items)), _) => items.clone(),
        (None, Some(c)) => vec![c.clone()],
        _ => return,
    };
    let accepted_all = values.iter().all(|v| json_contains(&allowed, v));
    let extra: Vec<&Value> = allowed
        .iter()
        .filter(|v| !json_contains(values, v))
        .collect();
    if accepted_all
        && !extra.is_empty()
        && (writer.get("enum").is_some() || writer.get("const").is_some())
    {
        out.push(Finding::new(
            K::EnumArrayExtended,
            reader.at(&["enum"]),
            writer.at(&["enum"]),
            format!("the reader also accepts {}", list(&extra)),
        ));
    }
}
