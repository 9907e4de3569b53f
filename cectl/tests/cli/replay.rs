//! `cectl replay` and `cectl jobs` against a real gateway: the dry-run count, the confirmation
//! rule, a job followed to the end with its progress, detaching with Ctrl-C, cancelling.

use crate::helpers::{Gateway, Sink, both, stdout_json};
use crate::process::Running;
use predicates::prelude::*;
use serde_json::{Value, json};
use shared_events::AttributesReader;

#[test]
fn replay_counts_asks_and_follows_the_job_until_every_event_was_sent_again() {
    let gateway = Gateway::start();
    let sink = Sink::start(202);
    gateway.apply(json!({"id": "r", "sink": sink.url}));
    for id in ["e-1", "e-2", "e-3"] {
        gateway.send(id, "com.acme.r.v1", &[]);
        sink.next();
    }
    let args = ["replay", "--subscription", "r", "--since", "1h"];

    let dry = gateway.json(&[&args[..], &["--dry-run"]].concat());
    assert_eq!(dry["count"], 3);
    // Without a terminal to confirm on, --yes is required: nothing starts.
    gateway
        .cectl()
        .args(args)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("3 event(s) to replay to `r`"))
        .stderr(predicate::str::contains("pass --yes"));
    assert_eq!(gateway.json(&["jobs", "list"]), json!([]));

    let output = gateway
        .cectl()
        .args(args)
        .arg("--yes")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    let done = stdout_json(&output);
    let job = done["job"]["id"].as_str().expect("a job id").to_owned();
    assert_eq!(done["count"], 3);
    assert_eq!(done["job"]["status"], "completed");
    assert_eq!(
        (&done["job"]["total"], &done["job"]["done"]),
        (&json!(3), &json!(3))
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("started job {job}")), "{stderr}");
    assert!(
        stderr.contains(&format!("job {job}: 3/3 completed")),
        "{stderr}"
    );
    let mut again: Vec<String> = (0..3)
        .map(|_| {
            let event = sink.next().events().remove(0);
            assert_eq!(
                event.extension("replayid").map(ToString::to_string),
                Some(job.clone()),
                "a replayed event names its job"
            );
            event.id().to_owned()
        })
        .collect();
    again.sort();
    assert_eq!(again, ["e-1", "e-2", "e-3"]);

    let filtered = gateway
        .cectl()
        .args([
            "-o",
            "table",
            "replay",
            "--subscription",
            "r",
            "--since",
            "earliest",
        ])
        .args(["--filter", "id = 'e-2'", "--yes"])
        .output()
        .expect("runs");
    assert_eq!(filtered.status.code(), Some(0), "{}", both(&filtered));
    let text = String::from_utf8_lossy(&filtered.stdout);
    assert!(
        text.starts_with("job ")
            && text.ends_with(" completed: 1 of 1 delivered or dead-lettered\n"),
        "{text}"
    );
    assert_eq!(sink.next().events()[0].id(), "e-2");

    // An empty range starts nothing.
    gateway
        .cectl()
        .args(["-o", "table", "replay", "--subscription", "r", "--yes"])
        .args([
            "--since",
            "2000-01-01T00:00:00Z",
            "--until",
            "2000-01-02T00:00:00Z",
        ])
        .assert()
        .code(0)
        .stdout("0\n");

    let jobs = gateway.json(&["jobs", "list"]);
    let jobs = jobs.as_array().expect("a list");
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[1]["id"], job.as_str(), "the newest first");
    assert_eq!(gateway.json(&["jobs", "get", &job])["status"], "completed");
    gateway
        .cectl()
        .args(["-o", "table", "jobs", "get", &job])
        .assert()
        .code(0)
        .stdout(predicate::str::is_match("(?m)^status: +completed$").expect("a regex"));
    gateway
        .cectl()
        .args(["jobs", "cancel", &job])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("completed already"));
    gateway
        .cectl()
        .args(["jobs", "get", "0190b2a4-7c1e-7000-8000-000000000001"])
        .assert()
        .code(4);
    gateway
        .cectl()
        .args(["replay", "--subscription", "nope", "--since", "1h"])
        .assert()
        .code(4);
    gateway
        .cectl()
        .args(["replay", "--subscription", "r", "--since", "last tuesday"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("`from` must be"));
}

