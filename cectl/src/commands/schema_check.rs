//! `cectl schema check`: the drift and rule check over a schema directory, what the drift test
//! runs.

use crate::exit::Exit;
use crate::output::{Format, Output};
use clap::Args;
use serde_json::json;
use shared_events::schema::files;
use std::path::PathBuf;

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "\
Examples:
  cectl schema check
  cectl schema check --dir ../other-checkout/schemas -o json

Fix drift with: UPDATE_SCHEMAS=1 cargo test -p shared-events --test schemas

Exit codes: 0 the directory matches the types, 3 it does not.";

/// Arguments of `cectl schema check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The schema directory
    #[arg(long, default_value = "schemas")]
    pub dir: PathBuf,
}

/// Runs the command.
pub fn run(args: &CheckArgs, out: Output) -> Exit {
    if !args.dir.is_dir() {
        eprintln!("cectl: {} is not a directory", args.dir.display());
        return Exit::Usage;
    }
    let issues = files::check(&args.dir);
    match out.format {
        Format::Json | Format::Ndjson | Format::Curl => out.print_value(&json!({
            "dir": args.dir,
            "ok": issues.is_empty(),
            "issues": issues.iter().map(ToString::to_string).collect::<Vec<_>>(),
        })),
        Format::Table => {
            if issues.is_empty() {
                println!("ok: {} matches the Rust types", args.dir.display());
            }
            for issue in &issues {
                println!("{issue}");
            }
        }
    }
    if issues.is_empty() {
        Exit::Ok
    } else {
        Exit::Bad
    }
}
