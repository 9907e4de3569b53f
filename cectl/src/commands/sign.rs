//! `cectl sign`: the Standard Webhooks headers of a body, offline, as a sender would send them.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;
use shared_events::webhook::{self, WebhookSecret};

use super::read_input;
use crate::exit::{Exit, Failure, Outcome};
use crate::output::{Format, Output};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "\
Examples:
  cectl sign --secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw --id msg_1 body.json
  printf '{}' | cectl sign --id msg_1 --timestamp 1700000000 -   # secret from $CECTL_WEBHOOK_SECRET

  # Sign, then post with curl (which reads headers from a file with -H @FILE)
  cectl sign --id msg_1 body.json > headers.txt
  curl -H @headers.txt --data-binary @body.json http://127.0.0.1:9000/

Prints one `name: value` line per header (-o json: one object). The body is signed byte for
byte: a trailing newline counts.

Exit codes: 0 signed, 2 usage (malformed secret, unreadable file).";

/// Arguments of `cectl sign`.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// The signing secret, whsec_ + base64 of 24-64 bytes
    #[arg(long, env = "CECTL_WEBHOOK_SECRET", hide_env_values = true)]
    pub secret: String,
    /// The message id (webhook-id); the same for every retry of one message
    #[arg(long, value_name = "MSG_ID")]
    pub id: String,
    /// The Unix time to sign at, in seconds [default: now]
    #[arg(long, value_name = "UNIX", allow_negative_numbers = true)]
    pub timestamp: Option<i64>,
    /// The body, or - for stdin
    #[arg(value_name = "FILE|-")]
    pub file: PathBuf,
}

/// Runs the command.
///
/// # Errors
/// A usage [`Failure`] for a malformed secret, an unreadable body or `-o curl`.
pub fn run(args: &SignArgs, out: Output) -> Outcome {
    out.data_format()?;
    let secret = WebhookSecret::parse(&args.secret)
        .map_err(|e| Failure::usage(format!("malformed secret: {e}")))?;
    let body = read_input(&args.file)?;
    let timestamp = args
        .timestamp
        .unwrap_or_else(|| chrono::Utc::now().timestamp());
    let signature = secret.sign(&args.id, timestamp, &body);
    let headers = [
        (webhook::ID_HEADER, args.id.clone()),
        (webhook::TIMESTAMP_HEADER, timestamp.to_string()),
        (webhook::SIGNATURE_HEADER, signature),
    ];
    // Header lines are this command's data: JSON only when asked for.
    match out.format {
        Format::Json | Format::Ndjson if out.explicit => {
            let object: serde_json::Map<String, serde_json::Value> = headers
                .iter()
                .map(|(name, value)| ((*name).to_owned(), json!(value)))
                .collect();
            out.print_value(&object.into());
        }
        _ => {
            for (name, value) in headers {
                println!("{name}: {value}");
            }
        }
    }
    Ok(Exit::Ok)
}
