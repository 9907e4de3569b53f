//! Fan-out, formats, retries, Retry-After, timeouts.

use std::time::Duration;

use serde_json::json;
use shared_events::AttributesReader;

use crate::helpers::{
    Backend, Reply, TestReceiver, event, on_both_backends, spawn_app, spawn_app_on, wait_for,
};

on_both_backends!(
    events_fan_out_to_every_subscriber_whose_filters_match,
    a_hanging_subscriber_does_not_delay_another,
    subscriptions_with_different_sql_filters_each_get_exactly_their_events,
);

async fn events_fan_out_to_every_subscriber_whose_filters_match(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let mut orders = TestReceiver::start().await;
    let mut everything = TestReceiver::start().await;
    let mut not_orders = TestReceiver::start().await;
    app.subscribe(
        json!({"sink": orders.url, "filters": [{"prefix": {"type": "com.acme.order."}}]}),
    )
    .await;
    app.subscribe(json!({"sink": everything.url})).await;
    app.subscribe(json!({"sink": not_orders.url, "filters": [{"not": {"prefix": {"type": "com.acme.order."}}}, {"exact": {"subject": "subject-1"}}]})).await;
    app.post_event(&event("o-1", "com.acme.order.created.v1"))
        .await;
    app.post_event(&event("p-1", "com.acme.payment.made.v1"))
        .await;
    assert_eq!(orders.next().await.event.id(), "o-1");
    let mut all = vec![
        everything.next().await.event.id().to_owned(),
        everything.next().await.event.id().to_owned(),
    ];
    all.sort();
    assert_eq!(all, ["o-1", "p-1"]);
    assert_eq!(not_orders.next().await.event.id(), "p-1");
    orders.expect_nothing(Duration::from_millis(300)).await;
    not_orders.expect_nothing(Duration::from_millis(100)).await;
    app.stop().await;
}

#[tokio::test]
async fn binary_and_structured_subscribers_get_the_same_event_in_their_format() {
    let app = spawn_app().await;
    let mut binary = TestReceiver::start().await;
    let mut structured = TestReceiver::start().await;
    app.subscribe(json!({"sink": binary.url})).await;
    app.subscribe(json!({"sink": structured.url, "format": "structured"}))
        .await;
    let sent = event("fmt-1", "com.acme.format.v1");
    app.post_event(&sent).await;
    let b = binary.next().await;
    let s = structured.next().await;
    assert_eq!(b.headers["ce-id"], "fmt-1");
    assert_eq!(b.headers["content-type"], "application/json");
    assert!(
        s.headers["content-type"]
            .to_str()
            .expect("text")
            .starts_with("application/cloudevents+json")
    );
    assert_eq!(b.event, sent);
    assert_eq!(s.event, sent);
    app.stop().await;
}

#[tokio::test]
async fn a_subscriber_answering_503_twice_gets_the_event_on_the_third_attempt() {
    let app = spawn_app().await;
    let mut receiver = TestReceiver::scripted(vec![Reply::Status(503), Reply::Status(503)]).await;
    let sub = app.subscribe(json!({"id": "flaky-503", "sink": receiver.url, "delivery": {"retry": 3, "backoffDelay": "PT0.05S"}})).await;
    app.post_event(&event("retry-1", "com.acme.retry.v1")).await;
    for _ in 0..3 {
        assert_eq!(receiver.next().await.event.id(), "retry-1");
    }
    receiver.expect_nothing(Duration::from_millis(300)).await;
    let id = sub["id"].as_str().expect("an id").to_owned();
    wait_for(|| async {
        let text = app.metrics().await;
        (text.contains(&format!(
            "gateway_deliveries_retried_total{{subscription=\"{id}\"}} 2"
        )) && text.contains(&format!(
            "gateway_deliveries_delivered_total{{subscription=\"{id}\"}} 1"
        )))
        .then_some(())
    })
    .await;
    app.stop().await;
}

