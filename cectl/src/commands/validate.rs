//! `cectl validate`: a structured-mode CloudEvent against the attribute rules and, for a
//! catalog type, its data against the type's schema; every error with its JSON pointer.

use super::read_input;
use crate::exit::Exit;
use crate::output::{Format, print_json};
use clap::Args;
use serde_json::{Value, json};
use shared_events::{AttributesReader, attributes, catalog, format as ce_format};
use std::path::PathBuf;

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "\
Examples:
  cectl validate event.json
  curl -s localhost:8080/events/42 | jq .event | cectl validate -

Exit codes: 0 valid, 2 unreadable, 3 invalid.";

/// Arguments of `cectl validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// A structured-mode CloudEvent (JSON event format), or - for stdin
    #[arg(value_name = "FILE|-")]
    pub file: PathBuf,
}

/// One problem with the event.
struct Problem {
    pointer: String,
    message: String,
}

fn check(json: &[u8]) -> (Option<String>, Vec<Problem>) {
    let problem = |pointer: &str, message: String| Problem {
        pointer: pointer.to_owned(),
        message,
    };
    let value: Value = match serde_json::from_slice(json) {
        Ok(value) => value,
        Err(e) => return (None, vec![problem("", format!("not JSON: {e}"))]),
    };
    let event_type = value.get("type").and_then(Value::as_str).map(str::to_owned);
    let event = match ce_format::from_value(value.clone()) {
        Ok(event) => event,
        Err(e) => {
            let pointer = e.attribute().map_or(String::new(), |a| format!("/{a}"));
            return (event_type, vec![problem(&pointer, e.to_string())]);
        }
    };
    let mut problems = Vec::new();
    if let Err(e) = attributes::validate(&event) {
        problems.push(problem(&format!("/{}", e.attribute()), e.to_string()));
    }
    let Some(entry) = catalog::lookup(event.ty()) else {
        return (event_type, problems);
    };
    let data = match catalog::data_as_json(&event, entry.event_type) {
        Ok(data) => data,
        Err(e) => {
            problems.push(problem("/data", e.to_string()));
            return (event_type, problems);
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
                .map(|e| problem(&format!("/data{}", e.instance_path), e.to_string())),
        ),
        Err(e) => problems.push(problem(
            "/data",
            format!("the schema does not compile: {e}"),
        )),
    }
    (event_type, problems)
}

/// Runs the command.
pub fn run(args: &ValidateArgs, format: Format) -> Exit {
    let bytes = match read_input(&args.file) {
        Ok(bytes) => bytes,
        Err(exit) => return exit,
    };
    let (event_type, problems) = check(&bytes);
    let schema = event_type
        .as_deref()
        .and_then(catalog::lookup)
        .map(|e| e.event_type);
    match format {
        Format::Json => print_json(&json!({
            "valid": problems.is_empty(),
            "type": event_type,
            "schema": schema.is_some(),
            "errors": problems.iter().map(|p| json!({"pointer": p.pointer, "message": p.message}))
                .collect::<Vec<_>>(),
        })),
        Format::Table => {
            if problems.is_empty() {
                let note = if schema.is_some() {
                    "attributes and data against its schema"
                } else {
                    "attributes only: not a catalog type, so no schema"
                };
                println!("valid: {} ({note})", event_type.as_deref().unwrap_or("?"));
            } else {
                println!("invalid: {}", event_type.as_deref().unwrap_or("?"));
                for p in &problems {
                    let pointer = if p.pointer.is_empty() {
                        "/"
                    } else {
                        &p.pointer
                    };
                    println!("  {pointer}: {}", p.message);
                }
            }
        }
    }
    if problems.is_empty() {
        Exit::Ok
    } else {
        Exit::Bad
    }
}
