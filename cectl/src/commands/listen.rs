//! `cectl listen --forward-to URL`: live gateway traffic to a local endpoint. Creates a
//! temporary pull subscription (`cectl-listen-<host>-<random>`), long-polls it, forwards each
//! event signed with the per-machine dev secret, acknowledges what the endpoint took (2xx) and
//! releases the rest to come back after a delay; removes the subscription on exit, Ctrl-C
//! included.

use std::time::Duration;

use clap::{Args, ValueEnum};
use serde_json::{Value, json};
use shared_events::webhook::WebhookSecret;
use url::Url;

use crate::Context;
use crate::client::{ClientError, GatewayClient, Pulled, Settle};
use crate::dev_secret;
use crate::exit::{Exit, Failure, Outcome};
use crate::forward::{self, Answer, ForwardFormat, Summary};
use crate::output::{BAD, DIM, Format, GOOD, Output, paint, warn};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "\
Examples:
  cectl listen --forward-to http://127.0.0.1:3000/webhooks
  cectl listen --forward-to http://127.0.0.1:3000/ --filter \"type LIKE 'com.example.order.%'\"
  cectl listen --route com.example.order.=http://127.0.0.1:3001/ \\
               --route com.example.payment.=http://127.0.0.1:3002/
  cectl listen --print-secret        # configure your endpoint with it once

Each event is a line `→ time type id`, each answer `← status latency`. A 2xx acknowledges the
event; anything else (or no answer within --timeout) releases it to come back after
--release-delay, up to --retry times, then it is a dead letter of the listen subscription
(`cectl dlq list --subscription cectl-listen-…`, `cectl dlq redeliver`).
Events are signed with Standard Webhooks headers (webhook-id, webhook-timestamp,
webhook-signature) using a secret generated once per machine and kept in the user's config
directory. Ctrl-C removes the subscription and stops.

Exit codes: 0 stopped, 1 error (no gateway, the subscription was removed by someone else),
2 usage.";

/// How long one receive waits for events.
const WAIT: Duration = Duration::from_secs(20);
/// Events per receive.
const BATCH: u32 = 10;

/// How the events are fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListenMode {
    /// A pull subscription, long-polled: nothing needs to reach this machine
    Pull,
}

/// Arguments of `cectl listen`.
#[derive(Debug, Args)]
pub struct ListenArgs {
    /// Where to forward events (those no --route takes)
    #[arg(long, value_name = "URL", required_unless_present_any = ["routes", "print_secret"])]
    pub forward_to: Option<Url>,
    /// Events whose type starts with PREFIX go to URL instead (repeatable; the first match wins)
    #[arg(long = "route", value_name = "PREFIX=URL", value_parser = parse_route)]
    pub routes: Vec<(String, Url)>,
    /// Only events this CESQL expression selects
    #[arg(long, value_name = "CESQL")]
    pub filter: Option<String>,
    /// How to send events on
    #[arg(long, value_enum, default_value_t = ForwardFormat::Structured)]
    pub format: ForwardFormat,
    /// How to get events from the gateway
    #[arg(long, value_enum, default_value_t = ListenMode::Pull)]
    pub mode: ListenMode,
    /// How long the endpoint may take to answer (10s, 1m)
    #[arg(long, default_value = "10s", value_parser = super::parse_duration)]
    pub timeout: Duration,
    /// How long a refused event waits before it comes back
    #[arg(long, default_value = "5s", value_parser = super::parse_duration)]
    pub release_delay: Duration,
    /// How often a refused event comes back before it is a dead letter
    #[arg(long, default_value_t = 3)]
    pub retry: u32,
    /// Print the dev secret forwarded events are signed with, and exit
    #[arg(long, conflicts_with_all = ["forward_to", "routes"])]
    pub print_secret: bool,
}

/// Parses `PREFIX=URL`.
///
/// # Errors
/// A message when there is no `=` or the URL is not http(s).
pub fn parse_route(text: &str) -> Result<(String, Url), String> {
    let (prefix, url) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not PREFIX=URL"))?;
    let url = Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("`{url}`: use an http:// or https:// URL"));
    }
    Ok((prefix.to_owned(), url))
}

/// The URL an event of type `ty` goes to: the first matching route, else `--forward-to`.
pub fn target<'a>(args: &'a ListenArgs, ty: &str) -> Option<&'a Url> {
    args.routes
        .iter()
        .find(|(prefix, _)| ty.starts_with(prefix.as_str()))
        .map(|(_, url)| url)
        .or(args.forward_to.as_ref())
}

