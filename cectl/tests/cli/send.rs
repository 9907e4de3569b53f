//! `cectl send` and `cectl build` against a real gateway and real sinks: what arrives is what
//! was sent, invalid events are not sent, answers map to exit codes, curl lines work.

use crate::helpers::{Gateway, Sink, both, cectl, stdout_json, write};
use predicates::prelude::*;
use serde_json::json;
use shared_events::http::percent;
use shared_events::{AttributesReader, Data, EventBuilder, EventBuilderV10};

/// A subject that needs percent-encoding in a header and quoting in a shell.
pub const SUBJECT: &str = "Euro € 😀 \"quoted\" 50% it's";

#[test]
fn an_event_sent_to_the_gateway_reaches_a_subscriber_with_its_attributes_intact() {
    let gateway = Gateway::start();
    let sink = Sink::start(202);
    gateway.subscribe_all("all", &sink, "binary");
    for mode in ["binary", "structured", "batch"] {
        let id = format!("cectl-{mode}");
        let output = gateway
            .cectl()
            .args([
                "send",
                "--mode",
                mode,
                "-t",
                "com.acme.thing.done.v1",
                "-s",
                "/tests",
            ])
            .args([
                "--id",
                &id,
                "--subject",
                SUBJECT,
                "--ext",
                "partitionkey=k-1",
            ])
            .args(["-f", "thing.id=t-1", "-f", "thing.count=3", "-f", "ok=true"])
            .args([
                "-f",
                "note=\"42\"",
                "-f",
                "tags=[\"a\",\"b\"]",
                "-f",
                "price=1.5",
            ])
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(0), "{}", both(&output));
        let report = stdout_json(&output);
        assert_eq!(report["status"], 202, "{mode}");
        assert_eq!(report["mode"], mode);
        assert_eq!(report["to"], format!("{}/events", gateway.url));
        let sent = report["event"].clone();

        let delivery = sink.next();
        let raw_subject = delivery.headers["ce-subject"].to_str().expect("ASCII");
        assert_eq!(raw_subject, percent::encode(SUBJECT), "{mode}");
        let events = delivery.events();
        let [event] = events.as_slice() else {
            panic!("one event per delivery, got {events:?}")
        };
        let arrived = shared_events::format::to_value(event);
        for attribute in ["id", "source", "type", "subject", "time", "partitionkey"] {
            assert_eq!(arrived[attribute], sent[attribute], "{mode}: {attribute}");
        }
        assert_eq!(event.subject(), Some(SUBJECT));
        assert_eq!(event.id(), id);
        assert_eq!(
            event.data(),
            Some(&Data::Json(json!({
                "thing": {"id": "t-1", "count": 3},
                "ok": true,
                "note": "42",
                "tags": ["a", "b"],
                "price": 1.5,
            })))
        );
    }
}

