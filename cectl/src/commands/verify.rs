//! `cectl verify`: checks a body and its Standard Webhooks headers against a secret, offline,
//! and says why a signature fails.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::json;
use shared_events::webhook::{self, WebhookSecret};

use super::read_input;
use crate::exit::{Exit, Failure, Outcome};
use crate::output::{BAD, Format, GOOD, Output, paint};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "\
Examples:
  cectl verify --secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw \\
      -H 'webhook-id: msg_1' -H 'webhook-timestamp: 1700000000' -H 'webhook-signature: v1,…' \\
      body.json
  CECTL_WEBHOOK_SECRET=whsec_… cectl verify --tolerance 1h \\
      -H \"webhook-id: $ID\" -H \"webhook-timestamp: $TS\" -H \"webhook-signature: $SIG\" - < body.json

The reasons: a header is missing or malformed; the signature does not match (the body changed
or the secret is wrong: the two cannot be told apart); the timestamp is too old or too new for
--tolerance; the secret is malformed.

Exit codes: 0 valid, 2 usage (a malformed -H, an unreadable file), 3 not valid.";

/// Arguments of `cectl verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The secret the sender signs with, whsec_ + base64 of 24-64 bytes
    #[arg(long, env = "CECTL_WEBHOOK_SECRET", hide_env_values = true)]
    pub secret: String,
    /// A received header, 'NAME: VALUE', repeatable (webhook-id, webhook-timestamp,
    /// webhook-signature; others are ignored)
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// How far the timestamp may be from now, either way (30s, 5m, 1h)
    #[arg(long, default_value = "5m", value_parser = super::parse_duration)]
    pub tolerance: Duration,
    /// The body exactly as received, or - for stdin
    #[arg(value_name = "FILE|-")]
    pub file: PathBuf,
}

/// Parses `-H 'name: value'` flags.
///
/// # Errors
/// A usage [`Failure`] naming the malformed flag.
pub fn parse_headers(flags: &[String]) -> Result<HeaderMap, Failure> {
    let mut headers = HeaderMap::new();
    for flag in flags {
        let malformed = || Failure::usage(format!("-H `{flag}` is not 'NAME: VALUE'"));
        let (name, value) = flag.split_once(':').ok_or_else(malformed)?;
        let name = HeaderName::try_from(name.trim()).map_err(|_| malformed())?;
        let value = HeaderValue::try_from(value.trim()).map_err(|_| malformed())?;
        headers.append(name, value);
    }
    Ok(headers)
}

/// Runs the command.
///
/// # Errors
/// A [`Failure`] as the exit codes in [`EXAMPLES`] say.
pub fn run(args: &VerifyArgs, out: Output) -> Outcome {
    let headers = parse_headers(&args.headers)?;
    let body = read_input(&args.file)?;
    let verdict = WebhookSecret::parse(&args.secret)
        .map_err(|e| format!("malformed secret: {e}"))
        .and_then(|secret| {
            webhook::verify(&secret, &headers, &body, chrono::Utc::now(), args.tolerance)
                .map_err(|e| e.to_string())
        });
    let id = headers
        .get(webhook::ID_HEADER)
        .and_then(|v| v.to_str().ok());
    match out.data_format()? {
        Format::Table => match &verdict {
            Ok(()) => anstream::println!(
                "{}: the signature matches and the timestamp is within {}s (webhook-id {})",
                paint(GOOD, "valid"),
                args.tolerance.as_secs(),
                id.unwrap_or("?")
            ),
            Err(reason) => anstream::println!("{}: {reason}", paint(BAD, "invalid")),
        },
        _ => out.print_value(&json!({
            "valid": verdict.is_ok(),
            "webhookId": id,
            "reason": verdict.as_ref().err(),
        })),
    }
    Ok(if verdict.is_ok() { Exit::Ok } else { Exit::Bad })
}