/// A fresh subscription id: `cectl-listen-<host>-<random>`.
pub fn subscription_id() -> String {
    let host: String = hostname::get()
        .map(|h| h.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(40)
        .collect();
    let host = host.trim_matches('-');
    let host = if host.is_empty() { "host" } else { host };
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("cectl-listen-{host}-{}", &random[..8])
}

/// The temporary subscription's body.
pub fn subscription_body(args: &ListenArgs, id: &str) -> Value {
    let mut filters = Vec::new();
    if let Some(sql) = &args.filter {
        filters.push(json!({ "sql": sql }));
    }
    if args.forward_to.is_none() {
        let any: Vec<Value> = args
            .routes
            .iter()
            .map(|(prefix, _)| json!({"prefix": {"type": prefix}}))
            .collect();
        filters.push(json!({ "any": any }));
    }
    // The lock must outlast a forward and the settling after it.
    let lock = args.timeout.as_secs() + 30;
    json!({
        "id": id,
        "filters": filters,
        "delivery": {"mode": "pull", "retry": args.retry, "timeout": format!("PT{lock}S")},
    })
}

/// Runs the command.
///
/// # Errors
/// A [`Failure`] as the exit codes in [`EXAMPLES`] say.
pub async fn run(args: &ListenArgs, cx: &Context) -> Outcome {
    cx.out.data_format()?;
    let path = dev_secret::default_path()
        .ok_or_else(|| Failure::error("no configuration directory to keep the dev secret in"))?;
    let secret = dev_secret::load_or_create(&path)?;
    if args.print_secret {
        println!("{}", secret.expose());
        return Ok(Exit::Ok);
    }
    // Pull is the only mode: a push subscription would need the gateway to reach this
    // machine, which a laptop behind NAT cannot promise.
    let ListenMode::Pull = args.mode;
    let client = cx.client()?;
    let id = subscription_id();
    client
        .create_subscription(&subscription_body(args, &id))
        .await?;
    let destinations = match (&args.forward_to, args.routes.len()) {
        (Some(url), 0) => url.to_string(),
        (Some(url), n) => format!("{n} route(s), else {url}"),
        (None, n) => format!("{n} route(s)"),
    };
    warn(format_args!(
        "listening through pull subscription `{id}` at {}; forwarding to {destinations}, signed \
         with the dev secret in {} (Ctrl-C to stop)",
        cx.gateway,
        path.display()
    ));
    let pumped = tokio::select! {
        failure = pump(&client, &id, args, &secret, cx.out) => Err(failure),
        () = stopped() => Ok(Exit::Ok),
    };
    match client.delete_subscription(&id).await {
        Ok(()) => warn(format_args!("removed subscription `{id}`")),
        Err(error) if error.exit() == Exit::NotFound => {}
        Err(error) => warn(format_args!(
            "could not remove subscription `{id}`: {error}; remove it with `cectl subscriptions delete {id}`"
        )),
    }
    pumped
}

/// Ctrl-C, or SIGTERM on Unix.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Receives and forwards until something fails that waiting does not mend.
async fn pump(
    client: &GatewayClient,
    id: &str,
    args: &ListenArgs,
    secret: &WebhookSecret,
    out: Output,
) -> Failure {
    let mut pause = Duration::from_millis(500);
    loop {
        let batch = match client.receive(id, BATCH, WAIT).await {
            Ok(batch) => batch,
            Err(error) if error.exit() == Exit::NotFound => {
                return Failure::error(format!(
                    "subscription `{id}` was removed; stopping ({error})"
                ));
            }
            Err(error) => {
                warn(format_args!(
                    "receiving failed ({error}); trying again in {pause:?}"
                ));
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(10));
                continue;
            }
        };
        pause = Duration::from_millis(500);
        for pulled in batch {
            if let Err(error) = forward_one(client, id, args, secret, out, &pulled).await {
                warn(format_args!("settling an event failed: {error}"));
            }
        }
    }
}

