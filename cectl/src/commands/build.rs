//! `cectl build`: the event `cectl send` would send, made offline and printed: its structured
//! form, or with `-o curl` a ready-to-paste curl command line in binary, structured or batched
//! mode (header values percent-encoded as the binding requires, everything shell-quoted).

use clap::Args;
use http::header::CONTENT_TYPE;
use shared_events::http as binding;

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

/// Quotes `text` for a POSIX shell: bare when it is made only of safe characters, else in
/// single quotes (a `'` inside becomes `'\''`).
pub fn shell_quote(text: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        return text.to_owned();
    }
    format!("'{}'", text.replace('\'', r"'\''"))
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
    let mut names: Vec<&str> = headers.keys().map(http::HeaderName::as_str).collect();
    // Content-Type and the required attributes first, the rest by name: the same line every time.
    let rank = |name: &str| match name {
        "content-type" => 0,
        "ce-specversion" => 1,
        "ce-id" => 2,
        "ce-source" => 3,
        "ce-type" => 4,
        _ => 5,
    };
    names.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)));
    let mut line = format!("curl -i -X POST {}", shell_quote(url));
    for name in names {
        for value in headers.get_all(name) {
            let value = String::from_utf8_lossy(value.as_bytes());
            let header = if name == CONTENT_TYPE.as_str() {
                format!("Content-Type: {value}")
            } else {
                format!("{name}: {value}")
            };
            line.push_str(" -H ");
            line.push_str(&shell_quote(&header));
        }
    }
    if token_from_env {
        line.push_str(r#" -H "Authorization: Bearer $CECTL_TOKEN""#);
    }
    if !body.is_empty() {
        let text = std::str::from_utf8(body).map_err(|_| {
            Failure::usage(
                "binary data cannot be pasted as a shell argument; use --mode structured \
                 (which carries it as data_base64)",
            )
        })?;
        line.push_str(" --data-binary ");
        line.push_str(&shell_quote(text));
    }
    Ok(line)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_every_awkward_character() {
        assert_eq!(shell_quote("http://a:1/events"), "http://a:1/events");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("$HOME `x` \\ \"q\""), r#"'$HOME `x` \ "q"'"#);
    }
}
