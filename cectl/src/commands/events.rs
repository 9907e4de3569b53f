//! `cectl events`: the gateway's retained events, page by page in ingest order, and one event
//! with where it went (its delivery to every subscription).

use clap::{Args, Subcommand};
use serde_json::Value;
use shared_events::{display, format as ce_format};

use crate::Context;
use crate::client::{EventQuery, GatewayClient};
use crate::exit::{Exit, Failure, Outcome};
use crate::output::{BOLD, Format, Table, cell, paint, print_json, print_line, warn};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "\
Examples:
  cectl events list --limit 20
  cectl events list --filter \"type LIKE 'com.example.order.%'\" --all -o ndjson
  cectl events get AAAAAAAAAAAAAAAAAAAAAA
  cectl events get --source /order-service --id 0190b2a4-7c1e-7000-8000-000000000001

Exit codes: 0 ok, 1 error (a malformed cursor or filter, no gateway), 2 usage, 4 not found.";

/// Arguments of `cectl events`.
#[derive(Debug, Args)]
pub struct EventsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: EventsCommand,
}

/// The `events` subcommands.
#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// List retained events, oldest first
    #[command(
        after_help = "Examples:\n  cectl events list\n  cectl events list --after AAAAAAAAAAAAAAAAAAAAAA   # the next page, as stderr's `more:` says\n  cectl events list --filter \"source = '/order-service'\" --all -o ndjson\n\nThe filter is CESQL, the dialect of subscription filters (`sql`)."
    )]
    List {
        /// The page after this cursor (the gateway's `next`); the earliest event when left out
        #[arg(long, value_name = "CURSOR")]
        after: Option<String>,
        /// At most this many per page (the gateway caps it at 1000)
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Only events this CESQL expression selects
        #[arg(long, value_name = "CESQL")]
        filter: Option<String>,
        /// Every page, to the newest event
        #[arg(long)]
        all: bool,
    },
    /// Show one event and its delivery to every subscription
    #[command(
        after_help = "Examples:\n  cectl events get AAAAAAAAAAAAAAAAAAAAAA\n  cectl events get --source /order-service --id 0190b2a4-7c1e-7000-8000-000000000001\n  cectl events get CURSOR -o json | jq .event\n\nExit codes: 0 ok, 4 no such retained event."
    )]
    Get(EventRef),
}

/// One event, by cursor or by CloudEvents identity.
#[derive(Debug, Clone, Args)]
pub struct EventRef {
    /// The event's cursor (from `events list` or `tail`)
    #[arg(required_unless_present = "source", conflicts_with_all = ["source", "id"])]
    pub cursor: Option<String>,
    /// The event's `source` attribute (with --id)
    #[arg(long, requires = "id")]
    pub source: Option<String>,
    /// The event's `id` attribute (with --source)
    #[arg(long, requires = "source")]
    pub id: Option<String>,
}

/// Runs the command.
///
/// # Errors
/// A [`Failure`] as the exit codes in [`EXAMPLES`] say.
pub async fn run(args: &EventsArgs, cx: &Context) -> Outcome {
    let format = cx.out.data_format()?;
    let client = cx.client()?;
    match &args.command {
        EventsCommand::List {
            after,
            limit,
            filter,
            all,
        } => list(cx, format, &client, after.clone(), *limit, filter, *all).await,
        EventsCommand::Get(reference) => {
            let event = fetch(&client, reference).await?;
            match format {
                Format::Table => print_detail(&event),
                _ => cx.out.print_value(&event),
            }
            Ok(Exit::Ok)
        }
    }
}

async fn list(
    cx: &Context,
    format: Format,
    client: &GatewayClient,
    mut after: Option<String>,
    limit: u32,
    filter: &Option<String>,
    all: bool,
) -> Outcome {
    let mut entries = Vec::new();
    loop {
        let query = EventQuery {
            after: after.clone(),
            limit: Some(limit),
            filter: filter.clone(),
        };
        let page = client.events(&query).await?;
        let full = page.events.len() >= limit as usize;
        let moved = page.next.is_some() && page.next != after;
        if all && format == Format::Ndjson {
            page.events.iter().for_each(print_line);
        } else {
            entries.extend(page.events);
        }
        if !all {
            if let Some(next) = page.next.filter(|_| full) {
                warn(format_args!("more: --after {next}"));
            }
            break;
        }
        // A filtered page may be short (or empty) and still not be the end: go on while the
        // gateway reads further.
        if !moved {
            break;
        }
        after = page.next;
    }
    if !(all && format == Format::Ndjson) {
        cx.out.print_list(&entries, table);
    }
    Ok(Exit::Ok)
}

