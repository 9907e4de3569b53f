//! `cectl build`: the event `cectl send` would send, made offline and printed: its structured
//! form, or with `-o curl` a ready-to-paste curl command line in binary, structured or batched
//! mode (header values percent-encoded as the binding requires, everything shell-quoted).

use clap::Args;
use shared_events::http as binding;
use shared_events::http::curl;

use super::send::{ModeArg, checked_event, event_json, target};
use crate::Context;
use crate::event_input::EventArgs;
use crate::exit::{Exit, Failure, Outcome};
use crate::output::{Format, print_json, print_line};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "\
Examples:
  cectl build -t com.acme.thing.done.v1 -f thing.id=t-1 > event.json
  cectl build -o curl -t com.acme.thing.done.v1 -f thing.id=t-1 --subject 'it'\\''s €'
  cectl build -o curl --mode structured --to http://127.0.0.1:9000/ -t com.acme.ping.v1

With a token configured, the curl line reads it from $CECTL_TOKEN rather than printing it.

Exit codes: 0 built, 2 usage, 3 an invalid event.";

/// Arguments of `cectl build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The event.
    #[command(flatten)]
    pub event: EventArgs,
    /// The receiver in the curl line: a URL, or `gateway` for the gateway's /events
    #[arg(long, default_value = "gateway", value_name = "URL|gateway")]
    pub to: String,
    /// The content mode of the curl line (and batch prints a JSON array)
    #[arg(long, value_enum, default_value_t = ModeArg::Binary)]
    pub mode: ModeArg,
}

/// The curl command line that POSTs `headers` and `body` to `url`.
///
/// # Errors
/// A usage [`Failure`] when the body is not UTF-8 (binary data cannot be a shell argument).
pub fn curl_line(
    url: &str,
    headers: &http::HeaderMap,
    body: &[u8],
    token_from_env: bool,
) -> Result<String, Failure> {
    curl::curl_line(url, headers, body, token_from_env).map_err(|_| {
        Failure::usage(
            "binary data cannot be pasted as a shell argument; use --mode structured \
             (which carries it as data_base64)",
        )
    })
}

/// Runs the command.
///
/// # Errors
/// A [`Failure`] as the exit codes in [`EXAMPLES`] say.
pub fn run(args: &BuildArgs, cx: &Context) -> Outcome {
    let event = checked_event(&args.event, &cx.gateway)?;
    match cx.out.format {
        Format::Curl => {
            let client = cx.client()?;
            let url = target(&args.to, &client)?;
            let (headers, body) = binding::encode(&event, args.mode.mode())
                .map_err(|e| Failure::bad(format!("cannot encode the event: {e}")))?;
            let token = client.has_token() && client.owns(&url);
            println!("{}", curl_line(url.as_str(), &headers, &body, token)?);
        }
        Format::Ndjson => print_line(&event_json(&event, args.mode)),
        Format::Json | Format::Table => print_json(&event_json(&event, args.mode)),
    }
    Ok(Exit::Ok)
}
