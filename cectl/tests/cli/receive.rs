//! `cectl receive` as a child process: events in every mode, from `cectl send` and from the
//! gateway's signed deliveries, printed with their schema and signature verdicts.

use crate::helpers::{Gateway, Receiver, both, cectl};
use predicates::prelude::*;
use serde_json::{Value, json};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ORDER_ID: &str = "0190b2a4-7c1e-7000-8000-000000000001";

#[test]
fn received_events_are_printed_with_their_schema_and_signature_verdicts() {
    let gateway = Gateway::start();
    let receiver = Receiver::start(&["-o", "ndjson", "--count", "4", "--verify-secret", SECRET]);
    gateway
        .cectl()
        .args(["subscriptions", "apply", "-f", "-"])
        .write_stdin(
            json!({"id": "to-receive", "sink": receiver.url, "secret": SECRET,
                   "delivery": {"retry": 0}})
            .to_string(),
        )
        .assert()
        .code(0);

    // Through the gateway: signed, binary mode.
    for (id, ty) in [
        ("via-1", "com.example.order.get.v1"),
        ("via-2", "com.acme.x.v1"),
    ] {
        gateway
            .cectl()
            .args(["send", "--id", id, "-t", ty, "-f"])
            .arg(format!("order_id={ORDER_ID}"))
            .assert()
            .code(0);
    }
    // Straight from cectl: unsigned, so answered 401.
    let direct = cectl()
        .args([
            "send",
            "--to",
            &receiver.url,
            "--mode",
            "structured",
            "--no-validate",
        ])
        .args([
            "--id",
            "direct-1",
            "-t",
            "com.example.order.get.v1",
            "-f",
            "order_id=nope",
        ])
        .output()
        .expect("runs");
    assert_eq!(direct.status.code(), Some(1), "{}", both(&direct));
    cectl()
        .args(["send", "--to", &receiver.url, "--mode", "batch"])
        .args(["--id", "direct-2", "-t", "com.acme.x.v1"])
        .assert()
        .code(1);

    let (code, stdout) = receiver.finish();
    assert_eq!(code, Some(0), "{stdout}");
    let lines: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON document per line"))
        .collect();
    let by_id = |id: &str| {
        lines
            .iter()
            .find(|l| l["event"]["id"] == id)
            .unwrap_or_else(|| panic!("{id} not received: {stdout}"))
    };

    let valid = by_id("via-1");
    assert_eq!(valid["mode"], "binary");
    assert_eq!(
        valid["schema"],
        json!({"checked": true, "valid": true, "errors": []})
    );
    assert_eq!(valid["signature"], json!({"valid": true, "reason": null}));
    assert_eq!(valid["status"], 202);
    assert_eq!(valid["event"]["data"]["order_id"], ORDER_ID);

    let other = by_id("via-2");
    assert_eq!(other["schema"]["checked"], false);
    assert_eq!(other["signature"]["valid"], true);

    let invalid = by_id("direct-1");
    assert_eq!(invalid["mode"], "structured");
    assert_eq!(invalid["schema"]["valid"], false);
    assert_eq!(invalid["schema"]["errors"][0]["pointer"], "/data/order_id");
    assert_eq!(invalid["signature"]["valid"], false);
    assert_eq!(
        invalid["signature"]["reason"],
        "the `webhook-id` header is missing"
    );
    assert_eq!(invalid["status"], 401);

    assert_eq!(by_id("direct-2")["mode"], "batch");
}

#[test]
fn a_table_shows_each_event_readably_and_the_chosen_status_is_answered() {
    let receiver = Receiver::start(&["-o", "table", "--status", "500", "--count", "2"]);
    let output = cectl()
        .args(["send", "--to", &receiver.url, "--subject", "Euro € 😀"])
        .args(["-t", "com.example.order.get.v1", "-f", "order_id=1"])
        .arg("--no-validate")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    // Not a CloudEvent: answered 400 and shown as such.
    let url = receiver.url.clone();
    let not_an_event = std::process::Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-X",
            "POST",
            &url,
        ])
        .args([
            "-H",
            "content-type: application/cloudevents+json",
            "-d",
            "{}",
        ])
        .output()
        .expect("curl runs");
    assert_eq!(String::from_utf8_lossy(&not_an_event.stdout), "400");
    cectl()
        .args(["send", "--to", &url, "-t", "com.acme.x.v1"])
        .assert()
        .code(1);
    let (code, stdout) = receiver.finish();
    assert_eq!(code, Some(0));
    for expected in [
        "☁️  cloudevents.Event",
        "  subject: Euro € 😀",
        "binary mode, answered 500",
        "  schema: invalid",
        "    /data/order_id:",
        "not a CloudEvent (400)",
        "  schema: no schema (not a catalog type)",
    ] {
        assert!(stdout.contains(expected), "no `{expected}` in:\n{stdout}");
    }
}

#[test]
fn a_malformed_secret_or_a_taken_port_stops_receive() {
    cectl()
        .args(["receive", "--port", "0", "--verify-secret", "whsec_x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--verify-secret"));
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let port = taken.local_addr().expect("address").port().to_string();
    cectl()
        .args(["receive", "--port", &port])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot listen"));
}
