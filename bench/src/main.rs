//! `bench`: measure the gateway against the HTTP floor and write `BENCHMARKS.md`.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let settings = bench::BenchSettings::parse();
    let results = bench::runner::run(settings).await?;
    if results.failures.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("bench: {} check(s) failed:", results.failures.len());
        for failure in &results.failures {
            eprintln!("  {failure}");
        }
        Ok(ExitCode::FAILURE)
    }
}