/// Forwards one event and settles it.
async fn forward_one(
    client: &GatewayClient,
    id: &str,
    args: &ListenArgs,
    secret: &WebhookSecret,
    out: Output,
    pulled: &Pulled,
) -> Result<(), ClientError> {
    let stored = pulled.event.get().as_bytes();
    let token = vec![pulled.broker.lock_token.clone()];
    let summary: Summary = match serde_json::from_slice(stored) {
        Ok(summary) => summary,
        Err(e) => {
            warn(format_args!(
                "rejecting an event that is not a CloudEvent: {e}"
            ));
            client.settle(id, Settle::Reject, &token).await?;
            return Ok(());
        }
    };
    let now = chrono::Utc::now();
    let time = now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let Some(url) = target(args, &summary.ty) else {
        warn(format_args!("no route takes {}; acknowledged", summary.ty));
        client.settle(id, Settle::Acknowledge, &token).await?;
        return Ok(());
    };
    if out.format == Format::Table {
        let to = if args.routes.is_empty() {
            String::new()
        } else {
            format!(" {}", paint(DIM, format!("→ {url}")))
        };
        anstream::println!("→ {time} {} {}{to}", summary.ty, summary.id);
    }
    let (answer, latency) =
        match forward::prepare(stored, &summary, args.format, secret, now.timestamp()) {
            Ok(outgoing) => forward::send(client.http(), url, outgoing, args.timeout).await,
            Err(error) => (Answer::Failed(error), Duration::ZERO),
        };
    let ms = latency.as_millis();
    let count = pulled.broker.delivery_count;
    let settled = if answer.is_success() {
        client.settle(id, Settle::Acknowledge, &token).await?;
        "acknowledged"
    } else {
        client
            .settle(id, Settle::Release(args.release_delay), &token)
            .await?;
        if count > args.retry {
            "dead_lettered"
        } else {
            "released"
        }
    };
    match out.format {
        Format::Table => {
            let (status, style) = match &answer {
                Answer::Status(s) if answer.is_success() => (s.to_string(), GOOD),
                Answer::Status(s) => (s.to_string(), BAD),
                Answer::Failed(e) => (format!("no answer: {e}"), BAD),
            };
            let note = match settled {
                "acknowledged" => String::new(),
                "released" => format!(
                    ", released: back in {}s (attempt {count} of {})",
                    args.release_delay.as_secs(),
                    args.retry + 1
                ),
                _ => format!(", a dead letter after {count} attempt(s)"),
            };
            anstream::println!("← {} {ms}ms{}", paint(style, status), paint(DIM, note));
        }
        _ => {
            let event: Value = serde_json::from_slice(stored).unwrap_or(Value::Null);
            let (status, error) = match answer {
                Answer::Status(s) => (json!(s), Value::Null),
                Answer::Failed(e) => (Value::Null, json!(e)),
            };
            out.print_value(&json!({
                "event": event,
                "to": url.as_str(),
                "status": status,
                "error": error,
                "latencyMs": ms as u64,
                "deliveryCount": count,
                "settled": settled,
            }));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    #[derive(clap::Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: ListenArgs,
    }

    fn args(line: &[&str]) -> ListenArgs {
        Wrapper::try_parse_from(std::iter::once("listen").chain(line.iter().copied()))
            .expect("parses")
            .args
    }

    #[test]
    fn the_first_matching_route_wins_and_the_rest_go_to_forward_to() {
        let a = args(&[
            "--forward-to",
            "http://127.0.0.1:1/all",
            "--route",
            "com.example.order.=http://127.0.0.1:2/orders",
            "--route",
            "com.example.=http://127.0.0.1:3/rest",
        ]);
        let to = |ty: &str| target(&a, ty).map(Url::as_str);
        assert_eq!(
            to("com.example.order.paid.v1"),
            Some("http://127.0.0.1:2/orders")
        );
        assert_eq!(
            to("com.example.payment.made.v1"),
            Some("http://127.0.0.1:3/rest")
        );
        assert_eq!(to("org.other.v1"), Some("http://127.0.0.1:1/all"));
        assert!(subscription_body(&a, "x")["filters"] == json!([]));
    }

    #[test]
    fn with_routes_only_the_subscription_asks_for_their_types() {
        let a = args(&[
            "--route",
            "com.a.=http://127.0.0.1:2/",
            "--filter",
            "subject = 'x'",
        ]);
        assert_eq!(target(&a, "com.b.v1"), None);
        let body = subscription_body(&a, "cectl-listen-h-1");
        assert_eq!(
            body["filters"],
            json!([{"sql": "subject = 'x'"}, {"any": [{"prefix": {"type": "com.a."}}]}])
        );
        assert_eq!(body["delivery"]["mode"], "pull");
        assert_eq!(body["delivery"]["timeout"], "PT40S");
    }

    #[test]
    fn routes_and_forward_to_are_checked_and_one_is_needed() {
        assert!(parse_route("com.a.").is_err());
        assert!(parse_route("com.a.=ftp://x/").is_err());
        assert!(Wrapper::try_parse_from(["listen"]).is_err());
        assert!(Wrapper::try_parse_from(["listen", "--print-secret"]).is_ok());
    }

    #[test]
    fn subscription_ids_are_valid_gateway_ids_and_differ() {
        let (a, b) = (subscription_id(), subscription_id());
        assert_ne!(a, b);
        assert!(a.starts_with("cectl-listen-"));
        assert!(a.len() <= 128);
        assert!(
            a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'),
            "{a}"
        );
    }
}
