//! `cectl subscriptions`: list, read, apply (create or replace by id) and delete the gateway's
//! subscriptions.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::read_input;
use crate::Context;
use crate::client::Applied;
use crate::exit::{Exit, Failure, Outcome};
use crate::output::{Format, Table, cell, print_fields, warn};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "\
Examples:
  cectl subscriptions list
  cectl subscriptions get payments -o json
  cectl subscriptions apply -f subscriptions.yaml
  cectl subscriptions delete payments

Exit codes: 0 ok, 1 error (an invalid subscription, no gateway), 2 usage, 4 not found.";

/// Examples of `apply`.
pub const APPLY_EXAMPLES: &str = "\
Examples:
  cectl subscriptions apply -f payments.yaml
  cectl subscriptions get payments -o json > s.json && $EDITOR s.json && cectl subscriptions apply -f s.json
  cectl subscriptions apply -f a.yaml -f b.json

A file holds one subscription (the body of POST /subscriptions), a list of them, several YAML
documents, or {subscriptions: [...]} as GET /subscriptions answers. Each is replaced when its id
exists and created otherwise (one without an id is created with a generated id). Read-only
fields (status, secretSet) are ignored. \"secret\": \"generate\" prints the new secret once.

Exit codes: 0 all applied, 1 one was refused (those before it stay applied), 2 usage.";

/// Arguments of `cectl subscriptions`.
#[derive(Debug, Args)]
pub struct SubscriptionsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: SubscriptionsCommand,
}

/// The `subscriptions` subcommands.
#[derive(Debug, Subcommand)]
pub enum SubscriptionsCommand {
    /// List every subscription
    #[command(
        after_help = "Examples:\n  cectl subscriptions list\n  cectl subscriptions list -o json | jq -r '.[].id'"
    )]
    List,
    /// Show one subscription
    #[command(
        after_help = "Examples:\n  cectl subscriptions get payments\n  cectl subscriptions get payments -o json > payments.json\n\nExit codes: 0 ok, 4 no such subscription."
    )]
    Get {
        /// The subscription's id
        id: String,
    },
    /// Create or replace subscriptions from YAML or JSON files
    #[command(after_help = APPLY_EXAMPLES)]
    Apply {
        /// A .yaml, .yml or .json file, or - for stdin (YAML or JSON), repeatable
        #[arg(short = 'f', long = "file", value_name = "FILE", required = true)]
        files: Vec<PathBuf>,
    },
    /// Delete a subscription (its pending deliveries go with it)
    #[command(
        after_help = "Examples:\n  cectl subscriptions delete payments\n\nExit codes: 0 deleted, 4 no such subscription."
    )]
    Delete {
        /// The subscription's id
        id: String,
    },
}

/// Runs the command.
///
/// # Errors
/// A [`Failure`] as the exit codes in [`EXAMPLES`] say.
pub async fn run(args: &SubscriptionsArgs, cx: &Context) -> Outcome {
    let format = cx.out.data_format()?;
    let client = cx.client()?;
    match &args.command {
        SubscriptionsCommand::List => {
            let subs = client.subscriptions().await?;
            cx.out.print_list(&subs, table);
        }
        SubscriptionsCommand::Get { id } => {
            let sub = client.subscription(id).await?;
            match format {
                Format::Table => print_fields(&sub),
                _ => cx.out.print_value(&sub),
            }
        }
        SubscriptionsCommand::Apply { files } => {
            let mut bodies = Vec::new();
            for file in files {
                bodies.extend(read_subscriptions(file)?);
            }
            let mut applied = Vec::new();
            for body in &bodies {
                let result = match body.get("id").and_then(Value::as_str) {
                    Some(id) => client.apply_subscription(id, body).await,
                    None => client
                        .create_subscription(body)
                        .await
                        .map(|sub| (Applied::Created, sub)),
                };
                let (action, sub) = match result {
                    Ok(done) => done,
                    Err(error) => {
                        let which = body.get("id").and_then(Value::as_str).unwrap_or("(no id)");
                        warn(format_args!(
                            "subscription {which}: {error}; {} of {} applied",
                            applied.len(),
                            bodies.len()
                        ));
                        print_applied(cx, format, &applied);
                        return Err(Failure::new(error.exit(), String::new()));
                    }
                };
                applied.push((action, sub));
            }
            print_applied(cx, format, &applied);
        }
        SubscriptionsCommand::Delete { id } => {
            client.delete_subscription(id).await?;
            match format {
                Format::Table => println!("deleted {id}"),
                _ => cx.out.print_value(&json!({"deleted": id})),
            }
        }
    }
    Ok(Exit::Ok)
}

