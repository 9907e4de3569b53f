//! `cectl deliveries`: the gateway's delivery log (every attempt, oldest first) and every
//! attempt at delivering one event: status, latency, the response's first bytes.

use clap::{Args, Subcommand};
use serde_json::Value;

use super::events::{attempt_status, excerpt};
use crate::Context;
use crate::client::DeliveryQuery;
use crate::exit::{Exit, Failure, Outcome};
use crate::output::{BAD, BOLD, DIM, Format, GOOD, Table, cell, paint, warn};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "\
Examples:
  cectl deliveries list --subscription payments
  cectl deliveries list --after 1200 --limit 50
  cectl deliveries get AAAAAAAAAAAAAAAAAAAAAA
  cectl deliveries get AAAAAAAAAAAAAAAAAAAAAA --subscription payments -o json

Exit codes: 0 ok, 1 error, 2 usage, 4 not found.";

/// Arguments of `cectl deliveries`.
#[derive(Debug, Args)]
pub struct DeliveriesArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: DeliveriesCommand,
}

/// The `deliveries` subcommands.
#[derive(Debug, Subcommand)]
pub enum DeliveriesCommand {
    /// List delivery attempts in the order they happened
    #[command(
        after_help = "Examples:\n  cectl deliveries list\n  cectl deliveries list --subscription payments --limit 20\n  cectl deliveries list --after 1200   # the next page, as stderr's `more:` says"
    )]
    List {
        /// Only this subscription's
        #[arg(long)]
        subscription: Option<String>,
        /// The page after this attempt id (the gateway's `next`)
        #[arg(long, value_name = "ID")]
        after: Option<i64>,
        /// At most this many (the gateway caps it at 1000)
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Show every attempt at delivering one event, per subscription
    #[command(
        after_help = "Examples:\n  cectl deliveries get AAAAAAAAAAAAAAAAAAAAAA\n  cectl deliveries get AAAAAAAAAAAAAAAAAAAAAA --subscription payments\n\nThe cursor is the event's, as `events list` and `tail -o json` show it.\nExit codes: 0 ok, 4 no such event, or no delivery of it to --subscription."
    )]
    Get {
        /// The event's cursor
        cursor: String,
        /// Only the delivery to this subscription
        #[arg(long)]
        subscription: Option<String>,
    },
}

/// Runs the command.
///
/// # Errors
/// A [`Failure`] as the exit codes in [`EXAMPLES`] say.
pub async fn run(args: &DeliveriesArgs, cx: &Context) -> Outcome {
    let format = cx.out.data_format()?;
    let client = cx.client()?;
    match &args.command {
        DeliveriesCommand::List {
            subscription,
            after,
            limit,
        } => {
            let query = DeliveryQuery {
                subscription: subscription.clone(),
                after: *after,
                limit: Some(*limit),
            };
            let page = client.deliveries(&query).await?;
            cx.out.print_list(&page.deliveries, table);
            if page.deliveries.len() >= *limit as usize {
                if let Some(next) = page.next {
                    warn(format_args!("more: --after {next}"));
                }
            }
        }
        DeliveriesCommand::Get {
            cursor,
            subscription,
        } => {
            let entry = client.event(cursor).await?;
            let deliveries: Vec<Value> = entry
                .get("deliveries")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|d| {
                    subscription
                        .as_deref()
                        .is_none_or(|s| d.get("subscription").and_then(Value::as_str) == Some(s))
                })
                .cloned()
                .collect();
            if let (Some(sub), true) = (subscription, deliveries.is_empty()) {
                return Err(Failure::new(
                    Exit::NotFound,
                    format!("the event at {cursor} was not delivered to `{sub}`"),
                ));
            }
            match format {
                Format::Table => print_attempts(&entry, &deliveries),
                _ => cx.out.print_list(&deliveries, |_| Table::default()),
            }
        }
    }
    Ok(Exit::Ok)
}

fn table(attempts: &[Value]) -> Table {
    let mut table = Table::new(&[
        "ID",
        "TIME",
        "SUBSCRIPTION",
        "ATTEMPT",
        "OUTCOME",
        "STATUS",
        "LATENCY MS",
        "TYPE",
        "EVENT ID",
    ]);
    for a in attempts {
        table.row(vec![
            cell(a.get("id")),
            cell(a.get("time")),
            cell(a.get("subscription")),
            cell(a.get("attempt")),
            cell(a.get("outcome")),
            attempt_status(a),
            cell(a.get("latencyMs")),
            cell(a.pointer("/event/type")),
            cell(a.pointer("/event/id")),
        ]);
    }
    table
}

fn print_attempts(entry: &Value, deliveries: &[Value]) {
    anstream::println!(
        "{} {} {}",
        paint(BOLD, cell(entry.pointer("/event/type"))),
        cell(entry.pointer("/event/id")),
        paint(
            DIM,
            format!("from {}", cell(entry.pointer("/event/source")))
        ),
    );
    if deliveries.is_empty() {
        anstream::println!("no subscription matched it");
    }
    for d in deliveries {
        let status = cell(d.get("status"));
        let style = match status.as_str() {
            "delivered" => GOOD,
            "dead_lettered" => BAD,
            _ => DIM,
        };
        let mut line = format!(
            "{} {}, {} attempt(s)",
            paint(BOLD, format!("{}:", cell(d.get("subscription")))),
            paint(style, &status),
            cell(d.get("attempts")),
        );
        if let Some(next) = d.get("nextAttemptAt").and_then(Value::as_str) {
            line.push_str(&format!(", next attempt at {next}"));
        }
        if let Some(letter) = d.get("deadLetter") {
            line.push_str(&format!(", dead letter {}", cell(Some(letter))));
        }
        if let Some(job) = d.get("replay").and_then(Value::as_str) {
            line.push_str(&format!(", replayed by job {job}"));
        }
        anstream::println!("{line}");
        let mut table = Table::new(&[
            "  ATTEMPT",
            "TIME",
            "OUTCOME",
            "STATUS",
            "LATENCY MS",
            "RESPONSE",
        ]);
        for a in d
            .get("history")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let response = a
                .get("response")
                .and_then(Value::as_str)
                .or_else(|| a.get("error").and_then(Value::as_str))
                .unwrap_or("");
            table.row(vec![
                format!("  {}", cell(a.get("attempt"))),
                cell(a.get("time")),
                cell(a.get("outcome")),
                attempt_status(a),
                cell(a.get("latencyMs")),
                excerpt(response, 60),
            ]);
        }
        table.print();
    }
}