#[tokio::test]
async fn a_429_with_retry_after_delays_the_next_attempt_by_at_least_that_long() {
    let app = spawn_app().await;
    let mut receiver = TestReceiver::scripted(vec![Reply::RetryAfter(429, "2")]).await;
    app.subscribe(json!({"sink": receiver.url, "delivery": {"backoffDelay": "PT0.01S", "retryAfterMax": "PT10S"}})).await;
    app.post_event(&event("ra-1", "com.acme.retryafter.v1"))
        .await;
    let first = receiver.next().await;
    let second = receiver.next().await;
    assert_eq!(second.event.id(), "ra-1");
    let waited = second.at - first.at;
    assert!(
        waited >= Duration::from_secs(2),
        "the retry came after {waited:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn retry_after_is_capped_by_retry_after_max() {
    let app = spawn_app().await;
    let mut receiver = TestReceiver::scripted(vec![Reply::RetryAfter(503, "3600")]).await;
    app.subscribe(json!({"sink": receiver.url, "delivery": {"backoffDelay": "PT0.01S", "retryAfterMax": "PT0.2S"}})).await;
    app.post_event(&event("ra-cap", "com.acme.retryafter.v1"))
        .await;
    receiver.next().await;
    assert_eq!(
        receiver.next().await.event.id(),
        "ra-cap",
        "an hour's Retry-After was capped"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_subscriber_that_does_not_answer_in_time_is_retried() {
    let app = spawn_app().await;
    let mut receiver = TestReceiver::scripted(vec![Reply::Hang(Duration::from_secs(5))]).await;
    app.subscribe(
        json!({"sink": receiver.url, "delivery": {"timeout": "PT0.3S", "backoffDelay": "PT0.05S"}}),
    )
    .await;
    app.post_event(&event("slow-1", "com.acme.slow.v1")).await;
    assert_eq!(receiver.next().await.event.id(), "slow-1");
    assert_eq!(
        receiver.next().await.event.id(),
        "slow-1",
        "retried after the timeout"
    );
    app.stop().await;
}

async fn a_hanging_subscriber_does_not_delay_another(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let mut stuck = TestReceiver::scripted(vec![Reply::Hang(Duration::from_secs(30)); 8]).await;
    let mut healthy = TestReceiver::start().await;
    app.subscribe(
        json!({"sink": stuck.url, "delivery": {"timeout": "PT30S", "maxConcurrency": 2}}),
    )
    .await;
    app.subscribe(json!({"sink": healthy.url})).await;
    for i in 0..20 {
        app.post_event(&event(&format!("ind-{i}"), "com.acme.independent.v1"))
            .await;
    }
    for _ in 0..20 {
        healthy.next().await;
    }
    stuck.next().await;
    app.stop().await;
}

async fn subscriptions_with_different_sql_filters_each_get_exactly_their_events(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let mut orders = TestReceiver::start().await;
    let mut gold = TestReceiver::start().await;
    app.subscribe(
        json!({"sink": orders.url, "filters": [{"sql": "type LIKE 'com.acme.order.%'"}]}),
    )
    .await;
    app.subscribe(json!({"sink": gold.url, "filters": [{"sql": "EXISTS tier AND tier = 'gold'"}]}))
        .await;
    let mut gold_payment = event("sql-2", "com.acme.payment.made.v1");
    gold_payment.set_extension("tier", "gold");
    app.post_event(&event("sql-1", "com.acme.order.created.v1"))
        .await;
    app.post_event(&gold_payment).await;
    app.post_event(&event("sql-3", "com.acme.payment.made.v1"))
        .await;
    assert_eq!(orders.next().await.event.id(), "sql-1");
    assert_eq!(gold.next().await.event.id(), "sql-2");
    orders.expect_nothing(Duration::from_millis(300)).await;
    gold.expect_nothing(Duration::from_millis(100)).await;
    app.stop().await;
}