fn print_applied(cx: &Context, format: Format, applied: &[(Applied, Value)]) {
    let action = |a: &Applied| match a {
        Applied::Created => "created",
        Applied::Replaced => "replaced",
    };
    match format {
        Format::Table => {
            for (a, sub) in applied {
                println!("{} {}", action(a), cell(sub.get("id")));
                if let Some(secret) = sub.get("secret").and_then(Value::as_str) {
                    println!("  secret (shown once): {secret}");
                }
            }
        }
        _ => {
            let items: Vec<Value> = applied
                .iter()
                .map(|(a, sub)| json!({"action": action(a), "subscription": sub}))
                .collect();
            cx.out.print_list(&items, |_| Table::default());
        }
    }
}

/// The subscriptions in a file: one object, a list, several YAML documents, or
/// `{subscriptions: [...]}`.
///
/// # Errors
/// A usage [`Failure`] when the file cannot be read or holds something else.
pub fn read_subscriptions(path: &Path) -> Result<Vec<Value>, Failure> {
    let bytes = read_input(path)?;
    let name = path.display();
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::usage(format!("{name} is not UTF-8 text")))?;
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let documents: Vec<Value> = if is_json {
        vec![
            serde_json::from_str(&text)
                .map_err(|e| Failure::usage(format!("{name} is not JSON: {e}")))?,
        ]
    } else {
        let mut documents = Vec::new();
        for document in serde_yaml::Deserializer::from_str(&text) {
            let value: Value = serde::Deserialize::deserialize(document)
                .map_err(|e| Failure::usage(format!("{name} is not YAML or JSON: {e}")))?;
            if !value.is_null() {
                documents.push(value);
            }
        }
        documents
    };
    let mut subs = Vec::new();
    for document in documents {
        match document {
            Value::Array(items) => subs.extend(items),
            Value::Object(map) if map.contains_key("subscriptions") => {
                match map.get("subscriptions") {
                    Some(Value::Array(items)) => subs.extend(items.iter().cloned()),
                    _ => {
                        return Err(Failure::usage(format!(
                            "{name}: `subscriptions` must be a list"
                        )));
                    }
                }
            }
            object @ Value::Object(_) => subs.push(object),
            other => {
                return Err(Failure::usage(format!(
                    "{name}: expected a subscription object or a list, found {other}"
                )));
            }
        }
    }
    if let Some(bad) = subs.iter().find(|s| !s.is_object()) {
        return Err(Failure::usage(format!(
            "{name}: `{bad}` is not a subscription object"
        )));
    }
    if subs.is_empty() {
        return Err(Failure::usage(format!("{name} holds no subscription")));
    }
    Ok(subs)
}

fn table(subs: &[Value]) -> Table {
    let mut table = Table::new(&[
        "ID", "STATUS", "SINK", "FORMAT", "RETRY", "SECRET", "FILTERS",
    ]);
    for sub in subs {
        let filters = match sub.get("filters") {
            Some(Value::Array(f)) if f.is_empty() => "(all events)".to_owned(),
            other => cell(other),
        };
        table.row(vec![
            cell(sub.get("id")),
            cell(sub.get("status")),
            cell(sub.get("sink")),
            cell(sub.get("format")),
            cell(sub.pointer("/delivery/retry")),
            if sub.get("secretSet") == Some(&Value::Bool(true)) {
                "set"
            } else {
                ""
            }
            .to_owned(),
            filters,
        ]);
    }
    table
}
