//! `cectl completion`: a shell completion script, from the clap definitions (clap_complete).

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::cli::Cli;
use crate::exit::{Exit, Outcome};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "\
Examples:
  cectl completion bash > ~/.local/share/bash-completion/completions/cectl
  cectl completion zsh > \"${fpath[1]}/_cectl\"
  cectl completion fish > ~/.config/fish/completions/cectl.fish

Exit codes: 0 printed, 2 usage (an unknown shell).";

/// Arguments of `cectl completion`.
#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: ShellArg,
}

/// The shells completions are generated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ShellArg {
    /// Bash
    Bash,
    /// Zsh
    Zsh,
    /// Fish
    Fish,
}

/// Runs the command: the script on stdout.
pub fn run(args: &CompletionArgs) -> Outcome {
    let shell = match args.shell {
        ShellArg::Bash => Shell::Bash,
        ShellArg::Zsh => Shell::Zsh,
        ShellArg::Fish => Shell::Fish,
    };
    clap_complete::generate(shell, &mut Cli::command(), "cectl", &mut std::io::stdout());
    Ok(Exit::Ok)
}
