//! The real binary as a child process: SIGKILL mid-burst loses nothing that was acknowledged;
//! SIGTERM drains and exits 0.

use std::collections::HashSet;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use shared_events::AttributesReader;
use shared_events::http::reqwest::RequestBuilderExt;
use tokio::process::{Child, Command};

use crate::helpers::{TestReceiver, event, wait_for};

/// The gateway binary on a free loopback port, on the database in `dir`.
async fn start_gateway(dir: &Path) -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("binds")
        .local_addr()
        .expect("an address")
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_event-gateway"))
        .env_clear()
        .env("GATEWAY_LISTEN", format!("127.0.0.1:{port}"))
        .env(
            "GATEWAY_DATABASE_URL",
            format!("sqlite://{}", dir.join("gateway.db").display()),
        )
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(if std::env::var_os("TEST_LOG").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .kill_on_drop(true)
        .spawn()
        .expect("the gateway binary starts");
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    wait_for(|| async {
        client
            .get(format!("{url}/healthz"))
            .send()
            .await
            .ok()
            .filter(|r| r.status().is_success())
    })
    .await;
    (child, url)
}

#[tokio::test]
async fn a_gateway_killed_mid_burst_delivers_every_acknowledged_event_after_restart() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut receiver = TestReceiver::start().await;
    let (mut child, url) = start_gateway(dir.path()).await;
    let client = reqwest::Client::new();
    let created = client
        .post(format!("{url}/subscriptions"))
        .json(&json!({"sink": receiver.url}))
        .send()
        .await
        .expect("answers");
    assert_eq!(created.status(), 201);

    let acked: Arc<Mutex<HashSet<String>>> = Arc::default();
    let mut posters = Vec::new();
    for poster in 0..4 {
        let (client, url, acked) = (client.clone(), url.clone(), acked.clone());
        posters.push(tokio::spawn(async move {
            for i in 0.. {
                let id = format!("burst-{poster}-{i}");
                let request = client
                    .post(format!("{url}/events"))
                    .cloudevent(&event(&id, "com.acme.burst.v1"))
                    .expect("encodes");
                match request.send().await {
                    Ok(r) if r.status() == 202 => {
                        acked.lock().expect("not poisoned").insert(id);
                    }
                    _ => return,
                }
            }
        }));
    }
    wait_for(|| async { (acked.lock().expect("not poisoned").len() >= 300).then_some(()) }).await;
    child.kill().await.expect("SIGKILL");
    for poster in posters {
        poster.await.expect("the poster ends");
    }
    let acked = acked.lock().expect("not poisoned").clone();

    let (mut restarted, _url) = start_gateway(dir.path()).await;
    let mut seen = HashSet::new();
    while !acked.is_subset(&seen) {
        seen.insert(receiver.next().await.event.id().to_owned());
    }
    restarted.kill().await.expect("SIGKILL");
}

#[tokio::test]
async fn sigterm_drains_and_exits_zero() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut receiver = TestReceiver::start().await;
    let (mut child, url) = start_gateway(dir.path()).await;
    let client = reqwest::Client::new();
    client
        .post(format!("{url}/subscriptions"))
        .json(&json!({"sink": receiver.url}))
        .send()
        .await
        .expect("answers");
    let request = client
        .post(format!("{url}/events"))
        .cloudevent(&event("term-1", "com.acme.term.v1"))
        .expect("encodes");
    assert_eq!(request.send().await.expect("answers").status(), 202);
    receiver.next().await;
    let pid = child.id().expect("running").to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("exits in time")
        .expect("waits");
    assert!(exit.success(), "exit status {exit:?}");
}
