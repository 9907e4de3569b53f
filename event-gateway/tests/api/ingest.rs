//! `POST /events`: modes, dedupe, batches, validation.

use std::time::Duration;

use http::StatusCode;
use serde_json::{Value, json};
use shared_events::{AttributesReader, EventBuilder, EventBuilderV10};

use crate::helpers::{Backend, TestReceiver, event, on_both_backends, spawn_app, spawn_app_on};

on_both_backends!(
    an_event_is_acknowledged_with_202_once_stored_and_a_duplicate_is_not_delivered_again,
    a_batch_is_stored_whole_and_delivered_event_by_event,
);

async fn an_event_is_acknowledged_with_202_once_stored_and_a_duplicate_is_not_delivered_again(
    backend: Backend,
) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let mut receiver = TestReceiver::start().await;
    app.subscribe(json!({"sink": receiver.url})).await;
    let e = event("dup-1", "com.acme.thing.happened.v1");
    let first = app.post_event(&e).await;
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    assert_eq!(
        first.json::<Value>().await.expect("JSON"),
        json!({"accepted": 1, "duplicates": 0})
    );
    let second = app.post_event(&e).await;
    assert_eq!(second.status(), StatusCode::ACCEPTED);
    assert_eq!(
        second.json::<Value>().await.expect("JSON"),
        json!({"accepted": 0, "duplicates": 1})
    );
    assert_eq!(receiver.next().await.event.id(), "dup-1");
    receiver.expect_nothing(Duration::from_millis(500)).await;
    app.stop().await;
}

async fn a_batch_is_stored_whole_and_delivered_event_by_event(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let mut receiver = TestReceiver::start().await;
    app.subscribe(json!({"sink": receiver.url})).await;
    let batch: Vec<_> = (0..5)
        .map(|i| event(&format!("b-{i}"), "com.acme.batch.v1"))
        .collect();
    let response = app.post_batch(&batch).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let mut ids: Vec<String> = Vec::new();
    for _ in 0..5 {
        ids.push(receiver.next().await.event.id().to_owned());
    }
    ids.sort();
    assert_eq!(ids, ["b-0", "b-1", "b-2", "b-3", "b-4"]);
    app.stop().await;
}

#[tokio::test]
async fn a_batch_with_one_bad_event_is_refused_whole_naming_the_event() {
    let app = spawn_app().await;
    let good =
        json!({"specversion": "1.0", "id": "ok-1", "source": "/tests", "type": "com.acme.x.v1"});
    let bad = json!({"specversion": "1.0", "id": "", "source": "/tests", "type": "com.acme.x.v1"});
    let response = app
        .client
        .post(format!("{}/events", app.address))
        .header("content-type", "application/cloudevents-batch+json")
        .body(json!([good, bad]).to_string())
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.expect("JSON");
    assert_eq!(problem["index"], 1, "{problem}");
    assert_eq!(problem["attribute"], "id", "{problem}");
    let again = app
        .post_batch(&[shared_events::format::from_value(good).expect("valid")])
        .await;
    assert_eq!(
        again.json::<Value>().await.expect("JSON")["accepted"],
        1,
        "nothing of the refused batch was stored"
    );
    app.stop().await;
}

#[tokio::test]
async fn catalog_data_that_fails_its_schema_is_refused_with_the_pointer() {
    let app = spawn_app().await;
    let e = EventBuilderV10::new()
        .id("bad-data")
        .source("/order-service")
        .ty("com.example.order.created.v1")
        .data("application/json", json!({"order_id": 5}))
        .build()
        .expect("an event");
    let response = app.post_event(&e).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let problem: Value = response.json().await.expect("JSON");
    assert!(problem.get("pointer").is_some(), "{problem}");
    let other = app
        .post_event(&event("any-type", "com.thirdparty.whatever"))
        .await;
    assert_eq!(
        other.status(),
        StatusCode::ACCEPTED,
        "types outside the catalog are accepted as they are"
    );
    app.stop().await;
}
