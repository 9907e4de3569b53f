//! `cectl validate`: a structured-mode CloudEvent against the attribute rules and, for a
//! catalog type, its data against the type's schema; every error with its JSON pointer.

use super::read_input;
use crate::check::{self, Problem};
use crate::exit::Exit;
use crate::output::{Format, Output};
use clap::Args;
use serde_json::{Value, json};
use shared_events::{catalog, format as ce_format};
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

fn check(json: &[u8]) -> (Option<String>, Vec<Problem>) {
    let value: Value = match serde_json::from_slice(json) {
        Ok(value) => value,
        Err(e) => return (None, vec![Problem::new("", format!("not JSON: {e}"))]),
    };
    let event_type = value.get("type").and_then(Value::as_str).map(str::to_owned);
    match ce_format::from_value(value) {
        Ok(event) => (event_type, check::problems(&event)),
        Err(e) => {
            let pointer = e.attribute().map_or(String::new(), |a| format!("/{a}"));
            (event_type, vec![Problem::new(&pointer, e.to_string())])
        }
    }
}

/// Runs the command.
pub fn run(args: &ValidateArgs, out: Output) -> Exit {
    let bytes = match read_input(&args.file) {
        Ok(bytes) => bytes,
        Err(exit) => return exit,
    };
    let (event_type, problems) = check(&bytes);
    let schema = event_type
        .as_deref()
        .and_then(catalog::lookup)
        .map(|e| e.event_type);
    match out.format {
        Format::Json | Format::Ndjson | Format::Curl => out.print_value(&json!({
            "valid": problems.is_empty(),
            "type": event_type,
            "schema": schema.is_some(),
            "errors": problems.iter().map(Problem::to_json).collect::<Vec<_>>(),
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
                    println!("  {p}");
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
