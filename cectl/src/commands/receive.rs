//! `cectl receive`: a local CloudEvents sink that prints every event that arrives (any mode),
//! with its schema verdict and, given the sender's secret, its signature verdict.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use chrono::{SecondsFormat, Utc};
use clap::Args;
use http::{HeaderMap, Method, StatusCode, Uri};
use serde_json::{Value, json};
use shared_events::http::{self as binding, Mode};
use shared_events::webhook::{self, WebhookSecret};
use shared_events::{Event, Problem, display, format as ce_format};
use tokio::sync::Notify;

use crate::check;
use crate::exit::{Exit, Failure, Outcome};
use crate::output::{BAD, BOLD, DIM, Format, GOOD, Output, paint};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "\
Examples:
  cectl receive --port 9000
  cectl receive --port 9000 --verify-secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
  cectl receive --port 9000 --status 503 -o ndjson      # a failing sink, as JSON lines

Point a subscription at it: {\"sink\": \"http://127.0.0.1:9000/\"}. Events are answered 202
(or --status); with --verify-secret, a message whose signature does not verify is answered 401.
A webhook handshake (OPTIONS with WebHook-Request-Origin) is allowed. Ctrl-C stops it.

Exit codes: 0 stopped, 1 the address cannot be bound, 2 usage.";

/// Arguments of `cectl receive`.
#[derive(Debug, Args)]
pub struct ReceiveArgs {
    /// The port to listen on (0: any free port, printed on stderr)
    #[arg(long, default_value_t = 9000)]
    pub port: u16,
    /// The address to listen on
    #[arg(long, default_value = "127.0.0.1")]
    pub listen: IpAddr,
    /// Check Standard Webhooks signatures with this secret (whsec_…)
    #[arg(
        long,
        value_name = "SECRET",
        env = "CECTL_WEBHOOK_SECRET",
        hide_env_values = true
    )]
    pub verify_secret: Option<String>,
    /// How far a signature's timestamp may be from now (30s, 5m)
    #[arg(long, default_value = "5m", value_parser = super::parse_duration)]
    pub tolerance: Duration,
    /// The status to answer events with
    #[arg(long, default_value_t = 202, value_parser = clap::value_parser!(u16).range(100..=599))]
    pub status: u16,
    /// Stop after this many events
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
}

struct Sink {
    secret: Option<WebhookSecret>,
    tolerance: Duration,
    status: StatusCode,
    out: Output,
    format: Format,
    seen: AtomicU64,
    count: Option<u64>,
    done: Notify,
}

/// Runs the command.
///
/// # Errors
/// A usage [`Failure`] for a malformed secret; an error when the address cannot be bound.
pub async fn run(args: &ReceiveArgs, out: Output) -> Outcome {
    let format = out.data_format()?;
    let secret = args
        .verify_secret
        .as_deref()
        .map(WebhookSecret::parse)
        .transpose()
        .map_err(|e| Failure::usage(format!("--verify-secret is malformed: {e}")))?;
    let status = StatusCode::from_u16(args.status)
        .map_err(|e| Failure::usage(format!("--status {}: {e}", args.status)))?;
    let address = SocketAddr::new(args.listen, args.port);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| Failure::error(format!("cannot listen on {address}: {e}")))?;
    let bound = listener
        .local_addr()
        .map_err(|e| Failure::error(e.to_string()))?;
    let sink = Arc::new(Sink {
        secret,
        tolerance: args.tolerance,
        status,
        out,
        format,
        seen: AtomicU64::new(0),
        count: args.count,
        done: Notify::new(),
    });
    anstream::eprintln!(
        "cectl: receiving on http://{bound}/ (Ctrl-C to stop){}",
        if sink.secret.is_some() {
            ", verifying signatures"
        } else {
            ""
        }
    );
    let app = Router::new()
        .fallback(any(receive_events))
        .with_state(sink.clone());
    let stop = async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = sink.done.notified() => {}
        }
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await
        .map_err(|e| Failure::error(format!("serving on {bound}: {e}")))?;
    Ok(Exit::Ok)
}

fn problem(status: StatusCode, detail: String) -> Response {
    Problem::new(status).with_detail(detail).into_response()
}

