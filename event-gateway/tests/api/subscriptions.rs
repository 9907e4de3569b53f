//! `/subscriptions`: CRUD, validation, the static file.

use http::StatusCode;
use serde_json::{Value, json};
use shared_events::AttributesReader;

use crate::helpers::{
    Backend, TestReceiver, event, on_both_backends, spawn_app, spawn_app_on, spawn_app_with,
};

on_both_backends!(a_subscription_can_be_created_read_replaced_listed_and_deleted,);

async fn a_subscription_can_be_created_read_replaced_listed_and_deleted(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let created = app
        .subscribe(
            json!({"id": "crud", "sink": "http://127.0.0.1:1/hook", "delivery": {"retry": 2}}),
        )
        .await;
    assert_eq!(created["delivery"]["retry"], 2);
    assert_eq!(
        created["delivery"]["backoffPolicy"], "exponential",
        "defaults are spelled out"
    );
    assert_eq!(app.get_json("/subscriptions/crud").await, created);
    let conflict = app
        .post_json(
            "/subscriptions",
            &json!({"id": "crud", "sink": "http://127.0.0.1:1/"}),
        )
        .await;
    assert_eq!(conflict.status(), StatusCode::CONFLICT);
    let put = app
        .client
        .put(format!("{}/subscriptions/crud", app.address))
        .json(&json!({"sink": "http://127.0.0.1:2/hook", "format": "structured"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(put.status(), StatusCode::OK);
    assert_eq!(
        app.get_json("/subscriptions/crud").await["format"],
        "structured"
    );
    assert_eq!(
        app.get_json("/subscriptions").await["subscriptions"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let delete = app
        .client
        .delete(format!("{}/subscriptions/crud", app.address))
        .send()
        .await
        .expect("answers");
    assert_eq!(delete.status(), StatusCode::NO_CONTENT);
    let gone = app
        .client
        .get(format!("{}/subscriptions/crud", app.address))
        .send()
        .await
        .expect("answers");
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert_eq!(gone.headers()["content-type"], "application/problem+json");
    app.stop().await;
}

#[tokio::test]
async fn invalid_subscription_bodies_are_refused_naming_each_field() {
    let app = spawn_app().await;
    let sink = "http://127.0.0.1:1/";
    let cases = [
        (json!({}), "sink"),
        (json!({"sink": "not a url"}), "sink"),
        (json!({"sink": "http://10.1.2.3/"}), "sink"),
        (json!({"sink": sink, "format": "xml"}), "format"),
        (
            json!({"sink": sink, "filters": [{"exact": {"type": 5}}]}),
            "filters[0].exact.type",
        ),
        (
            json!({"sink": sink, "filters": [{"regex": {}}]}),
            "filters[0]",
        ),
        (
            json!({"sink": sink, "delivery": {"retry": "many"}}),
            "delivery.retry",
        ),
        (
            json!({"sink": sink, "delivery": {"backoffPolicy": "fibonacci"}}),
            "delivery.backoffPolicy",
        ),
        (
            json!({"sink": sink, "delivery": {"backoffDelay": "5 seconds"}}),
            "delivery.backoffDelay",
        ),
        (
            json!({"sink": sink, "delivery": {"backoffMax": "P1M"}}),
            "delivery.backoffMax",
        ),
        (
            json!({"sink": sink, "delivery": {"timeout": "PT0S"}}),
            "delivery.timeout",
        ),
        (
            json!({"sink": sink, "delivery": {"retryAfterMax": 5}}),
            "delivery.retryAfterMax",
        ),
        (
            json!({"sink": sink, "delivery": {"deadLetterSink": "nope"}}),
            "delivery.deadLetterSink",
        ),
    ];
    for (body, field) in cases {
        let response = app.post_json("/subscriptions", &body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let problem: Value = response.json().await.expect("JSON");
        assert_eq!(problem["field"], field, "{body} → {problem}");
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|d| d.contains(field)),
            "{problem}"
        );
    }
    let bad_sql = app
        .post_json(
            "/subscriptions",
            &json!({"sink": sink, "filters": [{"sql": "type = "}]}),
        )
        .await;
    assert_eq!(bad_sql.status(), StatusCode::BAD_REQUEST);
    let problem: Value = bad_sql.json().await.expect("JSON");
    assert_eq!(problem["field"], "filters[0].sql");
    assert!(problem["position"].is_number(), "{problem}");
    let not_json = app
        .client
        .post(format!("{}/subscriptions", app.address))
        .body("{")
        .send()
        .await
        .expect("answers");
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);
    assert!(
        app.get_json("/subscriptions").await["subscriptions"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );
    app.stop().await;
}

#[tokio::test]
async fn static_subscriptions_from_a_file_are_upserted_at_start_and_deliver() {
    let mut receiver = TestReceiver::start().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let file = dir.path().join("subscriptions.yaml");
    let yaml = format!(
        "subscriptions:\n  - id: from-file\n    sink: {}\n    filters:\n      - prefix: {{type: com.acme.static.}}\n",
        receiver.url
    );
    std::fs::write(&file, yaml).expect("written");
    let app = spawn_app_with(|s| s.subscriptions = Some(file.clone())).await;
    let sub: Value = app.get_json("/subscriptions/from-file").await;
    assert_eq!(
        sub["filters"],
        json!([{"prefix": {"type": "com.acme.static."}}])
    );
    app.post_event(&event("s-1", "com.acme.other")).await;
    app.post_event(&event("s-2", "com.acme.static.v1")).await;
    assert_eq!(receiver.next().await.event.id(), "s-2");
    app.stop().await;
}
