//! `cectl send`: one event to the gateway or any CloudEvents receiver, in binary, structured or
//! batched mode, encoded by shared-events' binding; prints the status, the latency and the
//! reply event if the answer carried one.

use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use http::Method;
use serde_json::{Value, json};
use shared_events::http::reqwest::RequestBuilderExt;
use shared_events::http::{self as binding, Incoming, Mode};
use shared_events::{AttributesReader, Event, display, format as ce_format};
use url::Url;

use crate::Context;
use crate::check;
use crate::client::{ClientError, GatewayClient, root_cause};
use crate::event_input::EventArgs;
use crate::exit::{Exit, Failure, Outcome};
use crate::output::{BAD, DIM, Format, GOOD, paint, warn};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "\
Examples:
  # A catalog event to the gateway (validated against its schema first)
  cectl send -t com.example.order.get.v1 -s /me -f order_id=0190b2a4-7c1e-7000-8000-000000000001

  # Any event, nested and typed fields, straight to a receiver, structured mode
  cectl send --to http://127.0.0.1:9000/ --mode structured -t com.acme.thing.done.v1 \\
      -f thing.id=t-1 -f thing.count=3 -f thing.ok=true --subject 'Euro €'

  # Data from a file, an extension, a chosen id
  cectl send -t com.acme.thing.done.v1 --data @thing.json --ext partitionkey=t-1 --id t-1-done

Exit codes: 0 a 2xx answer, 1 another answer or no answer, 2 usage, 3 an invalid event (not
sent), 4 a 404 answer.";

/// How the event travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// Attributes in ce- headers, the data as the body
    Binary,
    /// The whole event as application/cloudevents+json
    Structured,
    /// A batch of one, application/cloudevents-batch+json
    Batch,
}

impl ModeArg {
    /// The binding's mode.
    pub fn mode(self) -> Mode {
        match self {
            Self::Binary => Mode::Binary,
            Self::Structured => Mode::Structured,
            Self::Batch => Mode::Batch,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Binary => "binary",
            Self::Structured => "structured",
            Self::Batch => "batch",
        }
    }
}

/// Arguments of `cectl send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// The event.
    #[command(flatten)]
    pub event: EventArgs,
    /// Where to send it: a receiver's URL, or `gateway` for the gateway's /events
    #[arg(long, default_value = "gateway", value_name = "URL|gateway")]
    pub to: String,
    /// The HTTP binding's content mode
    #[arg(long, value_enum, default_value_t = ModeArg::Binary)]
    pub mode: ModeArg,
    /// How long to wait for the answer (30s, 2m)
    #[arg(long, default_value = "30s", value_parser = super::parse_duration)]
    pub timeout: Duration,
}

/// The URL `--to` names.
///
/// # Errors
/// A usage [`Failure`] when it is neither `gateway` nor an http(s) URL.
pub fn target(to: &str, client: &GatewayClient) -> Result<Url, Failure> {
    if to == "gateway" {
        return Ok(client.url(&["events"]));
    }
    let url = Url::parse(to)
        .map_err(|e| Failure::usage(format!("--to `{to}` is not a URL or `gateway`: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Failure::usage(format!(
            "--to `{to}`: use an http:// or https:// URL"
        )));
    }
    Ok(url)
}

/// Builds the event from the flags and, unless told not to, refuses an invalid one (exit 3,
/// every problem on stderr).
///
/// # Errors
/// As [`EventArgs::build`], or a "bad" [`Failure`] for an invalid event.
pub fn checked_event(args: &EventArgs, gateway: &str) -> Result<Event, Failure> {
    let event = args.build(gateway)?;
    if args.no_validate {
        return Ok(event);
    }
    let problems = check::problems(&event);
    if problems.is_empty() {
        return Ok(event);
    }
    for problem in &problems {
        warn(format_args!("invalid {}: {problem}", event.ty()));
    }
    Err(Failure::bad(format!(
        "not sent: the event breaks {} rule(s){}",
        problems.len(),
        if check::has_schema(&event) {
            " of the CloudEvents spec or its catalog schema"
        } else {
            " of the CloudEvents spec"
        }
    )))
}

/// Runs the command.
///
/// # Errors
/// A [`Failure`] as the exit codes in [`EXAMPLES`] say.
pub async fn run(args: &SendArgs, cx: &Context) -> Outcome {
    let format = cx.out.data_format()?;
    let client = cx.client()?;
    let url = target(&args.to, &client)?;
    let event = checked_event(&args.event, &cx.gateway)?;
    let request = client
        .request(Method::POST, url.clone())
        .timeout(args.timeout);
    let encoded = match args.mode {
        ModeArg::Binary => request.cloudevent(&event),
        ModeArg::Structured => request.cloudevent_structured(&event),
        ModeArg::Batch => request.cloudevent_batch(std::slice::from_ref(&event)),
    };
    let request = encoded.map_err(|e| Failure::bad(format!("cannot encode the event: {e}")))?;
    let started = Instant::now();
    let response = request
        .send()
        .await
        .map_err(|e| Failure::error(format!("cannot reach {url}: {}", root_cause(&e))))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(|e| {
        Failure::error(format!("reading the answer from {url}: {}", root_cause(&e)))
    })?;
    let latency = started.elapsed();
    let reply = match binding::decode_response(&headers, body.clone()) {
        Ok(reply) => reply,
        Err(e) => {
            warn(format_args!(
                "the answer claims to carry an event, but: {e}"
            ));
            None
        }
    };
    let latency_ms = latency.as_secs_f64() * 1000.0;
    match format {
        Format::Table => {
            let status_text = format!(
                "{} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            );
            let style = if status.is_success() { GOOD } else { BAD };
            anstream::println!(
                "{} in {latency_ms:.1} ms  {}",
                paint(style, status_text.trim_end()),
                paint(DIM, format!("POST {url} ({})", args.mode.name())),
            );
            for reply in reply.iter().flat_map(|r| r.clone().into_events()) {
                anstream::println!("reply:");
                anstream::print!("{}", display::render(&reply));
            }
        }
        _ => {
            let reply = reply.as_ref().map(|r| match r {
                Incoming::Single(event, _) => ce_format::to_value(event),
                Incoming::Batch(events) => events.iter().map(ce_format::to_value).collect(),
            });
            cx.out.print_value(&json!({
                "to": url.as_str(),
                "mode": args.mode.name(),
                "status": status.as_u16(),
                "latencyMs": (latency_ms * 10.0).round() / 10.0,
                "event": ce_format::to_value(&event),
                "reply": reply.unwrap_or(Value::Null),
            }));
        }
    }
    if status.is_success() {
        return Ok(Exit::Ok);
    }
    Err(ClientError::status(status, &body).into())
}

/// The output used by both `send` and `build` for an event: the structured form.
pub fn event_json(event: &Event, mode: ModeArg) -> Value {
    match mode {
        ModeArg::Batch => Value::Array(vec![ce_format::to_value(event)]),
        _ => ce_format::to_value(event),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_is_gateway_or_an_http_url() {
        let client = GatewayClient::new("http://gw:1/", None).expect("client");
        assert_eq!(
            target("gateway", &client).expect("ok").as_str(),
            "http://gw:1/events"
        );
        assert_eq!(
            target("http://x:2/in", &client).expect("ok").as_str(),
            "http://x:2/in"
        );
        assert_eq!(
            target("x:2", &client).expect_err("no scheme").exit,
            Exit::Usage
        );
        assert_eq!(
            target("/events", &client).expect_err("relative").exit,
            Exit::Usage
        );
    }
}
