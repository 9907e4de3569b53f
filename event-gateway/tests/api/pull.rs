//! Pull delivery: consumers receive under a lock and settle by lock token; several consumers
//! on one subscription share its events.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, on_both_backends, spawn_app_on, wait_for};
use crate::streams::post_numbered;

on_both_backends!(
    two_pull_consumers_split_1000_events_with_none_acknowledged_twice,
    a_released_event_comes_back_and_a_rejected_one_is_a_dead_letter,
    an_expired_lock_releases_the_event,
);

/// `receive` on subscription `sub`: (lock token, delivery count, event id) per event.
pub async fn receive(app: &TestApp, sub: &str, query: &str) -> Vec<(String, u64, String)> {
    let response = app
        .post_json(&format!("/subscriptions/{sub}/receive?{query}"), &json!({}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("JSON");
    body["value"]
        .as_array()
        .expect("a value list")
        .iter()
        .map(|v| {
            (
                v["brokerProperties"]["lockToken"]
                    .as_str()
                    .expect("a token")
                    .to_owned(),
                v["brokerProperties"]["deliveryCount"]
                    .as_u64()
                    .expect("a count"),
                v["event"]["id"].as_str().expect("an id").to_owned(),
            )
        })
        .collect()
}

/// Settles `tokens` with `action`; answers (succeeded, failed) tokens.
pub async fn settle(
    app: &TestApp,
    sub: &str,
    action: &str,
    tokens: &[&str],
) -> (Vec<String>, Vec<Value>) {
    let response = app
        .post_json(
            &format!("/subscriptions/{sub}/{action}"),
            &json!({"lockTokens": tokens}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{action}");
    let body: Value = response.json().await.expect("JSON");
    let ok = body["succeededLockTokens"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|t| t.as_str().expect("a token").to_owned())
        .collect();
    let failed = body["failedLockTokens"].as_array().expect("a list").clone();
    (ok, failed)
}

async fn two_pull_consumers_split_1000_events_with_none_acknowledged_twice(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    app.subscribe(json!({"id": "workers", "delivery": {"mode": "pull", "timeout": "PT30S"}}))
        .await;
    let sent = post_numbered(&app, "job", 1000, "com.acme.work.v1").await;
    let app = Arc::new(app);
    let consumer = |app: Arc<TestApp>| async move {
        let mut acked = Vec::new();
        loop {
            let got = receive(&app, "workers", "max=37&wait=PT0.5S").await;
            if got.is_empty() {
                return acked;
            }
            let tokens: Vec<&str> = got.iter().map(|(t, _, _)| t.as_str()).collect();
            let (ok, failed) = settle(&app, "workers", "acknowledge", &tokens).await;
            assert!(failed.is_empty(), "{failed:?}");
            assert_eq!(ok.len(), got.len());
            acked.extend(got.into_iter().map(|(_, _, id)| id));
        }
    };
    let (a, b) = tokio::join!(
        tokio::spawn(consumer(app.clone())),
        tokio::spawn(consumer(app.clone()))
    );
    let (a, b) = (a.expect("consumer a"), b.expect("consumer b"));
    assert!(!a.is_empty() && !b.is_empty(), "both consumers got work");
    let all: Vec<&String> = a.iter().chain(&b).collect();
    let unique: HashSet<&String> = all.iter().copied().collect();
    assert_eq!(all.len(), 1000, "nothing acknowledged twice");
    assert_eq!(unique, sent.iter().collect::<HashSet<_>>());
    assert_eq!(app.count("deliveries").await, 0);
    let push = app
        .post_json("/subscriptions/workers/receive", &json!({}))
        .await;
    assert_eq!(push.status(), StatusCode::OK);
    Arc::into_inner(app).expect("one handle").stop().await;
}

async fn a_released_event_comes_back_and_a_rejected_one_is_a_dead_letter(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    app.subscribe(json!({"id": "q", "delivery": {"mode": "pull", "retry": 1}}))
        .await;
    post_numbered(&app, "r", 2, "com.acme.work.v1").await;
    let got = receive(&app, "q", "max=10").await;
    assert_eq!(got.len(), 2);
    let token = |id: &str| got.iter().find(|g| g.2 == id).expect("received").0.clone();
    // Locked: nobody else gets them.
    assert!(receive(&app, "q", "max=10").await.is_empty());
    let (ok, _) = settle(&app, "q", "release", &[&token("r-0")]).await;
    assert_eq!(ok.len(), 1);
    let (ok, _) = settle(&app, "q", "reject", &[&token("r-1")]).await;
    assert_eq!(ok.len(), 1);
    let again = receive(&app, "q", "max=10&wait=PT5S").await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].2, "r-0");
    assert_eq!(again[0].1, 2, "the delivery count went up");
    // A settled token is spent.
    let (ok, failed) = settle(&app, "q", "acknowledge", &[&token("r-0"), "garbage"]).await;
    assert!(ok.is_empty());
    let codes: Vec<&str> = failed
        .iter()
        .map(|f| f["error"]["code"].as_str().expect("a code"))
        .collect();
    assert_eq!(codes, ["InvalidLockToken", "LockLost"]);
    // Released once more: that was the last delivery `retry: 1` allows.
    let (ok, _) = settle(&app, "q", "release", &[&again[0].0]).await;
    assert_eq!(ok.len(), 1);
    let dead = app.get_json("/deadletters?subscription=q").await;
    let mut reasons: Vec<String> = dead["deadLetters"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|d| d["reason"].as_str().expect("a reason").to_owned())
        .collect();
    reasons.sort();
    assert_eq!(reasons, ["exhausted", "rejected"]);
    assert!(receive(&app, "q", "max=10").await.is_empty());
    app.stop().await;
}

async fn an_expired_lock_releases_the_event(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    app.subscribe(json!({"id": "slow", "delivery": {"mode": "pull", "timeout": "PT0.5S"}}))
        .await;
    post_numbered(&app, "x", 1, "com.acme.work.v1").await;
    let first = receive(&app, "slow", "").await;
    assert_eq!(first.len(), 1);
    // Renewing holds it past its first expiry.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (ok, _) = settle(&app, "slow", "renew", &[&first[0].0]).await;
    assert_eq!(ok.len(), 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(receive(&app, "slow", "").await.is_empty(), "still locked");
    // Then the lock runs out and the event comes back.
    let again = wait_for(|| async {
        let got = receive(&app, "slow", "wait=PT1S").await;
        (!got.is_empty()).then_some(got)
    })
    .await;
    assert_eq!(again[0].2, "x-0");
    assert_eq!(again[0].1, 2);
    let (ok, failed) = settle(&app, "slow", "acknowledge", &[&first[0].0]).await;
    assert!(ok.is_empty() && failed.len() == 1, "the old lock is gone");
    let (ok, _) = settle(&app, "slow", "acknowledge", &[&again[0].0]).await;
    assert_eq!(ok.len(), 1);
    let not_pull = app
        .subscribe(json!({"id": "pushy", "sink": "http://127.0.0.1:9/"}))
        .await;
    assert_eq!(not_pull["id"], "pushy");
    let refused = app
        .post_json("/subscriptions/pushy/receive", &json!({}))
        .await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    app.stop().await;
}
