//! `cectl tail`: events and delivery outcomes as they happen, from the gateway's SSE stream
//! (`include=deliveries`), filtered here; a dropped connection is resumed from the last
//! position seen (`Last-Event-ID`), with exponential backoff, so no line is missed or repeated.

use std::time::Duration;

use clap::Args;
use serde_json::{Value, json};

mod selection;

pub use selection::{Selection, StatusFilter};

use crate::Context;
use crate::client::{ClientError, GatewayClient, SseFrame, StreamRequest};
use crate::exit::{Exit, Failure, Outcome};
use crate::output::{BAD, BOLD, DIM, Format, GOOD, Output, paint, warn};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "\
Examples:
  cectl tail
  cectl tail --from earliest --type com.example.order.
  cectl tail --subscription payments --status failed
  cectl tail --status 5xx --status dead_lettered -o ndjson | jq .delivery.error

Each event is a line `→ time type id`; each delivery attempt a line
`← status latency subscription id` (with the outcome and error when it failed).
--type and --source select events and the deliveries of matching events; --subscription and
--status select deliveries, and with either of them event lines are left out.
A dropped connection is resumed where it stopped (stderr says so). Ctrl-C stops.

Exit codes: 0 stopped, 1 the gateway cannot be reached at the start, 2 usage.";

/// How long a stream may stay silent (the gateway sends a keep-alive every 15 s) before it
/// counts as dropped.
const IDLE: Duration = Duration::from_secs(45);
/// The first reconnection delay; it doubles per failure up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// The longest reconnection delay.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Arguments of `cectl tail`.
#[derive(Debug, Args)]
pub struct TailArgs {
    /// Where to start: earliest, latest (only what comes next) or a position from -o json
    #[arg(long, default_value = "latest", value_name = "earliest|latest|POS")]
    pub from: String,
    /// Only events whose type starts with this (repeatable: any of them)
    #[arg(long = "type", value_name = "PREFIX")]
    pub types: Vec<String>,
    /// Only events from this source (repeatable: any of them)
    #[arg(long = "source", value_name = "SOURCE")]
    pub sources: Vec<String>,
    /// Only deliveries to this subscription (repeatable)
    #[arg(long = "subscription", value_name = "ID")]
    pub subscriptions: Vec<String>,
    /// Only deliveries that ended so: delivered, retry, dead_lettered, redelivered, failed
    /// (retry or dead_lettered), an HTTP status (503) or class (5xx); repeatable
    #[arg(long = "status", value_name = "STATUS", value_parser = StatusFilter::parse)]
    pub statuses: Vec<StatusFilter>,
    /// Only events this CESQL expression selects, filtered by the gateway (deliveries are not)
    #[arg(long, value_name = "CESQL")]
    pub filter: Option<String>,
}

/// Where a followed stream is, and how long to wait before reconnecting: the resume logic,
/// apart from any I/O.
#[derive(Debug, Default)]
pub struct Resume {
    last_id: Option<String>,
    failures: u32,
    connected_once: bool,
}

impl Resume {
    /// The position to resume after (`Last-Event-ID`), once a frame carried one.
    pub fn last_event_id(&self) -> Option<&str> {
        self.last_id.as_deref()
    }

    /// A connection opened.
    pub fn connected(&mut self) {
        self.connected_once = true;
    }

    /// Whether a connection ever opened.
    pub fn connected_once(&self) -> bool {
        self.connected_once
    }

    /// Takes a frame: `false` when it repeats the last position (it was shown already).
    /// A new frame means the stream works again: the backoff starts over.
    pub fn accept(&mut self, frame: &SseFrame) -> bool {
        if let Some(id) = &frame.id {
            if self.last_id.as_ref() == Some(id) {
                return false;
            }
            self.last_id = Some(id.clone());
        }
        self.failures = 0;
        true
    }

    /// The connection dropped: how long to wait before the next try (doubling, capped).
    pub fn backoff(&mut self) -> Duration {
        let delay = FIRST_BACKOFF
            .saturating_mul(2u32.saturating_pow(self.failures))
            .min(MAX_BACKOFF);
        self.failures = self.failures.saturating_add(1);
        delay
    }
}

/// Runs the command.
///
/// # Errors
/// A [`Failure`] as the exit codes in [`EXAMPLES`] say.
pub async fn run(args: &TailArgs, cx: &Context) -> Outcome {
    cx.out.data_format()?;
    let client = cx.client()?;
    let request = StreamRequest {
        from: args.from.clone(),
        filter: args.filter.clone(),
        deliveries: true,
    };
    let selection = Selection::from_args(args);
    tokio::select! {
        failure = follow(&client, &request, &selection, cx.out) => Err(failure),
        _ = tokio::signal::ctrl_c() => Ok(Exit::Ok),
    }
}

/// Follows the stream until a failure that reconnecting cannot mend.
async fn follow(
    client: &GatewayClient,
    request: &StreamRequest,
    selection: &Selection,
    out: Output,
) -> Failure {
    let mut resume = Resume::default();
    loop {
        let reason = match client.open_stream(request, resume.last_event_id()).await {
            Ok(mut stream) => {
                if resume.connected_once() {
                    warn("reconnected; resuming where the stream stopped");
                }
                resume.connected();
                loop {
                    match stream.next_frame(IDLE).await {
                        Ok(frame) => {
                            if resume.accept(&frame) {
                                print_frame(&frame, selection, out);
                            }
                        }
                        Err(error) => break error.to_string(),
                    }
                }
            }
            Err(error) if !resume.connected_once() || is_permanent(&error) => {
                return error.into();
            }
            Err(error) => error.to_string(),
        };
        let delay = resume.backoff();
        warn(format_args!(
            "the stream dropped ({reason}); reconnecting in {:.1}s",
            delay.as_secs_f64()
        ));
        tokio::time::sleep(delay).await;
    }
}