#[test]
fn a_catalog_event_is_validated_before_it_is_sent() {
    let gateway = Gateway::start();
    let sink = Sink::start(202);
    cectl()
        .args(["send", "--to", &sink.url, "-t", "com.example.order.get.v1"])
        .args(["-f", "order_id=not-a-uuid", "-f", "extra=1"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("/data/order_id"))
        .stderr(predicate::str::contains("not sent"));
    assert_eq!(sink.pending(), 0, "an invalid event was sent");

    // --no-validate sends it anyway, and the gateway refuses it: a 400, exit 1.
    gateway
        .cectl()
        .args(["send", "--no-validate", "-t", "com.example.order.get.v1"])
        .args(["-f", "order_id=not-a-uuid"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("400"));

    // A valid one carries the dataschema of its revision in the gateway's registry, which
    // resolves.
    let output = gateway
        .cectl()
        .args(["send", "-t", "com.example.order.get.v1"])
        .args(["-f", "order_id=0190b2a4-7c1e-7000-8000-000000000001"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    let schema = stdout_json(&output)["event"]["dataschema"]
        .as_str()
        .expect("a dataschema")
        .to_owned();
    let path = schema
        .strip_prefix(&gateway.url)
        .unwrap_or_else(|| panic!("{schema} is not on the gateway"));
    assert_eq!(gateway.get(path).0, 200, "{schema}");
}

#[test]
fn the_reply_event_in_an_answer_is_printed() {
    let reply = EventBuilderV10::new()
        .id("reply-1")
        .source("/sink")
        .ty("com.acme.thing.answered.v1")
        .data("application/json", json!({"answer": 42}))
        .build()
        .expect("an event");
    let sink = Sink::replying(reply);
    let output = cectl()
        .args(["send", "--to", &sink.url, "-t", "com.acme.thing.asked.v1"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    let report = stdout_json(&output);
    assert_eq!(report["status"], 200);
    assert_eq!(report["reply"]["id"], "reply-1");
    assert_eq!(report["reply"]["data"], json!({"answer": 42}));
    assert!(report["latencyMs"].as_f64().expect("a latency") > 0.0);

    cectl()
        .args([
            "-o",
            "table",
            "send",
            "--to",
            &sink.url,
            "-t",
            "com.acme.thing.asked.v1",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::is_match(r"^200 OK in \d+\.\d ms").expect("regex"))
        .stdout(predicate::str::contains("reply:"))
        .stdout(predicate::str::contains("type: com.acme.thing.answered.v1"));
}

#[test]
fn answers_map_to_exit_codes_with_the_problem_detail_on_stderr() {
    let gateway = Gateway::start();
    let missing = format!("{}/nowhere", gateway.url);
    cectl()
        .args(["send", "--to", &missing, "-t", "com.acme.x.v1"])
        .assert()
        .code(4);
    let sink = Sink::start(503);
    let output = cectl()
        .args(["send", "--to", &sink.url, "-t", "com.acme.x.v1"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout_json(&output)["status"], 503);
    sink.next();
    cectl()
        .args([
            "send",
            "--gateway",
            "http://127.0.0.1:1",
            "-t",
            "com.acme.x.v1",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot reach"));
    // A malformed event (an extension name with a capital) is refused before sending.
    cectl()
        .args([
            "send",
            "--to",
            &sink.url,
            "-t",
            "com.acme.x.v1",
            "--ext",
            "Bad=1",
        ])
        .assert()
        .code(3);
    cectl()
        .args(["send", "-t", "x", "-f", "novalue"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("PATH=VALUE"));
    cectl()
        .args(["send", "-t", "x", "--data", "{not json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--content-type"));
    cectl()
        .args(["send", "-t", "x", "--to", "ftp://example.com/"])
        .assert()
        .code(2);
    assert_eq!(sink.pending(), 0);
}

#[test]
fn the_token_goes_to_the_gateway_and_nowhere_else() {
    let token = "cectl-test-token-0123456789";
    let gateway = Gateway::start_with(|s| s.api_tokens = vec![token.parse().expect("a token")]);
    gateway
        .cectl()
        .args(["send", "-t", "com.acme.x.v1"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("401"))
        .stderr(predicate::str::contains("--token"));
    gateway
        .cectl()
        .args(["send", "--token", token, "-t", "com.acme.x.v1"])
        .assert()
        .code(0);
    gateway
        .cectl()
        .env("CECTL_TOKEN", token)
        .args(["subscriptions", "list"])
        .assert()
        .code(0);
    let sink = Sink::start(202);
    gateway
        .cectl()
        .env("CECTL_TOKEN", token)
        .args(["send", "--to", &sink.url, "-t", "com.acme.x.v1"])
        .assert()
        .code(0);
    assert!(!sink.next().headers.contains_key("authorization"));
}

#[test]
fn data_comes_from_a_file_stdin_or_the_command_line() {
    let sink = Sink::start(202);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "data.json", r#"{"from": "file", "n": 1}"#);
    let data = |received: crate::helpers::Received| received.events()[0].data().cloned();
    let send = || {
        let mut command = cectl();
        command.args(["send", "--to", &sink.url, "-t", "com.acme.x.v1"]);
        command
    };
    send()
        .arg("--data")
        .arg(format!("@{}", file.display()))
        .args(["-f", "n=2"])
        .assert()
        .code(0);
    assert_eq!(
        data(sink.next()),
        Some(Data::Json(json!({"from": "file", "n": 2})))
    );
    send()
        .args(["--data", "-"])
        .write_stdin(r#"[1, 2]"#)
        .assert()
        .code(0);
    assert_eq!(data(sink.next()), Some(Data::Json(json!([1, 2]))));
    send()
        .args(["--data", "hello", "--content-type", "text/plain"])
        .assert()
        .code(0);
    let received = sink.next();
    assert_eq!(received.headers["content-type"], "text/plain");
    assert_eq!(data(received), Some(Data::String("hello".to_owned())));
    send().assert().code(0);
    assert_eq!(data(sink.next()), None);
}