async fn receive_events(
    State(sink): State<Arc<Sink>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method == Method::OPTIONS && headers.contains_key("webhook-request-origin") {
        return (
            StatusCode::OK,
            [
                ("webhook-allowed-origin", "*"),
                ("webhook-allowed-rate", "*"),
            ],
        )
            .into_response();
    }
    if method != Method::POST {
        return problem(
            StatusCode::METHOD_NOT_ALLOWED,
            "POST CloudEvents here".to_owned(),
        );
    }
    let received = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
    let signature = sink.secret.as_ref().map(|secret| {
        webhook::verify(secret, &headers, &body, Utc::now(), sink.tolerance)
            .map_err(|e| e.to_string())
    });
    let incoming = match binding::decode_request(&headers, body) {
        Ok(incoming) => incoming,
        Err(error) => {
            print_rejected(&sink, &received, &uri, &error.to_string());
            return problem(StatusCode::BAD_REQUEST, error.to_string());
        }
    };
    let mode = incoming.mode();
    let answer = match &signature {
        Some(Err(_)) => StatusCode::UNAUTHORIZED,
        _ => sink.status,
    };
    let events = incoming.into_events();
    let arrival = Arrival {
        received: &received,
        uri: &uri,
        mode,
        signature: signature.as_ref(),
        answer,
    };
    for event in &events {
        print_event(&sink, &arrival, event);
    }
    let seen = sink.seen.fetch_add(events.len() as u64, Ordering::SeqCst) + events.len() as u64;
    if sink.count.is_some_and(|count| seen >= count) {
        sink.done.notify_one();
    }
    match signature {
        Some(Err(reason)) => problem(StatusCode::UNAUTHORIZED, reason),
        _ => sink.status.into_response(),
    }
}

/// What is known of one request, whatever its events.
struct Arrival<'a> {
    received: &'a str,
    uri: &'a Uri,
    mode: Mode,
    signature: Option<&'a Result<(), String>>,
    answer: StatusCode,
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Binary => "binary",
        Mode::Structured => "structured",
        Mode::Batch => "batch",
    }
}

fn print_rejected(sink: &Sink, received: &str, uri: &Uri, error: &str) {
    match sink.format {
        Format::Table => anstream::println!(
            "{} {received} POST {uri}: {error}\n",
            paint(BAD, "✗ not a CloudEvent (400)")
        ),
        _ => sink.out.print_value(&json!({
            "receivedAt": received,
            "path": uri.to_string(),
            "error": error,
            "status": 400,
        })),
    }
}

fn print_event(sink: &Sink, arrival: &Arrival<'_>, event: &Event) {
    let Arrival {
        received,
        uri,
        mode,
        signature,
        answer,
    } = *arrival;
    let problems = check::problems(event);
    if sink.format != Format::Table {
        let signature = signature
            .map(|verdict| json!({"valid": verdict.is_ok(), "reason": verdict.as_ref().err()}));
        sink.out.print_value(&json!({
            "receivedAt": received,
            "path": uri.to_string(),
            "mode": mode_name(mode),
            "event": ce_format::to_value(event),
            "schema": check::verdict_json(event, &problems),
            "signature": signature.unwrap_or(Value::Null),
            "status": answer.as_u16(),
        }));
        return;
    }
    anstream::println!(
        "{} {}",
        paint(BOLD, format!("→ {received} POST {uri}")),
        paint(
            DIM,
            format!("{} mode, answered {}", mode_name(mode), answer.as_u16())
        )
    );
    anstream::print!("{}", display::render(event));
    let schema = if !check::has_schema(event) {
        paint(DIM, "no schema (not a catalog type)")
    } else if problems.is_empty() {
        paint(GOOD, "valid")
    } else {
        paint(BAD, "invalid")
    };
    anstream::println!("Verdicts,\n  schema: {schema}");
    for problem in &problems {
        anstream::println!("    {problem}");
    }
    match signature {
        None => {}
        Some(Ok(())) => anstream::println!("  signature: {}", paint(GOOD, "valid")),
        Some(Err(reason)) => {
            anstream::println!("  signature: {}: {reason}", paint(BAD, "invalid"));
        }
    }
    anstream::println!();
}
