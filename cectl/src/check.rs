//! What is wrong with an event: the CloudEvents attribute rules and, for a catalog type, its
//! data against the type's schema; every problem with its JSON pointer. `validate`, `send`,
//! `build` and `receive` share it.

use serde_json::{Value, json};
use shared_events::{AttributesReader, Event, attributes, catalog};

/// One problem with an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where, as a JSON pointer into the structured form (`/source`, `/data/items/0`).
    pub pointer: String,
    /// What.
    pub message: String,
}

impl Problem {
    /// A problem at `pointer`.
    pub fn new(pointer: &str, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.to_owned(),
            message: message.into(),
        }
    }

    /// The problem as JSON: `{"pointer": …, "message": …}`.
    pub fn to_json(&self) -> Value {
        json!({"pointer": self.pointer, "message": self.message})
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "{pointer}: {}", self.message)
    }
}

/// Whether `event`'s type has a schema in the catalog.
pub fn has_schema(event: &Event) -> bool {
    catalog::lookup(event.ty()).is_some()
}

/// Every problem with `event`: the attribute rules, then (catalog types only) its data against
/// the type's schema. Empty when it is valid.
pub fn problems(event: &Event) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let Err(e) = attributes::validate(event) {
        problems.push(Problem::new(&format!("/{}", e.attribute()), e.to_string()));
    }
    let Some(entry) = catalog::lookup(event.ty()) else {
        return problems;
    };
    let data = match catalog::data_as_json(event, entry.event_type) {
        Ok(data) => data,
        Err(e) => {
            problems.push(Problem::new("/data", e.to_string()));
            return problems;
        }
    };
    let schema = (entry.schema)();
    match jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
    {
        Ok(validator) => problems.extend(
            validator
                .iter_errors(&data)
                .map(|e| Problem::new(&format!("/data{}", e.instance_path), e.to_string())),
        ),
        Err(e) => problems.push(Problem::new(
            "/data",
            format!("the schema does not compile: {e}"),
        )),
    }
    problems
}

/// The schema verdict as JSON: `{"checked": bool, "valid": bool, "errors": [...]}`.
pub fn verdict_json(event: &Event, problems: &[Problem]) -> Value {
    json!({
        "checked": has_schema(event),
        "valid": problems.is_empty(),
        "errors": problems.iter().map(Problem::to_json).collect::<Vec<_>>(),
    })
}