/// An answer that will not change by asking again (a bad position or filter, no access).
fn is_permanent(error: &ClientError) -> bool {
    matches!(error, ClientError::Status { status, .. }
        if status.is_client_error() && status.as_u16() != 408 && status.as_u16() != 429)
        || matches!(error, ClientError::InvalidUrl { .. })
}

fn print_frame(frame: &SseFrame, selection: &Selection, out: Output) {
    let Ok(data) = serde_json::from_str::<Value>(&frame.data) else {
        warn(format_args!(
            "skipping a stream item that is not JSON: {}",
            frame.data
        ));
        return;
    };
    let position = frame.id.clone().map_or(Value::Null, Value::from);
    match frame.event.as_str() {
        "cloudevent" if selection.shows_event(&data) => match out.format {
            Format::Table => anstream::println!("{}", event_line(&data)),
            _ => out.print_value(&json!({"kind": "event", "position": position, "event": data})),
        },
        "delivery" if selection.shows_delivery(&data) => match out.format {
            Format::Table => anstream::println!("{}", delivery_line(&data)),
            _ => out
                .print_value(&json!({"kind": "delivery", "position": position, "delivery": data})),
        },
        _ => {}
    }
}

fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or("-")
}

/// `→ time type id`.
pub fn event_line(event: &Value) -> String {
    let time = event
        .get("time")
        .and_then(Value::as_str)
        .map_or_else(|| chrono::Utc::now().to_rfc3339(), str::to_owned);
    format!(
        "{} {} {}",
        paint(DIM, format!("→ {time}")),
        paint(BOLD, text(event, "/type")),
        text(event, "/id")
    )
}

/// `← status latency subscription id`, then the outcome and error of a failed attempt.
pub fn delivery_line(d: &Value) -> String {
    let outcome = text(d, "/outcome");
    let status = d
        .get("status")
        .and_then(Value::as_u64)
        .map_or_else(|| outcome.to_owned(), |s| s.to_string());
    let style = match outcome {
        "delivered" => GOOD,
        "dead_lettered" => BAD,
        _ => anstyle::AnsiColor::Yellow.on_default(),
    };
    let latency = d.get("latencyMs").and_then(Value::as_u64).unwrap_or(0);
    let mut line = format!(
        "← {} {latency}ms {} {}",
        paint(style, status),
        text(d, "/subscription"),
        text(d, "/event/id")
    );
    if outcome != "delivered" && d.get("status").is_some_and(|s| !s.is_null()) {
        line.push_str(&format!(" {}", paint(style, outcome)));
    }
    if let Some(error) = d.get("error").and_then(Value::as_str) {
        line.push_str(&format!(": {}", super::events::excerpt(error, 80)));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(id: &str) -> SseFrame {
        SseFrame {
            id: Some(id.to_owned()),
            event: "cloudevent".to_owned(),
            data: "{}".to_owned(),
        }
    }

    #[test]
    fn a_resumed_stream_starts_after_the_last_position_and_skips_a_repeat() {
        let mut resume = Resume::default();
        assert_eq!(resume.last_event_id(), None);
        assert!(resume.accept(&frame("a.-")));
        assert!(resume.accept(&frame("a.1")));
        assert_eq!(resume.last_event_id(), Some("a.1"));
        // The connection drops; the gateway resumes after a.1, and a repeat of it is not shown.
        assert!(!resume.accept(&frame("a.1")));
        assert!(resume.accept(&frame("b.1")));
        assert_eq!(resume.last_event_id(), Some("b.1"));
        // A frame without an id keeps the position.
        let mut bare = frame("x");
        bare.id = None;
        assert!(resume.accept(&bare));
        assert_eq!(resume.last_event_id(), Some("b.1"));
    }

    #[test]
    fn the_backoff_doubles_up_to_a_cap_and_starts_over_once_frames_flow() {
        let mut resume = Resume::default();
        let delays: Vec<u64> = (0..10)
            .map(|_| resume.backoff().as_millis() as u64)
            .collect();
        assert_eq!(
            delays,
            [
                250, 500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000
            ]
        );
        assert!(resume.accept(&frame("p")));
        assert_eq!(resume.backoff(), FIRST_BACKOFF);
    }

    #[test]
    fn lines_say_what_happened() {
        let event = json!({"type": "t.v1", "id": "e-1", "time": "2025-01-01T00:00:00Z"});
        let plain = |s: String| anstream::adapter::strip_str(&s).to_string();
        assert_eq!(plain(event_line(&event)), "→ 2025-01-01T00:00:00Z t.v1 e-1");
        let ok = json!({"outcome": "delivered", "status": 200, "latencyMs": 12,
            "subscription": "s", "event": {"id": "e-1"}, "error": null});
        assert_eq!(plain(delivery_line(&ok)), "← 200 12ms s e-1");
        let bad = json!({"outcome": "retry", "status": 503, "latencyMs": 3,
            "subscription": "s", "event": {"id": "e-1"}, "error": "HTTP 503"});
        assert_eq!(
            plain(delivery_line(&bad)),
            "← 503 3ms s e-1 retry: HTTP 503"
        );
        let timeout = json!({"outcome": "dead_lettered", "status": null, "latencyMs": 10000,
            "subscription": "s", "event": {"id": "e-1"}, "error": "timed out"});
        assert_eq!(
            plain(delivery_line(&timeout)),
            "← dead_lettered 10000ms s e-1: timed out"
        );
    }
}
