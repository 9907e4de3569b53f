//! `cectl dlq`: the gateway's dead letters: list, read (the event untouched and every attempt),
//! redeliver and purge.

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::Context;
use crate::client::DeadLetterQuery;
use crate::exit::{Exit, Failure, Outcome};
use crate::output::{BOLD, Format, Table, cell, paint, print_json, warn};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "\
Examples:
  cectl dlq list --subscription payments
  cectl dlq get 42
  cectl dlq redeliver 42 43
  cectl dlq redeliver --all --subscription payments
  cectl dlq purge 42

Exit codes: 0 ok, 1 error, 2 usage, 4 not found (with several ids: any of them).";

/// Arguments of `cectl dlq`.
#[derive(Debug, Args)]
pub struct DlqArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: DlqCommand,
}

/// The `dlq` subcommands.
#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// List dead letters, oldest first
    #[command(
        after_help = "Examples:\n  cectl dlq list\n  cectl dlq list --subscription payments --type com.example.payment.make.v1\n  cectl dlq list --limit 50 --after 120   # the next page, as stderr's `more:` says"
    )]
    List {
        /// Only this subscription's
        #[arg(long)]
        subscription: Option<String>,
        /// Only this event type's
        #[arg(long = "type", value_name = "TYPE")]
        event_type: Option<String>,
        /// At most this many (the gateway caps it at 1000)
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// The page after this dead-letter id (the gateway's `next`)
        #[arg(long, value_name = "ID")]
        after: Option<String>,
    },
    /// Show a dead letter: the event, untouched, and every attempt
    #[command(
        after_help = "Examples:\n  cectl dlq get 42\n  cectl dlq get 42 -o json | jq .event | cectl validate -\n\nExit codes: 0 ok, 4 no such dead letter."
    )]
    Get {
        /// The dead letter's id
        id: String,
    },
    /// Deliver dead letters again (attempts counted afresh)
    #[command(
        after_help = "Examples:\n  cectl dlq redeliver 42 43\n  cectl dlq redeliver --all --subscription payments\n\nA redelivered dead letter leaves the store; a new failure makes a new one.\nExit codes: 0 all redelivered, 1 an error, 4 one of them (or the subscription) does not exist."
    )]
    Redeliver {
        /// Dead-letter ids
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        ids: Vec<String>,
        /// Every dead letter of --subscription
        #[arg(long, requires = "subscription")]
        all: bool,
        /// The subscription, with --all
        #[arg(long, requires = "all")]
        subscription: Option<String>,
    },
    /// Delete dead letters for good
    #[command(
        after_help = "Examples:\n  cectl dlq purge 42 43\n\nExit codes: 0 all purged, 1 an error, 4 one of them does not exist."
    )]
    Purge {
        /// Dead-letter ids
        #[arg(required = true)]
        ids: Vec<String>,
    },
}

/// Runs the command.
///
/// # Errors
/// A [`Failure`] as the exit codes in [`EXAMPLES`] say.
pub async fn run(args: &DlqArgs, cx: &Context) -> Outcome {
    let format = cx.out.data_format()?;
    let client = &cx.client()?;
    match &args.command {
        DlqCommand::List {
            subscription,
            event_type,
            limit,
            after,
        } => {
            let query = DeadLetterQuery {
                subscription: subscription.clone(),
                event_type: event_type.clone(),
                after: after.clone(),
                limit: Some(*limit),
            };
            let page = client.dead_letters(&query).await?;
            cx.out.print_list(&page.dead_letters, table);
            if let Some(next) = page.next {
                warn(format_args!("more: --after {next}"));
            }
        }
        DlqCommand::Get { id } => {
            let letter = client.dead_letter(id).await?;
            match format {
                Format::Table => print_detail(&letter),
                _ => cx.out.print_value(&letter),
            }
        }
        DlqCommand::Redeliver {
            subscription: Some(subscription),
            ..
        } => {
            let n = client.redeliver_subscription(subscription).await?;
            match format {
                Format::Table => println!("redelivering {n} dead letter(s) of {subscription}"),
                _ => cx
                    .out
                    .print_value(&json!({"subscription": subscription, "redelivered": n})),
            }
        }
        DlqCommand::Redeliver { ids, .. } => {
            return each(cx, format, ids, "redelivering", |id| async move {
                client.redeliver(&id).await.map(|_| ())
            })
            .await;
        }
        DlqCommand::Purge { ids } => {
            return each(cx, format, ids, "purged", |id| async move {
                client.delete_dead_letter(&id).await
            })
            .await;
        }
    }
    Ok(Exit::Ok)
}

/// Does `action` to every id, going on after a failure; reports each and exits with the worst.
async fn each<F, Fut>(
    cx: &Context,
    format: Format,
    ids: &[String],
    verb: &str,
    action: F,
) -> Outcome
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<(), crate::client::ClientError>>,
{
    let mut exit = Exit::Ok;
    let mut results = Vec::new();
    for id in ids {
        match action(id.clone()).await {
            Ok(()) => {
                if format == Format::Table {
                    println!("{verb} {id}");
                }
                results.push(json!({"id": id, "ok": true}));
            }
            Err(error) => {
                warn(format_args!("{id}: {error}"));
                exit = exit.worst(error.exit());
                results.push(json!({"id": id, "ok": false, "error": error.detail()}));
            }
        }
    }
    if format != Format::Table {
        cx.out.print_list(&results, |_| Table::default());
    }
    if exit == Exit::Ok {
        Ok(exit)
    } else {
        Err(Failure::new(exit, String::new()))
    }
}

fn table(letters: &[Value]) -> Table {
    let mut table = Table::new(&[
        "ID",
        "SUBSCRIPTION",
        "TYPE",
        "EVENT ID",
        "ATTEMPTS",
        "LAST STATUS",
        "DEAD-LETTERED",
        "REASON",
    ]);
    for d in letters {
        table.row(vec![
            cell(d.get("id")),
            cell(d.get("subscription")),
            cell(d.get("eventType")),
            cell(d.get("eventId")),
            cell(d.get("attempts")),
            cell(d.get("lastStatus")),
            cell(d.get("deadLetteredAt")),
            cell(d.get("reason")),
        ]);
    }
    table
}

fn print_detail(letter: &Value) {
    for key in [
        "id",
        "subscription",
        "eventType",
        "eventId",
        "eventSource",
        "reason",
        "attempts",
        "lastStatus",
        "deadLetteredAt",
    ] {
        let label = format!("{key}:");
        anstream::println!(
            "{} {}",
            paint(BOLD, format!("{label:<15}")),
            cell(letter.get(key))
        );
    }
    anstream::println!("{}", paint(BOLD, "event:"));
    print_json(letter.get("event").unwrap_or(&Value::Null));
    anstream::println!("{}", paint(BOLD, "history:"));
    let mut history = Table::new(&[
        "ATTEMPT",
        "TIME",
        "OUTCOME",
        "STATUS",
        "LATENCY MS",
        "ERROR",
    ]);
    for attempt in letter
        .get("history")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        history.row(vec![
            cell(attempt.get("attempt")),
            cell(attempt.get("time")),
            cell(attempt.get("outcome")),
            cell(attempt.get("status")),
            cell(attempt.get("latencyMs")),
            cell(attempt.get("error")),
        ]);
    }
    history.print();
}
