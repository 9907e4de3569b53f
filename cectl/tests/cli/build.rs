//! `cectl build`: the event printed offline, and `-o curl` lines that, pasted into a shell,
//! post the same event to a real gateway in every mode.

use crate::helpers::{Gateway, Sink, both, cectl, stdout_json};
use crate::send::SUBJECT;
use serde_json::{Value, json};
use shared_events::{AttributesReader, Data};

#[test]
fn build_prints_the_event_offline() {
    let output = cectl()
        .args(["build", "-t", "com.acme.x.v1", "-s", "/me", "--id", "e-1"])
        .args(["--time", "2024-01-02T03:04:05Z", "-f", "a.b=1"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    assert_eq!(
        stdout_json(&output),
        json!({
            "specversion": "1.0",
            "id": "e-1",
            "source": "/me",
            "type": "com.acme.x.v1",
            "time": "2024-01-02T03:04:05Z",
            "datacontenttype": "application/json",
            "data": {"a": {"b": 1}},
        })
    );
    let batch = cectl()
        .args([
            "-o",
            "ndjson",
            "build",
            "--mode",
            "batch",
            "-t",
            "com.acme.x.v1",
        ])
        .output()
        .expect("runs");
    let text = String::from_utf8(batch.stdout).expect("utf-8");
    assert_eq!(text.lines().count(), 1);
    let value: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(value[0]["type"], "com.acme.x.v1");
    cectl()
        .args([
            "build",
            "-t",
            "com.example.order.get.v1",
            "-f",
            "order_id=1",
        ])
        .assert()
        .code(3);
}

#[test]
fn a_curl_line_from_build_posts_the_same_event_in_either_mode() {
    let gateway = Gateway::start();
    let sink = Sink::start(202);
    gateway.subscribe_all("all", &sink, "structured");
    for mode in ["binary", "structured", "batch"] {
        let id = format!("curl-{mode}");
        let output = gateway
            .cectl()
            .args([
                "-o",
                "curl",
                "build",
                "--mode",
                mode,
                "-t",
                "com.acme.thing.done.v1",
            ])
            .args([
                "--id",
                &id,
                "--subject",
                SUBJECT,
                "--ext",
                "partitionkey=k 1",
            ])
            .args(["-f", "quote=it's \"here\" $HOME `x`"])
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(0), "{}", both(&output));
        let line = String::from_utf8(output.stdout).expect("utf-8");
        assert_eq!(line.trim_end().lines().count(), 1, "one line: {line}");
        assert!(line.starts_with("curl "), "{line}");
        let ran = std::process::Command::new("sh")
            .args(["-c", &line])
            .output()
            .expect("sh runs curl");
        let answer = String::from_utf8_lossy(&ran.stdout);
        assert!(
            answer.starts_with("HTTP/1.1 202"),
            "{mode}: {line}\n{answer}"
        );

        let events = sink.next().events();
        let event = &events[0];
        assert_eq!(event.id(), id);
        assert_eq!(event.subject(), Some(SUBJECT));
        assert_eq!(
            shared_events::format::to_value(event)["partitionkey"],
            "k 1"
        );
        assert_eq!(
            event.data(),
            Some(&Data::Json(json!({"quote": "it's \"here\" $HOME `x`"})))
        );
    }
}

#[test]
fn a_curl_line_reads_the_token_from_the_environment_instead_of_printing_it() {
    let token = "cectl-test-token-0123456789";
    let gateway = Gateway::start_with(|s| s.api_tokens = vec![token.parse().expect("a token")]);
    let output = gateway
        .cectl()
        .env("CECTL_TOKEN", token)
        .args(["-o", "curl", "build", "-t", "com.acme.x.v1"])
        .output()
        .expect("runs");
    let line = String::from_utf8(output.stdout).expect("utf-8");
    assert!(!line.contains(token), "{line}");
    assert!(line.contains("$CECTL_TOKEN"), "{line}");
    let ran = std::process::Command::new("sh")
        .args(["-c", &line])
        .env("CECTL_TOKEN", token)
        .output()
        .expect("sh runs curl");
    assert!(String::from_utf8_lossy(&ran.stdout).starts_with("HTTP/1.1 202"));
}
