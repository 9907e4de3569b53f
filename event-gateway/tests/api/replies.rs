//! Reply events: a subscriber's 2xx answer that carries a CloudEvent is ingested and routed.

use std::time::Duration;

use serde_json::json;
use shared_events::{AttributesReader, EventBuilder, EventBuilderV10};

use crate::helpers::{
    Backend, Behaviour, TestReceiver, event, on_both_backends, spawn_app_on, wait_for,
};

on_both_backends!(
    a_reply_chain_reaches_the_next_subscriber,
    a_self_replying_loop_stops_at_the_hop_limit
);

async fn a_reply_chain_reaches_the_next_subscriber(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let mut a = TestReceiver::behaving(Behaviour::replying(|request| {
        EventBuilderV10::new()
            .id(format!("answer-to-{}", request.id()))
            .source("/service-a")
            .ty("com.acme.answer.v1")
            .data("application/json", json!({"ok": true}))
            .build()
            .ok()
    }))
    .await;
    let mut b = TestReceiver::start().await;
    app.subscribe(json!({"sink": a.url, "filters": [{"exact": {"type": "com.acme.question.v1"}}]}))
        .await;
    app.subscribe(json!({"sink": b.url, "filters": [{"exact": {"type": "com.acme.answer.v1"}}]}))
        .await;
    app.post_event(&event("q-1", "com.acme.question.v1")).await;
    assert_eq!(a.next().await.event.id(), "q-1");
    let answer = b.next().await.event;
    assert_eq!(answer.id(), "answer-to-q-1");
    assert_eq!(answer.source().to_string(), "/service-a");
    assert_eq!(
        answer
            .extension("hoplimit")
            .map(ToString::to_string)
            .as_deref(),
        Some("254")
    );
    let stored = app
        .get_json("/events?source=/service-a&id=answer-to-q-1")
        .await;
    assert_eq!(stored["events"].as_array().expect("a list").len(), 1);
    a.expect_nothing(Duration::from_millis(200)).await;
    app.stop().await;
}

async fn a_self_replying_loop_stops_at_the_hop_limit(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let mut echo = TestReceiver::behaving(Behaviour::replying(|request| {
        EventBuilderV10::new()
            .id(uuid::Uuid::now_v7().to_string())
            .source("/echo")
            .ty(request.ty())
            .build()
            .ok()
    }))
    .await;
    app.subscribe(json!({"sink": echo.url, "filters": [{"exact": {"type": "com.acme.loop.v1"}}]}))
        .await;
    app.post_event(&event("loop-0", "com.acme.loop.v1")).await;
    // The first event has 255 hops; every reply one fewer; the 255th reply is dropped.
    let mut last = None;
    for _ in 0..255 {
        last = Some(echo.next().await.event);
    }
    echo.expect_nothing(Duration::from_millis(500)).await;
    let last = last.expect("an event");
    assert_eq!(
        last.extension("hoplimit")
            .map(ToString::to_string)
            .as_deref(),
        Some("1")
    );
    let found = app
        .get_json(&format!("/events?source=/echo&id={}", last.id()))
        .await;
    let cursor = found["events"][0]["cursor"].as_str().expect("a cursor");
    let detail = wait_for(|| async {
        let detail = app.get_json(&format!("/events/{cursor}")).await;
        (detail["deliveries"][0]["status"] == "delivered").then_some(detail)
    })
    .await;
    let error = detail["deliveries"][0]["history"][0]["error"]
        .as_str()
        .expect("why the reply was dropped");
    assert!(error.contains("hoplimit"), "{error}");
    app.stop().await;
}
