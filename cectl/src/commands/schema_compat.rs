//! `cectl schema compat`: checks a new schema against its history under a compatibility mode,
//! and names the consumers whose committed expectations it breaks.

use super::read_input;
use crate::exit::Exit;
use crate::output::{Format, Output};
use clap::Args;
use schema_compat::{CheckOptions, Mode};
use serde_json::{Value, json};
use shared_events::contracts;
use std::path::PathBuf;

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "\
Examples:
  # Would a v2-shaped schema pass as the next revision of order.created.v1?
  cectl schema compat schemas/com.example.order.created.v1/versions/1.json new.json

  # A whole history, oldest first, under a weaker rule
  cectl schema compat --mode BACKWARD v1.json v2.json v3.json

Exit codes: 0 compatible, 2 usage (unknown mode, unreadable file), 3 incompatible.";

/// Arguments of `cectl schema compat`.
#[derive(Debug, Args)]
pub struct CompatArgs {
    /// Compatibility mode: NONE, BACKWARD, FORWARD, FULL, each optionally _TRANSITIVE (xRegistry's lowercase spellings too)
    #[arg(long, default_value = "FULL_TRANSITIVE", value_parser = parse_mode)]
    pub mode: Mode,
    /// Take readers as written (plain Confluent semantics): removing a property from a closed schema breaks
    #[arg(long)]
    pub closed_readers: bool,
    /// Where consumers' contracts live, to name the ones a breaking change breaks
    #[arg(long, default_value = "contracts")]
    pub contracts: PathBuf,
    /// The schemas, oldest first (OLDEST.json … NEWEST.json); the last one is the new schema
    #[arg(value_name = "SCHEMA", num_args = 2.., required = true)]
    pub files: Vec<PathBuf>,
}

fn parse_mode(text: &str) -> Result<Mode, String> {
    text.parse()
        .map_err(|e: schema_compat::ParseModeError| e.to_string())
}

fn read_schema(path: &std::path::Path) -> Result<Value, Exit> {
    let bytes = read_input(path)?;
    serde_json::from_slice(&bytes).map_err(|e| {
        eprintln!("cectl: {} is not JSON: {e}", path.display());
        Exit::Usage
    })
}

/// Runs the command.
pub fn run(args: &CompatArgs, out: Output) -> Exit {
    let mut schemas = Vec::new();
    for path in &args.files {
        match read_schema(path) {
            Ok(schema) => schemas.push(schema),
            Err(exit) => return exit,
        }
    }
    let Some((new, history)) = schemas.split_last() else {
        return Exit::Usage;
    };
    let options = CheckOptions {
        open_reader_views: !args.closed_readers,
    };
    let report = schema_compat::check(args.mode, history, new, &options);
    // Our schemas carry their type as `title`; a breaking change names who it breaks.
    let event_type = new.get("title").and_then(Value::as_str);
    let consumers = match event_type {
        Some(ty) if !report.compatible => contracts::broken_by(&args.contracts, ty, new),
        _ => Vec::new(),
    };
    let file = |version: usize| args.files[version].display().to_string();
    match out.format {
        Format::Json | Format::Ndjson | Format::Curl => {
            let mut value = serde_json::to_value(&report).unwrap_or(Value::Null);
            value["files"] = json!(args.files);
            value["consumers"] = consumers
                .iter()
                .map(|c| json!({"consumer": c.consumer, "expectation": c.description, "reason": c.reason}))
                .collect();
            out.print_value(&value);
        }
        Format::Table => {
            let verdict = if report.compatible {
                "compatible"
            } else {
                "incompatible"
            };
            println!(
                "{verdict}: {} under {} against {} earlier version(s)",
                file(args.files.len() - 1),
                report.mode,
                report.versions_checked.len()
            );
            for finding in report.breaking() {
                println!(
                    "  {:<48} {} ({} against {}): {}",
                    finding.kind.to_string(),
                    if finding.new_pointer().is_empty() {
                        "/"
                    } else {
                        finding.new_pointer()
                    },
                    finding.direction,
                    file(finding.version),
                    finding.message
                );
            }
            let others = report.findings.len() - report.breaking().count();
            if others > 0 {
                println!("  (+{others} compatible difference(s); -o json lists them all)");
            }
            if !consumers.is_empty() {
                println!("consumers whose expectations this breaks:");
                for consumer in &consumers {
                    println!("  {consumer}");
                }
            }
            if !report.compatible {
                if let Some(ty) = event_type.and_then(|t| shared_events::EventType::parse(t).ok()) {
                    println!(
                        "a breaking change needs a new major version: create {}.v{}, emit both \
                         for a while, and mark {} deprecated",
                        ty.unversioned(),
                        ty.version() + 1,
                        ty.as_str()
                    );
                }
            }
        }
    }
    if report.compatible {
        Exit::Ok
    } else {
        Exit::Bad
    }
}
