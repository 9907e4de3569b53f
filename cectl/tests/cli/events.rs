//! `cectl events` and `cectl deliveries` against a real gateway with one subscriber that takes
//! everything and one that fails: paging through retained events, one event with where it
//! went, the delivery log and every attempt of one event.

use crate::helpers::{Gateway, Sink, both, stdout_json, wait_for};
use predicates::prelude::*;
use serde_json::{Value, json};

fn ids(entries: &Value) -> Vec<String> {
    entries
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| e["event"]["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// A gateway where `good` took `n` events (`ev-0` …, types alternating a and b) and `bad`
/// answered 500 twice to each, so each is its dead letter.
fn gateway_with_history(n: usize) -> (Gateway, Sink, Sink) {
    let gateway = Gateway::start();
    let good = Sink::start(202);
    let bad = Sink::start(500);
    bad.set_body("{\"error\": \"the database is down\"}");
    gateway.apply(json!({"id": "good", "sink": good.url}));
    gateway.apply(json!({"id": "bad", "sink": bad.url,
        "delivery": {"retry": 1, "backoffDelay": "PT0.05S"}}));
    for i in 0..n {
        let ty = if i % 2 == 0 {
            "com.acme.a.v1"
        } else {
            "com.acme.b.v1"
        };
        gateway.send(&format!("ev-{i}"), ty, &[]);
    }
    wait_for("every attempt logged", || {
        let log = gateway.json(&["deliveries", "list"]);
        (log.as_array().map(Vec::len) == Some(3 * n)).then_some(())
    });
    (gateway, good, bad)
}

#[test]
fn events_are_listed_in_ingest_order_page_by_page_and_filtered() {
    let (gateway, _good, _bad) = gateway_with_history(5);
    let all = gateway.json(&["events", "list"]);
    assert_eq!(ids(&all), ["ev-0", "ev-1", "ev-2", "ev-3", "ev-4"]);
    assert!(all[0]["cursor"].is_string() && all[0]["ingestedAt"].is_string());

    // A full page says where the next one starts.
    let first = gateway
        .cectl()
        .args(["events", "list", "--limit", "2"])
        .output()
        .expect("runs");
    assert_eq!(ids(&stdout_json(&first)), ["ev-0", "ev-1"]);
    let stderr = String::from_utf8_lossy(&first.stderr);
    let next = stderr
        .trim()
        .strip_prefix("cectl: more: --after ")
        .unwrap_or_else(|| panic!("no `more:` in {stderr}"));
    let second = gateway.json(&["events", "list", "--limit", "2", "--after", next]);
    assert_eq!(ids(&second), ["ev-2", "ev-3"]);

    // --all reads every page; as NDJSON, one entry per line.
    let output = gateway
        .cectl()
        .args(["-o", "ndjson", "events", "list", "--all", "--limit", "2"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    let lines: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(
        ids(&Value::Array(lines)),
        ["ev-0", "ev-1", "ev-2", "ev-3", "ev-4"]
    );

    let filter = "type = 'com.acme.b.v1'";
    let filtered = gateway.json(&[
        "events", "list", "--all", "--limit", "1", "--filter", filter,
    ]);
    assert_eq!(ids(&filtered), ["ev-1", "ev-3"]);
    gateway
        .cectl()
        .args(["events", "list", "--filter", "type ="])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not valid CESQL"));

    let table = gateway
        .cectl()
        .args(["-o", "table", "events", "list"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.starts_with("CURSOR "), "{text}");
    assert!(text.contains("com.acme.a.v1  /cectl  ev-0"), "{text}");
    assert_eq!(text.lines().count(), 6, "{text}");
}

#[test]
fn one_event_shows_its_attributes_and_its_delivery_to_each_subscription() {
    let (gateway, _good, _bad) = gateway_with_history(1);
    let event = gateway.json(&["events", "get", "--source", "/cectl", "--id", "ev-0"]);
    assert_eq!(event["event"]["id"], "ev-0");
    let of = |sub: &str| {
        event["deliveries"]
            .as_array()
            .expect("deliveries")
            .iter()
            .find(|d| d["subscription"] == sub)
            .unwrap_or_else(|| panic!("no delivery to {sub}: {event}"))
            .clone()
    };
    assert_eq!(of("good")["status"], "delivered");
    assert_eq!(of("good")["attempts"], 1);
    assert_eq!(of("bad")["status"], "dead_lettered");
    assert_eq!(of("bad")["attempts"], 2);

    let cursor = event["cursor"].as_str().expect("a cursor");
    let by_cursor = gateway.json(&["events", "get", cursor]);
    assert_eq!(by_cursor["event"], event["event"]);
    let table = gateway
        .cectl()
        .args(["-o", "table", "events", "get", cursor])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("  type: com.acme.a.v1"), "{text}");
    assert!(text.contains("SUBSCRIPTION  STATUS"), "{text}");
    let row = |sub: &str| {
        text.lines()
            .find(|l| l.starts_with(sub))
            .unwrap_or_else(|| panic!("no row for {sub}:\n{text}"))
            .split_whitespace()
            .take(4)
            .collect::<Vec<_>>()
    };
    assert_eq!(row("good"), ["good", "delivered", "1", "202"]);
    assert_eq!(row("bad "), ["bad", "dead_lettered", "2", "500"]);

    gateway
        .cectl()
        .args(["events", "get", "--source", "/cectl", "--id", "nope"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("no retained event with source"));
    gateway
        .cectl()
        .args(["events", "get", "AAAAAAAAAAAAAAAAAAAAAA"])
        .assert()
        .code(4);
    gateway.cectl().args(["events", "get"]).assert().code(2);
    gateway
        .cectl()
        .args(["events", "get", "--id", "ev-0"])
        .assert()
        .code(2);
}

#[test]
fn the_delivery_log_and_every_attempt_of_one_event_show_status_latency_and_response() {
    let (gateway, _good, _bad) = gateway_with_history(2);
    let log = gateway.json(&["deliveries", "list", "--subscription", "bad"]);
    let log = log.as_array().expect("a list");
    assert_eq!(log.len(), 4);
    let outcomes: Vec<&str> = log
        .iter()
        .map(|a| a["outcome"].as_str().expect("outcome"))
        .collect();
    assert_eq!(
        outcomes.iter().filter(|o| **o == "dead_lettered").count(),
        2
    );
    for attempt in log {
        assert_eq!(attempt["subscription"], "bad");
        assert_eq!(attempt["status"], 500);
        assert!(attempt["latencyMs"].is_u64());
        assert!(
            attempt["event"]["id"]
                .as_str()
                .expect("id")
                .starts_with("ev-")
        );
    }

    let page = gateway
        .cectl()
        .args(["deliveries", "list", "--limit", "4"])
        .output()
        .expect("runs");
    assert_eq!(stdout_json(&page).as_array().map(Vec::len), Some(4));
    let stderr = String::from_utf8_lossy(&page.stderr);
    let after = stderr
        .trim()
        .strip_prefix("cectl: more: --after ")
        .unwrap_or_else(|| panic!("no `more:` in {stderr}"));
    let rest = gateway.json(&["deliveries", "list", "--after", after]);
    assert_eq!(rest.as_array().map(Vec::len), Some(2));

    let event = gateway.json(&["events", "get", "--source", "/cectl", "--id", "ev-1"]);
    let cursor = event["cursor"].as_str().expect("a cursor");
    let bad = gateway.json(&["deliveries", "get", cursor, "--subscription", "bad"]);
    assert_eq!(bad.as_array().map(Vec::len), Some(1));
    let history = bad[0]["history"].as_array().expect("attempts");
    assert_eq!(history.len(), 2);
    assert!(
        history[0]["response"]
            .as_str()
            .is_some_and(|r| r.contains("the database is down")),
        "{bad}"
    );
    let table = gateway
        .cectl()
        .args(["-o", "table", "deliveries", "get", cursor])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("good: delivered, 1 attempt(s)"), "{text}");
    assert!(
        text.contains("bad: dead_lettered, 2 attempt(s), dead letter"),
        "{text}"
    );
    assert!(text.contains("ATTEMPT  TIME"), "{text}");
    assert!(
        text.contains(r#"{"error": "the database is down"}"#),
        "{text}"
    );
    gateway
        .cectl()
        .args(["deliveries", "get", cursor, "--subscription", "nobody"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("was not delivered to `nobody`"));
}
