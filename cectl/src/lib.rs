//! `cectl`, the project's command line for CloudEvents contracts: checks schema compatibility
//! (`schema compat`), the committed schemas against the Rust types (`schema check`) and single
//! events (`validate`). Later commands (sending, listening, replay) are added as further
//! subcommands beside these; the global flags already include `--gateway`.
//!
//! Data goes to stdout (a table on a terminal, JSON otherwise, or as `-o` says); diagnostics go
//! to stderr. The exit code says what happened ([`Exit`]).
//!
//! # Layout
//! - `cli`: the clap definitions: [`Cli`], the global flags and one subcommand enum.
//! - `exit`: [`Exit`], the documented exit codes.
//! - `output`: [`Format`] and the choice between table and JSON.
//! - `commands`: one file per command: `schema_compat`, `schema_check`, `validate`.

mod cli;
mod commands;
mod exit;
mod output;

pub use cli::{Cli, Command, SchemaCommand};
pub use exit::Exit;
pub use output::Format;

/// Runs the parsed command line and says how it ended.
pub fn run(cli: Cli) -> Exit {
    let format = output::resolve(cli.global.output);
    match cli.command {
        Command::Schema(schema) => match schema.command {
            SchemaCommand::Compat(args) => commands::schema_compat::run(&args, format),
            SchemaCommand::Check(args) => commands::schema_check::run(&args, format),
        },
        Command::Validate(args) => commands::validate::run(&args, format),
    }
}
