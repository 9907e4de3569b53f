//! `cectl jobs`: the gateway's replay jobs (and the catch-ups of subscriptions created from
//! the past): list, show, cancel.

use clap::{Args, Subcommand};
use serde_json::Value;

use crate::Context;
use crate::exit::{Exit, Outcome};
use crate::output::{Format, Table, cell, print_fields};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "\
Examples:
  cectl jobs list
  cectl jobs get 0190b2a4-7c1e-7000-8000-000000000001
  cectl jobs cancel 0190b2a4-7c1e-7000-8000-000000000001

Exit codes: 0 ok, 1 error (cancel: the job is not running), 2 usage, 4 no such job.";

/// Arguments of `cectl jobs`.
#[derive(Debug, Args)]
pub struct JobsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: JobsCommand,
}

/// The `jobs` subcommands.
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List jobs, the newest first
    #[command(
        after_help = "Examples:\n  cectl jobs list\n  cectl jobs list -o json | jq '.[] | select(.status == \"running\") | .id'"
    )]
    List {
        /// At most this many (the gateway caps it at 1000)
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Show a job: status, total, done (settled deliveries), its range and filter
    #[command(
        after_help = "Examples:\n  cectl jobs get 0190b2a4-7c1e-7000-8000-000000000001\n  cectl jobs get ID -o json | jq .done\n\nExit codes: 0 ok, 4 no such job."
    )]
    Get {
        /// The job's id
        id: String,
    },
    /// Cancel a running job (the deliveries it scheduled and not yet made are dropped)
    #[command(
        after_help = "Examples:\n  cectl jobs cancel 0190b2a4-7c1e-7000-8000-000000000001\n\nExit codes: 0 cancelled, 1 it is not running (completed, cancelled or failed already), 4 no such job."
    )]
    Cancel {
        /// The job's id
        id: String,
    },
}

/// Runs the command.
///
/// # Errors
/// A [`crate::Failure`] as the exit codes in [`EXAMPLES`] say.
pub async fn run(args: &JobsArgs, cx: &Context) -> Outcome {
    let format = cx.out.data_format()?;
    let client = cx.client()?;
    match &args.command {
        JobsCommand::List { limit } => {
            let jobs = client.jobs(Some(*limit)).await?;
            cx.out.print_list(&jobs, table);
        }
        JobsCommand::Get { id } => {
            let job = client.job(id).await?;
            match format {
                Format::Table => print_fields(&job.raw),
                _ => cx.out.print_value(&job.raw),
            }
        }
        JobsCommand::Cancel { id } => {
            let job = client.cancel_job(id).await?;
            match format {
                Format::Table => {
                    println!("cancelled {id} after {} of {}", job.done, job.total_text())
                }
                _ => cx.out.print_value(&job.raw),
            }
        }
    }
    Ok(Exit::Ok)
}

fn table(jobs: &[Value]) -> Table {
    let mut table = Table::new(&[
        "ID",
        "SUBSCRIPTION",
        "KIND",
        "STATUS",
        "DONE",
        "TOTAL",
        "FROM",
        "TO",
        "CREATED",
    ]);
    for job in jobs {
        table.row(vec![
            cell(job.get("id")),
            cell(job.get("subscription")),
            cell(job.get("kind")),
            cell(job.get("status")),
            cell(job.get("done")),
            cell(job.get("total")),
            cell(job.get("from")),
            cell(job.get("to")),
            cell(job.get("createdAt")),
        ]);
    }
    table
}