/// A gateway with two events and a subscription `slow` whose sink keeps failing with a long
/// backoff, so a replay job to it stays running.
fn gateway_with_a_slow_subscriber() -> (Gateway, Sink) {
    let gateway = Gateway::start();
    gateway.send("s-1", "com.acme.s.v1", &[]);
    gateway.send("s-2", "com.acme.s.v1", &[]);
    let sink = Sink::start(503);
    gateway.apply(json!({"id": "slow", "sink": sink.url,
        "delivery": {"retry": 5, "backoffDelay": "PT60S", "backoffMax": "PT60S"}}));
    (gateway, sink)
}

fn follower(gateway: &Gateway) -> (Running, String) {
    let mut replay = Running::start(
        &[
            "replay",
            "--subscription",
            "slow",
            "--since",
            "earliest",
            "--yes",
            "-o",
            "json",
        ],
        &[("CECTL_GATEWAY", gateway.url.as_str())],
    );
    let started = replay.wait_stderr("started job ");
    let id = started.rsplit(' ').next().expect("an id").to_owned();
    (replay, id)
}

#[test]
fn a_running_job_can_be_detached_from_and_cancelled() {
    let (gateway, _sink) = gateway_with_a_slow_subscriber();
    let detached = gateway.json(&[
        "replay",
        "--subscription",
        "slow",
        "--since",
        "earliest",
        "--yes",
        "--detach",
    ]);
    assert_eq!(detached["count"], 2);
    assert_eq!(detached["job"]["status"], "running");
    let first = detached["job"]["id"].as_str().expect("an id").to_owned();

    // Ctrl-C while following leaves the job running and says how to find it.
    let (mut replay, second) = follower(&gateway);
    replay.wait_stderr(&format!("job {second}: "));
    replay.interrupt();
    let (code, stdout, stderr) = replay.wait();
    assert_eq!(code, Some(0), "{stderr:?}");
    assert!(
        stderr
            .iter()
            .any(|l| l.contains(&format!("detached: job {second} goes on"))),
        "{stderr:?}"
    );
    let shown: Value = serde_json::from_str(&stdout.join("\n")).expect("the job as JSON");
    assert_eq!(shown["job"]["id"], second.as_str());
    assert_eq!(shown["job"]["status"], "running");

    let running = gateway.json(&["jobs", "list"]);
    assert!(
        running
            .as_array()
            .expect("a list")
            .iter()
            .all(|j| j["status"] == "running"),
        "{running}"
    );
    let cancelled = gateway.json(&["jobs", "cancel", &first]);
    assert_eq!(cancelled["status"], "cancelled");
    gateway
        .cectl()
        .args(["-o", "table", "jobs", "cancel", &second])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with(format!(
            "cancelled {second} after 0 of "
        )));
    gateway
        .cectl()
        .args(["jobs", "cancel", &first])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cancelled already"));

    // A follower whose job is cancelled elsewhere stops and says so.
    let (replay, third) = follower(&gateway);
    gateway
        .cectl()
        .args(["jobs", "cancel", &third])
        .assert()
        .code(0);
    let (code, stdout, stderr) = replay.wait();
    assert_eq!(code, Some(1), "{stderr:?}");
    assert!(
        stderr
            .iter()
            .any(|l| l.contains(&format!("job {third} cancelled after 0 of "))),
        "{stderr:?}"
    );
    let shown: Value = serde_json::from_str(&stdout.join("\n")).expect("the job as JSON");
    assert_eq!(shown["job"]["status"], "cancelled");
}
