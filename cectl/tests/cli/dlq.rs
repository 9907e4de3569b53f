//! `cectl dlq` against a real gateway whose subscriber fails: dead letters are listed, shown
//! with their attempts, redelivered one by one or all at once, and purged.

use crate::helpers::{Gateway, Sink, both, stdout_json, wait_for};
use predicates::prelude::*;
use serde_json::{Value, json};
use shared_events::AttributesReader;

fn dead_letters(gateway: &Gateway) -> Vec<Value> {
    let output = gateway
        .cectl()
        .args(["dlq", "list", "--subscription", "failing"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    stdout_json(&output).as_array().expect("a list").clone()
}

#[test]
fn dead_letters_are_listed_shown_redelivered_and_purged() {
    let gateway = Gateway::start();
    let sink = Sink::start(400);
    gateway
        .cectl()
        .args(["subscriptions", "apply", "-f", "-"])
        .write_stdin(
            json!({"id": "failing", "sink": sink.url, "delivery": {"retry": 0}}).to_string(),
        )
        .assert()
        .code(0);
    for id in ["e-1", "e-2", "e-3"] {
        gateway
            .cectl()
            .args(["send", "--id", id, "-t", "com.acme.x.v1"])
            .assert()
            .code(0);
    }
    for _ in 0..3 {
        sink.next();
    }
    let letters = wait_for("three dead letters", || {
        Some(dead_letters(&gateway)).filter(|l| l.len() == 3)
    });
    let id_of = |event: &str| {
        letters
            .iter()
            .find(|l| l["eventId"] == event)
            .and_then(|l| l["id"].as_str())
            .expect("a dead letter per event")
            .to_owned()
    };
    let (first, second) = (id_of("e-1"), id_of("e-2"));

    let table = gateway
        .cectl()
        .args(["-o", "table", "dlq", "list"])
        .output()
        .expect("runs");
    let text = String::from_utf8(table.stdout).expect("utf-8");
    assert!(text.starts_with("ID  SUBSCRIPTION  TYPE"), "{text}");
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(text.contains("failing       com.acme.x.v1  e-1"), "{text}");

    let shown = gateway
        .cectl()
        .args(["dlq", "get", &first])
        .output()
        .expect("runs");
    let letter = stdout_json(&shown);
    assert_eq!(letter["event"]["id"], "e-1");
    assert_eq!(letter["history"][0]["status"], 400);
    gateway
        .cectl()
        .args(["-o", "table", "dlq", "get", &first])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("history:"))
        .stdout(predicate::str::contains("ATTEMPT  TIME"));

    // The subscriber is fixed: redeliver one, then all the rest.
    sink.set_status(202);
    gateway
        .cectl()
        .args(["-o", "table", "dlq", "redeliver", &first])
        .assert()
        .code(0)
        .stdout(format!("redelivering {first}\n"));
    assert_eq!(sink.next().events()[0].id(), "e-1");
    // Several ids: each is reported, and the exit says one was missing.
    let output = gateway
        .cectl()
        .args(["dlq", "purge", &second, "999999"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(4), "{}", both(&output));
    let results = stdout_json(&output);
    assert_eq!(results[0], json!({"id": second, "ok": true}));
    assert_eq!(results[1]["ok"], false);
    gateway
        .cectl()
        .args(["dlq", "get", &second])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("no dead letter"));
    let all = gateway
        .cectl()
        .args(["dlq", "redeliver", "--all", "--subscription", "failing"])
        .output()
        .expect("runs");
    assert_eq!(all.status.code(), Some(0), "{}", both(&all));
    assert_eq!(stdout_json(&all)["redelivered"], 1);
    assert_eq!(sink.next().events()[0].id(), "e-3");

    // A redelivered dead letter is gone from the store.
    gateway
        .cectl()
        .args(["dlq", "get", &first])
        .assert()
        .code(4);
    gateway
        .cectl()
        .args(["dlq", "redeliver", "999999"])
        .assert()
        .code(4);
    gateway
        .cectl()
        .args(["dlq", "redeliver", "--all", "--subscription", "gone"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("no subscription `gone`"));
}
