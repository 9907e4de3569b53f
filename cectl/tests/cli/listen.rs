//! `cectl listen` as a child process: a temporary pull subscription on a real gateway, events
//! forwarded to real local sinks that check the Standard Webhooks signature with the dev
//! secret, acknowledged or released, and the subscription removed on Ctrl-C.

use std::path::Path;

use crate::helpers::{Gateway, Sink, block_on, cectl};
use crate::process::Running;
use http::StatusCode;
use predicates::prelude::*;
use shared_events::AttributesReader;
use shared_events::webhook::WebhookSecret;

/// The dev secret kept under `config` (as XDG_CONFIG_HOME), printed by `--print-secret`.
fn dev_secret(config: &Path) -> WebhookSecret {
    let output = cectl()
        .env("XDG_CONFIG_HOME", config)
        .args(["listen", "--print-secret"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    WebhookSecret::parse(text.trim()).expect("a whsec_ secret")
}

fn listen(gateway: &Gateway, config: &Path, args: &[&str]) -> (Running, String) {
    let mut command = vec!["listen"];
    command.extend_from_slice(args);
    let config = config.to_str().expect("a UTF-8 path");
    let mut running = Running::start(
        &command,
        &[
            ("CECTL_GATEWAY", gateway.url.as_str()),
            ("XDG_CONFIG_HOME", config),
        ],
    );
    let ready = running.wait_stderr("listening through pull subscription `");
    let id = ready
        .split('`')
        .nth(1)
        .expect("the subscription id")
        .to_owned();
    (running, id)
}

/// The body of `GET path`, as text.
fn raw(gateway: &Gateway, path: &str) -> (StatusCode, String) {
    let url = format!("{}{path}", gateway.url);
    block_on(async move {
        let response = reqwest::get(url).await.expect("the gateway answers");
        (response.status(), response.text().await.expect("text"))
    })
}

#[test]
fn the_dev_secret_is_made_once_per_machine_and_kept() {
    let config = tempfile::tempdir().expect("a temp dir");
    let first = dev_secret(config.path());
    assert_eq!(first, dev_secret(config.path()));
    let stored = std::fs::read_to_string(config.path().join("cectl/dev-secret")).expect("kept");
    assert_eq!(stored.trim(), first.expose());
}

#[test]
fn listen_forwards_the_stored_bytes_signed_retries_a_refusal_and_cleans_up_on_ctrl_c() {
    let config = tempfile::tempdir().expect("a temp dir");
    let gateway = Gateway::start();
    let sink = Sink::verifying(202, dev_secret(config.path()));
    let (mut listening, id) = listen(
        &gateway,
        config.path(),
        &[
            "--forward-to",
            &sink.url,
            "--release-delay",
            "0s",
            "-o",
            "table",
        ],
    );
    assert!(id.starts_with("cectl-listen-"), "{id}");
    let (status, sub) = gateway.get(&format!("/subscriptions/{id}"));
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sub["delivery"]["mode"], "pull");

    gateway.send(
        "l-1",
        "com.acme.l.v1",
        &["-f", "note=café €", "--subject", "s-1"],
    );
    let got = sink.next();
    assert_eq!(got.signature, Some(Ok(())), "the signature verifies");
    assert_eq!(
        got.headers["content-type"],
        "application/cloudevents+json; charset=utf-8"
    );
    // Byte for byte what the gateway stored (and shows inside its own answers).
    let body = std::str::from_utf8(&got.body).expect("UTF-8");
    let (_, stored) = raw(&gateway, "/events?source=/cectl&id=l-1");
    assert!(
        stored.contains(&format!(r#""event":{body}}}"#)),
        "{body}\nvs\n{stored}"
    );
    let arrow = listening.next_line();
    assert!(
        arrow.starts_with("→ 20") && arrow.ends_with(" com.acme.l.v1 l-1"),
        "{arrow}"
    );
    let answer = listening.next_line();
    assert!(
        answer.starts_with("← 202 ") && answer.ends_with("ms"),
        "{answer}"
    );

    // A refusal releases the event; it comes back and is taken.
    sink.set_status(503);
    gateway.send("l-2", "com.acme.l.v1", &[]);
    assert_eq!(sink.next().events()[0].id(), "l-2");
    listening.next_line();
    let refused = listening.next_line();
    assert!(
        refused.starts_with("← 503 ") && refused.contains("released: back in 0s (attempt 1 of 4)"),
        "{refused}"
    );
    sink.set_status(200);
    let again = sink.next();
    assert_eq!(again.events()[0].id(), "l-2");
    assert_eq!(again.signature, Some(Ok(())));
    listening.next_line();
    assert!(listening.next_line().starts_with("← 200 "));
    let event = gateway.json(&["events", "get", "--source", "/cectl", "--id", "l-2"]);
    assert_eq!(event["deliveries"][0]["subscription"], id.as_str());
    assert_eq!(event["deliveries"][0]["status"], "delivered");
    assert_eq!(event["deliveries"][0]["attempts"], 2);

    listening.interrupt();
    let (code, _, stderr) = listening.wait();
    assert_eq!(code, Some(0), "{stderr:?}");
    assert!(
        stderr
            .iter()
            .any(|l| l.contains(&format!("removed subscription `{id}`"))),
        "{stderr:?}"
    );
    let (status, _) = gateway.get(&format!("/subscriptions/{id}"));
    assert_eq!(status, StatusCode::NOT_FOUND, "the subscription is gone");
}

#[test]
fn listen_routes_by_type_prefix_in_binary_mode_and_filters_with_cesql() {
    let config = tempfile::tempdir().expect("a temp dir");
    let secret = dev_secret(config.path());
    let gateway = Gateway::start();
    let orders = Sink::verifying(202, secret.clone());
    let rest = Sink::verifying(202, secret);
    let route = format!("com.acme.order.={}", orders.url);
    let (mut listening, id) = listen(
        &gateway,
        config.path(),
        &[
            "--route",
            &route,
            "--forward-to",
            &rest.url,
            "--format",
            "binary",
            "--filter",
            "id <> 'x-1'",
            "-o",
            "ndjson",
        ],
    );
    gateway.send("o-1", "com.acme.order.made.v1", &["-f", "n=1"]);
    gateway.send("x-1", "com.acme.other.v1", &[]);
    gateway.send("p-1", "com.acme.pay.v1", &[]);

    let order = orders.next();
    assert_eq!(order.signature, Some(Ok(())));
    assert_eq!(order.headers["ce-id"], "o-1");
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&order.body).expect("JSON data"),
        serde_json::json!({"n": 1})
    );
    let other = rest.next();
    assert_eq!(other.headers["ce-id"], "p-1", "x-1 is filtered out");
    assert_eq!(other.signature, Some(Ok(())));
    let printed: Vec<serde_json::Value> = listening
        .lines(2)
        .iter()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(printed[0]["event"]["id"], "o-1");
    assert_eq!(printed[0]["to"], orders.url.as_str());
    assert_eq!(printed[0]["status"], 202);
    assert_eq!(printed[0]["settled"], "acknowledged");
    assert_eq!(printed[1]["event"]["id"], "p-1");
    assert_eq!(printed[1]["to"], rest.url.as_str());
    assert_eq!(orders.pending() + rest.pending(), 0);

    listening.interrupt();
    assert_eq!(listening.wait().0, Some(0));
    let (status, _) = gateway.get(&format!("/subscriptions/{id}"));
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[test]
fn listen_needs_somewhere_to_forward_and_a_gateway() {
    let config = tempfile::tempdir().expect("a temp dir");
    cectl()
        .env("XDG_CONFIG_HOME", config.path())
        .arg("listen")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--forward-to"));
    cectl()
        .env("XDG_CONFIG_HOME", config.path())
        .args([
            "listen",
            "--route",
            "com.a.",
            "--forward-to",
            "http://127.0.0.1:1/",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("PREFIX=URL"));
    cectl()
        .env("XDG_CONFIG_HOME", config.path())
        .args(["--gateway", "http://127.0.0.1:9", "listen"])
        .args(["--forward-to", "http://127.0.0.1:1/"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot reach the gateway"));
}

#[test]
fn a_dead_letter_of_the_listen_subscription_is_redelivered_to_the_fixed_endpoint() {
    let config = tempfile::tempdir().expect("a temp dir");
    let gateway = Gateway::start();
    let sink = Sink::verifying(500, dev_secret(config.path()));
    let (mut listening, id) = listen(
        &gateway,
        config.path(),
        &["--forward-to", &sink.url, "--retry", "0", "-o", "table"],
    );
    gateway.send("loop-1", "com.acme.loop.v1", &[]);
    assert_eq!(sink.next().events()[0].id(), "loop-1");
    listening.next_line();
    let refused = listening.next_line();
    assert!(
        refused.starts_with("← 500 ") && refused.ends_with("a dead letter after 1 attempt(s)"),
        "{refused}"
    );
    let letters = crate::helpers::wait_for("the dead letter", || {
        let letters = gateway.json(&["dlq", "list", "--subscription", &id]);
        (letters.as_array().map(Vec::len) == Some(1)).then_some(letters)
    });
    assert_eq!(letters[0]["eventId"], "loop-1");

    // The endpoint is fixed; the dead letter goes out again through the same listen.
    sink.set_status(204);
    gateway
        .cectl()
        .args(["dlq", "redeliver", "--all", "--subscription", &id])
        .assert()
        .code(0);
    let again = sink.next();
    assert_eq!(again.events()[0].id(), "loop-1");
    assert_eq!(again.signature, Some(Ok(())));
    listening.next_line();
    assert!(listening.next_line().starts_with("← 204 "));
    listening.interrupt();
    assert_eq!(listening.wait().0, Some(0));
}