/// The event a reference names, with its deliveries.
///
/// # Errors
/// A not-found [`Failure`] when no retained event has this cursor or identity.
pub async fn fetch(client: &GatewayClient, reference: &EventRef) -> Result<Value, Failure> {
    let cursor = match (&reference.cursor, &reference.source, &reference.id) {
        (Some(cursor), _, _) => cursor.clone(),
        (None, Some(source), Some(id)) => {
            let found = client.find_event(source, id).await?.ok_or_else(|| {
                Failure::new(
                    Exit::NotFound,
                    format!("no retained event with source `{source}` and id `{id}`"),
                )
            })?;
            found
                .get("cursor")
                .and_then(Value::as_str)
                .ok_or_else(|| Failure::error("the gateway's answer has no cursor"))?
                .to_owned()
        }
        _ => {
            return Err(Failure::usage(
                "name the event by CURSOR or --source and --id",
            ));
        }
    };
    Ok(client.event(&cursor).await?)
}

fn table(entries: &[Value]) -> Table {
    let mut table = Table::new(&["CURSOR", "INGESTED", "TYPE", "SOURCE", "ID", "SUBJECT"]);
    for entry in entries {
        table.row(vec![
            cell(entry.get("cursor")),
            cell(entry.get("ingestedAt")),
            cell(entry.pointer("/event/type")),
            cell(entry.pointer("/event/source")),
            cell(entry.pointer("/event/id")),
            cell(entry.pointer("/event/subject")),
        ]);
    }
    table
}

/// The status an attempt ended with: the HTTP status, else what went wrong.
pub fn attempt_status(attempt: &Value) -> String {
    match attempt.get("status") {
        Some(Value::Number(n)) => n.to_string(),
        _ => excerpt(
            attempt
                .get("error")
                .and_then(Value::as_str)
                .or_else(|| attempt.get("outcome").and_then(Value::as_str))
                .unwrap_or(""),
            40,
        ),
    }
}

/// `text` on one line, cut to `max` characters with an ellipsis.
pub fn excerpt(text: &str, max: usize) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= max {
        return line;
    }
    let mut cut: String = line.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

fn print_detail(entry: &Value) {
    for key in ["cursor", "ingestedAt"] {
        let label = format!("{key}:");
        anstream::println!(
            "{} {}",
            paint(BOLD, format!("{label:<11}")),
            cell(entry.get(key))
        );
    }
    let event = entry.get("event").cloned().unwrap_or(Value::Null);
    match ce_format::from_value(event.clone()) {
        Ok(decoded) => anstream::print!("{}", display::render(&decoded)),
        Err(_) => print_json(&event),
    }
    let deliveries: &[Value] = entry
        .get("deliveries")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    if deliveries.is_empty() {
        anstream::println!(
            "{} none (no subscription matched)",
            paint(BOLD, "Deliveries,")
        );
        return;
    }
    anstream::println!("{}", paint(BOLD, "Deliveries,"));
    let mut table = Table::new(&[
        "SUBSCRIPTION",
        "STATUS",
        "ATTEMPTS",
        "LAST STATUS",
        "LATENCY MS",
        "NEXT ATTEMPT",
        "DEAD LETTER",
    ]);
    for d in deliveries {
        let last = d
            .get("history")
            .and_then(Value::as_array)
            .and_then(|h| h.iter().rev().find(|a| a["attempt"].as_u64() != Some(0)));
        table.row(vec![
            cell(d.get("subscription")),
            cell(d.get("status")),
            cell(d.get("attempts")),
            last.map(attempt_status).unwrap_or_default(),
            cell(last.and_then(|a| a.get("latencyMs"))),
            cell(d.get("nextAttemptAt")),
            cell(d.get("deadLetter")),
        ]);
    }
    table.print();
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn excerpts_are_one_line_and_cut_with_an_ellipsis() {
        assert_eq!(excerpt("a\n  b", 10), "a b");
        assert_eq!(excerpt("abcdefgh", 5), "abcd…");
        assert_eq!(excerpt("abcde", 5), "abcde");
    }

    #[test]
    fn an_attempt_without_an_answer_shows_its_error() {
        assert_eq!(attempt_status(&json!({"status": 503})), "503");
        assert_eq!(
            attempt_status(&json!({"status": null, "error": "timed out", "outcome": "retry"})),
            "timed out"
        );
        assert_eq!(
            attempt_status(&json!({"outcome": "delivered"})),
            "delivered"
        );
    }
}
