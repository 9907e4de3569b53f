//! `cectl`: parses the command line, runs the command, exits with its [`cectl::Exit`] code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cectl::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cectl: cannot start: {e}");
            return std::process::ExitCode::from(cectl::Exit::Error as u8);
        }
    };
    let exit = runtime.block_on(cectl::run(cli));
    std::process::ExitCode::from(exit as u8)
}
