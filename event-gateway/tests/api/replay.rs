//! Replay jobs and subscriptions that start in the past.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use serde_json::{Value, json};
use shared_events::AttributesReader;

use crate::helpers::{
    Backend, Behaviour, TestApp, TestReceiver, on_both_backends, spawn_app_on, wait_for,
};
use crate::streams::{ids_received, post_numbered};

on_both_backends!(
    a_dry_run_counts_exactly_and_the_job_replays_exactly_the_matching_events,
    cancelling_a_replay_stops_it,
    a_subscription_from_earliest_gets_history_then_live_without_gaps_or_doubles,
);

/// Waits until job `location` has `status`; answers the job.
async fn job_with_status(app: &TestApp, location: &str, status: &str) -> Value {
    wait_for(|| async {
        let job = app.get_json(location).await;
        (job["status"] == status).then_some(job)
    })
    .await
}

async fn a_dry_run_counts_exactly_and_the_job_replays_exactly_the_matching_events(
    backend: Backend,
) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let mut receiver = TestReceiver::start().await;
    app.subscribe(json!({"id": "audit", "sink": receiver.url, "filters": [{"prefix": {"type": "com.acme."}}]}))
        .await;
    let a = post_numbered(&app, "a", 60, "com.acme.a.v1").await;
    post_numbered(&app, "b", 40, "com.acme.b.v1").await;
    post_numbered(&app, "other", 10, "org.other.v1").await;
    ids_received(&mut receiver, 100).await;
    let body = json!({"from": "earliest", "filter": "type = 'com.acme.a.v1'", "dryRun": true});
    let dry = app.post_json("/subscriptions/audit/replay", &body).await;
    assert_eq!(dry.status(), StatusCode::OK);
    assert_eq!(dry.json::<Value>().await.expect("JSON")["count"], 60);
    // The subscription's own filter applies too: `org.other` events never count.
    let all = app
        .post_json("/subscriptions/audit/replay", &json!({"dryRun": true}))
        .await;
    assert_eq!(all.json::<Value>().await.expect("JSON")["count"], 100);
    let started = app
        .post_json(
            "/subscriptions/audit/replay",
            &json!({"filter": "type = 'com.acme.a.v1'"}),
        )
        .await;
    assert_eq!(started.status(), StatusCode::ACCEPTED);
    let location = started.headers()["location"]
        .to_str()
        .expect("text")
        .to_owned();
    let job: Value = started.json().await.expect("JSON");
    let job_id = job["id"].as_str().expect("an id").to_owned();
    let mut replayed = Vec::new();
    for _ in 0..60 {
        let got = receiver.next().await;
        assert_eq!(
            got.event
                .extension("replayid")
                .map(ToString::to_string)
                .as_deref(),
            Some(job_id.as_str())
        );
        replayed.push(got.event.id().to_owned());
    }
    assert_eq!(
        replayed.iter().collect::<HashSet<_>>(),
        a.iter().collect::<HashSet<_>>()
    );
    receiver.expect_nothing(Duration::from_millis(300)).await;
    let done = job_with_status(&app, &location, "completed").await;
    assert_eq!(done["total"], 60);
    assert_eq!(done["done"], 60);
    let listed = app.get_json("/jobs").await;
    assert_eq!(listed["jobs"][0]["id"], job_id.as_str());
    let bad = app
        .post_json("/subscriptions/audit/replay", &json!({"filter": "type ="}))
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let bad = app
        .post_json("/subscriptions/audit/replay", &json!({"from": "yesterday"}))
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let missing = app
        .post_json("/subscriptions/nope/replay", &json!({}))
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

async fn cancelling_a_replay_stops_it(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    post_numbered(&app, "c", 1000, "com.acme.c.v1").await;
    let slow = Behaviour {
        delay: Duration::from_millis(20),
        ..Behaviour::default()
    };
    let mut receiver = TestReceiver::behaving(slow).await;
    app.subscribe(json!({"id": "late", "sink": receiver.url, "delivery": {"maxConcurrency": 2}}))
        .await;
    let started = app
        .post_json("/subscriptions/late/replay", &json!({}))
        .await;
    let location = started.headers()["location"]
        .to_str()
        .expect("text")
        .to_owned();
    ids_received(&mut receiver, 5).await;
    let cancel = app
        .client
        .delete(format!("{}{location}", app.address))
        .send()
        .await
        .expect("answers");
    assert_eq!(cancel.status(), StatusCode::OK);
    let job = app.get_json(&location).await;
    assert_eq!(job["status"], "cancelled");
    // What was in flight may still arrive; then nothing.
    let mut received = 5;
    while receiver.within(Duration::from_millis(500)).await.is_some() {
        received += 1;
    }
    assert!(received < 1000, "stopped after {received}");
    let job = app.get_json(&location).await;
    assert!(job["done"].as_u64().expect("done") <= received);
    assert_eq!(app.count("deliveries").await, 0);
    let again = app
        .client
        .delete(format!("{}{location}", app.address))
        .send()
        .await
        .expect("answers");
    assert_eq!(again.status(), StatusCode::CONFLICT);
    app.stop().await;
}

async fn a_subscription_from_earliest_gets_history_then_live_without_gaps_or_doubles(
    backend: Backend,
) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let history = post_numbered(&app, "h", 300, "com.acme.s.v1").await;
    let app = Arc::new(app);
    // Live traffic keeps arriving while the subscription is created.
    let producer = tokio::spawn({
        let app = app.clone();
        async move {
            let mut live = Vec::new();
            for round in 0..30 {
                live.extend(post_numbered(&app, &format!("l{round}"), 10, "com.acme.s.v1").await);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            live
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut receiver = TestReceiver::start().await;
    let created = app
        .subscribe(json!({"id": "newcomer", "sink": receiver.url, "from": "earliest"}))
        .await;
    assert!(created["catchUpJob"].is_string());
    let live = producer.await.expect("the producer");
    let expected: HashSet<String> = history.iter().chain(&live).cloned().collect();
    let got = ids_received(&mut receiver, expected.len()).await;
    let unique: HashSet<String> = got.iter().cloned().collect();
    assert_eq!(unique.len(), got.len(), "nothing twice");
    assert_eq!(unique, expected, "nothing missing");
    receiver.expect_nothing(Duration::from_millis(500)).await;
    let job = format!("/jobs/{}", created["catchUpJob"].as_str().expect("an id"));
    job_with_status(&app, &job, "completed").await;
    Arc::into_inner(app).expect("one handle").stop().await;
}
