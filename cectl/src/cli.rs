//! The command line, declared with clap derive. One variant per command; each command's
//! arguments live beside its implementation in `commands/`.

use crate::commands::{schema_check, schema_compat, validate};
use crate::exit::EXIT_CODES;
use crate::output::Format;
use clap::{Args, Parser, Subcommand};

/// CloudEvents contracts from the command line: schema compatibility, schema drift, event
/// validation.
#[derive(Debug, Parser)]
#[command(
    name = "cectl",
    version,
    after_help = concat!(
        "Examples:\n",
        "  cectl schema compat schemas/com.example.order.created.v1.json new.json\n",
        "  cectl schema check --dir schemas\n",
        "  cectl validate event.json\n\n",
        "Exit codes: 0 ok, 1 error, 2 usage (bad flag, unreadable file), 3 the thing checked is \
         bad (incompatible, drifted, invalid), 4 not found."
    )
)]
pub struct Cli {
    /// Flags every command takes.
    #[command(flatten)]
    pub global: Global,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Output format [default: table on a terminal, json otherwise]
    #[arg(short = 'o', long = "output", global = true, value_enum)]
    pub output: Option<Format>,
    /// The gateway, for commands that talk to it
    #[arg(
        long,
        global = true,
        env = "CECTL_GATEWAY",
        default_value = "http://127.0.0.1:8080"
    )]
    pub gateway: String,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check schemas: compatibility between versions, drift against the Rust types
    Schema(SchemaArgs),
    /// Validate a structured-mode CloudEvent: attribute rules and its data against the catalog schema
    #[command(after_help = validate::EXAMPLES)]
    Validate(validate::ValidateArgs),
}

/// `cectl schema …`.
#[derive(Debug, Args)]
#[command(after_help = EXIT_CODES)]
pub struct SchemaArgs {
    /// Which check.
    #[command(subcommand)]
    pub command: SchemaCommand,
}

/// The `schema` subcommands.
#[derive(Debug, Subcommand)]
pub enum SchemaCommand {
    /// Is the last schema a compatible successor of the earlier ones?
    #[command(after_help = schema_compat::EXAMPLES)]
    Compat(schema_compat::CompatArgs),
    /// Do the committed schemas match the Rust types and pass their compatibility rules?
    #[command(after_help = schema_check::EXAMPLES)]
    Check(schema_check::CheckArgs),
}
