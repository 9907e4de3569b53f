//! `cectl`: parses the command line, runs the command, exits with its [`cectl::Exit`] code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cectl::Cli::parse();
    let exit = cectl::run(cli);
    std::process::ExitCode::from(exit as u8)
}
