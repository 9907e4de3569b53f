//! Per-key ordering, and event TTL.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use serde_json::json;
use shared_events::{AttributesReader, Event, EventBuilder, EventBuilderV10};

use crate::helpers::{Backend, Behaviour, TestReceiver, on_both_backends, spawn_app_on};

on_both_backends!(
    every_key_keeps_its_order_under_random_failures,
    a_stuck_key_does_not_delay_the_others,
    an_event_past_its_ttl_is_dead_lettered_instead_of_retried,
);

fn keyed(key: &str, seq: usize) -> Event {
    EventBuilderV10::new()
        .id(format!("{key}-{seq}"))
        .source("/tests")
        .ty("com.acme.keyed.v1")
        .extension("partitionkey", key)
        .extension("seq", seq as i64)
        .build()
        .expect("a valid event")
}

async fn every_key_keeps_its_order_under_random_failures(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let mut receiver = TestReceiver::behaving(Behaviour::failing(0.3)).await;
    app.subscribe(json!({
        "id": "ordered", "sink": receiver.url,
        "delivery": {"ordering": "partitionkey", "retry": 1000, "backoffPolicy": "linear",
                     "backoffDelay": "PT0.005S", "backoffMax": "PT0.05S", "maxConcurrency": 16}
    }))
    .await;
    let keys: Vec<String> = (0..50).map(|k| format!("key{k}")).collect();
    // Each round holds the next event of every key, interleaved; a round is sent after the
    // previous one was accepted, which is what ordering needs from a producer.
    for seq in 0..8 {
        let round: Vec<Event> = keys.iter().map(|k| keyed(k, seq)).collect();
        assert_eq!(app.post_batch(&round).await.status(), StatusCode::ACCEPTED);
    }
    let mut per_key: HashMap<String, Vec<i64>> = HashMap::new();
    for _ in 0..(50 * 8) {
        let got = receiver.next().await.event;
        let key = got.extension("partitionkey").expect("a key").to_string();
        let seq: i64 = got
            .extension("seq")
            .expect("a seq")
            .to_string()
            .parse()
            .expect("a number");
        per_key.entry(key).or_default().push(seq);
    }
    for key in &keys {
        assert_eq!(
            per_key[key],
            (0..8).collect::<Vec<i64>>(),
            "the order of {key}"
        );
    }
    receiver.expect_nothing(Duration::from_millis(200)).await;
    app.stop().await;
}

async fn a_stuck_key_does_not_delay_the_others(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let stuck = Behaviour {
        fail: Some(Arc::new(|e: &Event| {
            e.extension("partitionkey")
                .is_some_and(|k| k.to_string() == "stuck")
        })),
        ..Behaviour::default()
    };
    let mut receiver = TestReceiver::behaving(stuck).await;
    app.subscribe(json!({
        "id": "ordered", "sink": receiver.url,
        "delivery": {"ordering": "partitionkey", "retry": 3, "backoffPolicy": "linear",
                     "backoffDelay": "PT0.3S"}
    }))
    .await;
    let mut first = vec![keyed("stuck", 0), keyed("stuck", 1)];
    first.extend((0..20).map(|k| keyed(&format!("free{k}"), 0)));
    assert_eq!(app.post_batch(&first).await.status(), StatusCode::ACCEPTED);
    // Every other key arrives while `stuck` is still being retried…
    let mut free = Vec::new();
    for _ in 0..20 {
        free.push(receiver.next().await.event.id().to_owned());
    }
    assert!(free.iter().all(|id| id.starts_with("free")));
    // …and once its head is dead-lettered, the next event of the key is tried (and fails
    // the same way, behind it).
    let dead = app.wait_for_dead_letter("ordered").await;
    assert_eq!(dead["reason"], "exhausted");
    let dead_letters = crate::helpers::wait_for(|| async {
        let list = app.get_json("/deadletters?subscription=ordered").await;
        let list = list["deadLetters"].as_array().cloned().unwrap_or_default();
        (list.len() == 2).then_some(list)
    })
    .await;
    assert_eq!(dead_letters.len(), 2);
    app.stop().await;
}

async fn an_event_past_its_ttl_is_dead_lettered_instead_of_retried(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let mut receiver = TestReceiver::behaving(Behaviour::failing(1.0)).await;
    app.subscribe(json!({
        "id": "perishable", "sink": receiver.url,
        "delivery": {"retry": 10, "backoffPolicy": "linear", "backoffDelay": "PT0.4S", "ttl": "PT0.5S"}
    }))
    .await;
    app.post_event(&keyed("k", 0)).await;
    let dead = app.wait_for_dead_letter("perishable").await;
    assert_eq!(dead["reason"], "ttl_expired");
    assert!(dead["attempts"].as_u64().expect("attempts") < 4);
    receiver.expect_nothing(Duration::from_millis(100)).await;
    // Pull consumers are held to it too.
    app.subscribe(json!({"id": "pulled", "delivery": {"mode": "pull", "ttl": "PT0.2S"}}))
        .await;
    app.post_event(&keyed("k", 1)).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        crate::pull::receive(&app, "pulled", "max=5")
            .await
            .is_empty()
    );
    let dead = app.wait_for_dead_letter("pulled").await;
    assert_eq!(dead["reason"], "ttl_expired");
    app.stop().await;
}
