//! `cectl tail` as a child process against a real gateway: history from the earliest event
//! then live traffic, each line once, across a gateway restart; filters and JSON output.

use std::time::Duration;

use crate::helpers::{Gateway, Sink};
use crate::process::Running;
use predicates::prelude::*;
use serde_json::{Value, json};

/// How long "nothing more" is watched for.
const QUIET: Duration = Duration::from_millis(1500);

fn tail(gateway: &Gateway, args: &[&str]) -> Running {
    let mut command = vec!["tail"];
    command.extend_from_slice(args);
    Running::start(&command, &[("CECTL_GATEWAY", gateway.url.as_str())])
}

/// Reads as many lines as `expected` has and compares them without their times, in any
/// order (the gateway interleaves events and attempts as they commit); returns them as read.
fn expect_lines(tail: &mut Running, expected: &[&str]) -> Vec<String> {
    let lines = tail.lines(expected.len());
    let mut got: Vec<String> = lines.iter().map(|l| timeless(l)).collect();
    got.sort();
    let mut want: Vec<String> = expected.iter().map(|e| (*e).to_owned()).collect();
    want.sort();
    assert_eq!(got, want);
    lines
}

/// A table line without its time (`→ TIME type id` → `→ type id`).
fn timeless(line: &str) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        ["→", _time, rest @ ..] => format!("→ {}", rest.join(" ")),
        ["←", status, _latency, rest @ ..] => format!("← {status} {}", rest.join(" ")),
        _ => line.to_owned(),
    }
}

#[test]
fn tail_from_earliest_prints_history_then_live_traffic_once_even_across_a_restart() {
    let mut gateway = Gateway::start();
    let sink = Sink::start(202);
    gateway.apply(json!({"id": "s", "sink": sink.url}));
    gateway.send("t-1", "com.acme.t.v1", &[]);
    gateway.send("t-2", "com.acme.t.v1", &[]);
    sink.next();
    sink.next();

    let mut tail = tail(&gateway, &["--from", "earliest", "-o", "table"]);
    expect_lines(
        &mut tail,
        &[
            "→ com.acme.t.v1 t-1",
            "→ com.acme.t.v1 t-2",
            "← 202 s t-1",
            "← 202 s t-2",
        ],
    );
    gateway.send("t-3", "com.acme.t.v1", &[]);
    let lines = expect_lines(&mut tail, &["→ com.acme.t.v1 t-3", "← 202 s t-3"]);
    assert!(
        lines.iter().any(|l| l.starts_with("→ 20")),
        "the event's time: {lines:?}"
    );
    assert_eq!(tail.line_within(QUIET), None, "each line once");

    // The gateway goes away (the stream with it) and comes back on the same port.
    gateway.restart();
    tail.wait_stderr("the stream dropped");
    tail.wait_stderr("reconnecting in");
    gateway.send("t-4", "com.acme.t.v1", &[]);
    expect_lines(&mut tail, &["→ com.acme.t.v1 t-4", "← 202 s t-4"]);
    tail.wait_stderr("reconnected");
    assert_eq!(tail.line_within(QUIET), None, "nothing is repeated");

    tail.interrupt();
    let (code, rest, _) = tail.wait();
    assert_eq!(code, Some(0));
    assert!(rest.is_empty(), "{rest:?}");
}

#[test]
fn tail_filters_events_and_deliveries_and_prints_json_objects() {
    let gateway = Gateway::start();
    let good = Sink::start(202);
    let bad = Sink::start(500);
    gateway.apply(json!({"id": "good", "sink": good.url}));
    gateway.apply(json!({"id": "bad", "sink": bad.url, "delivery": {"retry": 0}}));
    let mut failures = tail(
        &gateway,
        &["--from", "earliest", "--status", "failed", "-o", "ndjson"],
    );
    let mut kept = tail(
        &gateway,
        &[
            "--from",
            "earliest",
            "--type",
            "com.acme.keep.",
            "-o",
            "table",
        ],
    );
    let mut to_good = tail(
        &gateway,
        &[
            "--from",
            "earliest",
            "--subscription",
            "good",
            "--status",
            "2xx",
            "-o",
            "json",
        ],
    );
    gateway.send("keep-1", "com.acme.keep.v1", &[]);
    gateway.send("drop-1", "com.acme.drop.v1", &[]);

    let objects: Vec<Value> = failures
        .lines(2)
        .iter()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let mut failed: Vec<(String, String)> = objects
        .iter()
        .map(|o| {
            assert_eq!(o["kind"], "delivery");
            assert!(o["position"].is_string());
            assert_eq!(o["delivery"]["subscription"], "bad");
            assert_eq!(o["delivery"]["status"], 500);
            (
                o["delivery"]["event"]["id"]
                    .as_str()
                    .expect("id")
                    .to_owned(),
                o["delivery"]["outcome"]
                    .as_str()
                    .expect("outcome")
                    .to_owned(),
            )
        })
        .collect();
    failed.sort();
    assert_eq!(
        failed,
        [
            ("drop-1".to_owned(), "dead_lettered".to_owned()),
            ("keep-1".to_owned(), "dead_lettered".to_owned())
        ]
    );

    expect_lines(
        &mut kept,
        &[
            "→ com.acme.keep.v1 keep-1",
            "← 202 good keep-1",
            "← 500 bad keep-1 dead_lettered: the sink answered 500",
        ],
    );

    // Pretty JSON: one object over several lines.
    let mut text = String::new();
    while !text.ends_with("\n}") {
        text.push('\n');
        text.push_str(&to_good.next_line());
    }
    let first: Value = serde_json::from_str(&text).expect("a JSON object");
    assert_eq!(first["delivery"]["subscription"], "good");
    assert_eq!(first["delivery"]["status"], 202);

    for running in [&failures, &kept] {
        assert_eq!(running.line_within(QUIET), None);
    }
}

#[test]
fn tail_refuses_a_bad_status_and_an_unreachable_gateway() {
    crate::helpers::cectl()
        .args(["tail", "--status", "sent"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a status"));
    crate::helpers::cectl()
        .args(["--gateway", "http://127.0.0.1:9", "tail"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot reach the gateway"));
    let gateway = Gateway::start();
    gateway
        .cectl()
        .args(["tail", "--from", "not-a-position"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("400"));
}
