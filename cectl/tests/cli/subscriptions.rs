//! `cectl subscriptions` against a real gateway: apply creates then replaces, list and get
//! show what the gateway holds, delete removes, and a missing one is exit 4.

use crate::helpers::{Gateway, Sink, both, stdout_json, write};
use predicates::prelude::*;
use serde_json::Value;

#[test]
fn apply_creates_then_replaces_and_list_get_delete_follow() {
    let gateway = Gateway::start();
    let sink = Sink::start(202);
    let dir = tempfile::tempdir().expect("tempdir");
    let yaml = write(
        dir.path(),
        "subs.yaml",
        &format!(
            "id: orders\nsink: {url}\nfilters: [{{prefix: {{type: com.example.order.}}}}]\n\
             ---\nsubscriptions:\n  - id: payments\n    sink: {url}\n    format: structured\n    \
             secret: generate\n",
            url = sink.url
        ),
    );
    let output = gateway
        .cectl()
        .args(["subscriptions", "apply", "-f"])
        .arg(&yaml)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    let applied = stdout_json(&output);
    assert_eq!(applied[0]["action"], "created");
    assert_eq!(applied[0]["subscription"]["id"], "orders");
    assert_eq!(applied[1]["action"], "created");
    let secret = applied[1]["subscription"]["secret"]
        .as_str()
        .expect("the generated secret, shown once");
    assert!(secret.starts_with("whsec_"));

    // Applying again replaces: here the orders filter changes.
    let json = write(
        dir.path(),
        "orders.json",
        &format!(
            r#"{{"id": "orders", "sink": "{}", "filters": []}}"#,
            sink.url
        ),
    );
    gateway
        .cectl()
        .args(["-o", "table", "subscriptions", "apply", "-f"])
        .arg(&json)
        .assert()
        .code(0)
        .stdout("replaced orders\n");
    let (_, stored) = gateway.get("/subscriptions/orders");
    assert_eq!(stored["filters"], Value::Array(vec![]));

    let output = gateway
        .cectl()
        .args(["subscriptions", "list"])
        .output()
        .expect("runs");
    let ids: Vec<Value> = stdout_json(&output)
        .as_array()
        .expect("a list")
        .iter()
        .map(|s| s["id"].clone())
        .collect();
    assert_eq!(ids, ["orders", "payments"]);
    let table = gateway
        .cectl()
        .args(["-o", "table", "subscriptions", "list"])
        .output()
        .expect("runs");
    let text = String::from_utf8(table.stdout).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("ID        STATUS  SINK"), "{text}");
    assert!(lines[1].starts_with("orders    active  http://"), "{text}");
    assert!(
        lines[2].contains("structured") && lines[2].contains(" set "),
        "{text}"
    );
    let ndjson = gateway
        .cectl()
        .args(["-o", "ndjson", "subscriptions", "list"])
        .output()
        .expect("runs");
    assert_eq!(String::from_utf8_lossy(&ndjson.stdout).lines().count(), 2);

    let got = gateway
        .cectl()
        .args(["subscriptions", "get", "payments"])
        .output()
        .expect("runs");
    let payments = stdout_json(&got);
    assert_eq!(payments["format"], "structured");
    assert_eq!(payments["secretSet"], true);
    assert!(payments.get("secret").is_none(), "secrets are write-only");
    gateway
        .cectl()
        .args(["-o", "table", "subscriptions", "get", "payments"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("format:"))
        .stdout(predicate::str::contains("  retry:"));

    gateway
        .cectl()
        .args(["subscriptions", "delete", "payments"])
        .assert()
        .code(0);
    assert_eq!(gateway.get("/subscriptions/payments").0, 404);
    gateway
        .cectl()
        .args(["subscriptions", "delete", "payments"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("no subscription `payments`"));
    gateway
        .cectl()
        .args(["subscriptions", "get", "nope"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains(
            "404 Not Found: no subscription `nope`",
        ));
}

#[test]
fn an_invalid_subscription_stops_apply_with_the_gateways_reason() {
    let gateway = Gateway::start();
    let sink = Sink::start(202);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(
        dir.path(),
        "subs.yaml",
        &format!(
            "- id: good\n  sink: {}\n- id: bad\n  sink: ftp://example.com/\n- id: never\n  sink: {}\n",
            sink.url, sink.url
        ),
    );
    let output = gateway
        .cectl()
        .args(["subscriptions", "apply", "-f"])
        .arg(&file)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("subscription bad: 400"), "{stderr}");
    assert!(stderr.contains("1 of 3 applied"), "{stderr}");
    assert_eq!(gateway.get("/subscriptions/good").0, 200);
    assert_eq!(gateway.get("/subscriptions/never").0, 404);

    let not_yaml = write(dir.path(), "x.yaml", "id: [unclosed");
    gateway
        .cectl()
        .args(["subscriptions", "apply", "-f"])
        .arg(&not_yaml)
        .assert()
        .code(2);
    let scalar = write(dir.path(), "y.json", "42");
    gateway
        .cectl()
        .args(["subscriptions", "apply", "-f"])
        .arg(&scalar)
        .assert()
        .code(2);
}
