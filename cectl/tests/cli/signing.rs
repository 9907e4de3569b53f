//! `cectl sign` and `cectl verify`, checked against the unmodified `standardwebhooks` crate
//! (the reference implementation's Rust library) in both directions.

use crate::helpers::{both, cectl, stdout_json, write};
use http::{HeaderMap, HeaderValue};
use predicates::prelude::*;
use standardwebhooks::Webhook;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OTHER_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const BODY: &str = r#"{"type":"com.acme.thing.done.v1","data":{"n":1}}"#;

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// `cectl sign` output as headers.
fn sign(body_file: &std::path::Path, id: &str, timestamp: i64) -> Vec<(String, String)> {
    let output = cectl()
        .args(["sign", "--secret", SECRET, "--id", id, "--timestamp"])
        .arg(timestamp.to_string())
        .arg(body_file)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    String::from_utf8(output.stdout)
        .expect("utf-8")
        .lines()
        .map(|line| {
            let (name, value) = line.split_once(": ").expect("name: value");
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

fn verify(headers: &[(String, String)], body_file: &std::path::Path) -> assert_cmd::Command {
    let mut command = cectl();
    command.args(["verify", "--secret", SECRET]);
    for (name, value) in headers {
        command.arg("-H").arg(format!("{name}: {value}"));
    }
    command.arg(body_file);
    command
}

#[test]
fn sign_prints_the_three_headers_and_the_reference_library_verifies_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = write(dir.path(), "body.json", BODY);
    let headers = sign(&body, "msg_1", now());
    let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["webhook-id", "webhook-timestamp", "webhook-signature"]
    );
    assert!(headers[2].1.starts_with("v1,"));
    let mut map = HeaderMap::new();
    for (name, value) in &headers {
        map.insert(
            http::HeaderName::try_from(name.as_str()).expect("a name"),
            HeaderValue::from_str(value).expect("a value"),
        );
    }
    Webhook::new(SECRET)
        .expect("secret")
        .verify(BODY.as_bytes(), &map)
        .expect("the reference library verifies cectl's signature");

    // From stdin, with the secret from the environment, as JSON when asked.
    let output = cectl()
        .env("CECTL_WEBHOOK_SECRET", SECRET)
        .args([
            "-o",
            "json",
            "sign",
            "--id",
            "msg_1",
            "--timestamp",
            "1700000000",
            "-",
        ])
        .write_stdin(BODY)
        .output()
        .expect("runs");
    let json = stdout_json(&output);
    assert_eq!(json["webhook-timestamp"], "1700000000");
    assert_eq!(
        json["webhook-signature"],
        Webhook::new(SECRET)
            .expect("secret")
            .sign("msg_1", 1_700_000_000, BODY.as_bytes())
            .expect("signs")
    );
}

#[test]
fn verify_accepts_what_the_reference_library_signs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = write(dir.path(), "body.json", BODY);
    let timestamp = now();
    let signature = Webhook::new(SECRET)
        .expect("secret")
        .sign("msg_7", timestamp, BODY.as_bytes())
        .expect("signs");
    let headers = [
        ("webhook-id".to_owned(), "msg_7".to_owned()),
        ("webhook-timestamp".to_owned(), timestamp.to_string()),
        // A rotation: another secret's signature first, ours second.
        (
            "webhook-signature".to_owned(),
            format!("v1,aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29y {signature}"),
        ),
    ];
    let output = verify(&headers, &body).output().expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    let verdict = stdout_json(&output);
    assert_eq!(verdict["valid"], true);
    assert_eq!(verdict["webhookId"], "msg_7");
    verify(&headers, &body)
        .args(["-o", "table"])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("valid:"));
}

#[test]
fn verify_says_why_a_signature_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = write(dir.path(), "body.json", BODY);
    let changed = write(dir.path(), "changed.json", &BODY.replace("1", "2"));
    let headers = sign(&body, "msg_1", now());
    let reason = |command: &mut assert_cmd::Command| {
        let output = command.output().expect("runs");
        assert_eq!(output.status.code(), Some(3), "{}", both(&output));
        let verdict = stdout_json(&output);
        assert_eq!(verdict["valid"], false);
        verdict["reason"].as_str().expect("a reason").to_owned()
    };

    let mismatch = "signature does not match: the body changed or the secret is wrong";
    assert_eq!(reason(&mut verify(&headers, &changed)), mismatch);
    let mut wrong = cectl();
    wrong.args(["verify", "--secret", OTHER_SECRET]);
    for (name, value) in &headers {
        wrong.arg("-H").arg(format!("{name}: {value}"));
    }
    wrong.arg(&body);
    assert_eq!(reason(&mut wrong), mismatch);

    for missing in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        let fewer: Vec<_> = headers
            .iter()
            .filter(|(n, _)| n != missing)
            .cloned()
            .collect();
        assert_eq!(
            reason(&mut verify(&fewer, &body)),
            format!("the `{missing}` header is missing")
        );
    }

    let old = sign(&body, "msg_1", now() - 3600);
    let too_old = reason(&mut verify(&old, &body));
    assert!(
        too_old.contains("timestamp skew") && too_old.contains("too old"),
        "{too_old}"
    );
    assert!(
        verify(&old, &body)
            .args(["--tolerance", "2h"])
            .output()
            .expect("runs")
            .status
            .success(),
        "a wider tolerance accepts it"
    );
    let future = sign(&body, "msg_1", now() + 3600);
    let too_new = reason(&mut verify(&future, &body));
    assert!(too_new.contains("too new"), "{too_new}");

    let mut malformed = cectl();
    malformed.args(["verify", "--secret", "whsec_tooshort"]);
    for (name, value) in &headers {
        malformed.arg("-H").arg(format!("{name}: {value}"));
    }
    malformed.arg(&body);
    let text = reason(&mut malformed);
    assert!(text.starts_with("malformed secret"), "{text}");

    let mut table = verify(&headers, &changed);
    table
        .args(["-o", "table"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains(format!("invalid: {mismatch}")));
}

#[test]
fn malformed_flags_and_secrets_are_usage_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = write(dir.path(), "body.json", BODY);
    cectl()
        .args(["verify", "--secret", SECRET, "-H", "no colon here"])
        .arg(&body)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("NAME: VALUE"));
    cectl()
        .args(["sign", "--secret", "not-a-secret", "--id", "m"])
        .arg(&body)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("whsec_"));
    cectl()
        .args(["sign", "--secret", SECRET, "--id", "m", "no/such/file"])
        .assert()
        .code(2);
}
