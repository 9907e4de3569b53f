//! Dead letters: non-retryable answers, exhaustion, the dead-letter sink, redelivery.

use std::time::Duration;

use http::StatusCode;
use serde_json::{Value, json};
use shared_events::AttributesReader;

use crate::helpers::{
    Backend, Reply, TestReceiver, event, on_both_backends, spawn_app, spawn_app_on, wait_for,
};

on_both_backends!(
    a_400_answer_is_dead_lettered_at_once_with_the_event_and_its_attempt,
    a_dead_letter_is_redelivered_to_a_recovered_subscriber_with_its_original_id,
    bulk_redelivery_and_deletion_work_per_subscription,
);

async fn a_400_answer_is_dead_lettered_at_once_with_the_event_and_its_attempt(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let mut receiver = TestReceiver::scripted(vec![Reply::Status(400)]).await;
    app.subscribe(json!({"id": "rejects", "sink": receiver.url, "delivery": {"retry": 5, "backoffDelay": "PT0.01S"}})).await;
    let sent = event("dl-1", "com.acme.dead.v1");
    app.post_event(&sent).await;
    receiver.next().await;
    let summary = app.wait_for_dead_letter("rejects").await;
    assert_eq!(summary["reason"], "non_retryable");
    assert_eq!(summary["lastStatus"], 400);
    assert_eq!(summary["attempts"], 1);
    receiver.expect_nothing(Duration::from_millis(300)).await;
    let id = summary["id"].as_str().expect("an id");
    let detail = app.get_json(&format!("/deadletters/{id}")).await;
    assert_eq!(
        shared_events::format::from_value(detail["event"].clone()).expect("an event"),
        sent
    );
    let history = detail["history"].as_array().expect("a history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["status"], 400);
    assert_eq!(history[0]["response"], "scripted failure");
    assert!(history[0]["time"].is_string() && history[0]["latencyMs"].is_number());
    let by_type = app.get_json("/deadletters?type=com.acme.other").await;
    assert_eq!(by_type["deadLetters"], json!([]));
    app.stop().await;
}

async fn a_dead_letter_is_redelivered_to_a_recovered_subscriber_with_its_original_id(
    backend: Backend,
) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let mut receiver = TestReceiver::scripted(vec![Reply::Status(500), Reply::Status(500)]).await;
    app.subscribe(json!({"id": "recovers", "sink": receiver.url, "delivery": {"retry": 1, "backoffDelay": "PT0.01S"}})).await;
    let sent = event("redeliver-1", "com.acme.redeliver.v1");
    app.post_event(&sent).await;
    receiver.next().await;
    receiver.next().await;
    let summary = app.wait_for_dead_letter("recovers").await;
    assert_eq!(summary["reason"], "exhausted");
    let id = summary["id"].as_str().expect("an id").to_owned();
    let response = app
        .client
        .post(format!("{}/deadletters/{id}/redeliver", app.address))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let got = receiver.next().await;
    assert_eq!(got.event, sent, "the same id and attributes");
    assert_eq!(got.event.id(), "redeliver-1");
    let missing = app
        .client
        .get(format!("{}/deadletters/{id}", app.address))
        .send()
        .await
        .expect("answers");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

async fn bulk_redelivery_and_deletion_work_per_subscription(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let mut receiver = TestReceiver::scripted(vec![Reply::Status(422); 3]).await;
    app.subscribe(json!({"id": "bulk", "sink": receiver.url}))
        .await;
    for i in 0..3 {
        app.post_event(&event(&format!("bulk-{i}"), "com.acme.bulk.v1"))
            .await;
    }
    for _ in 0..3 {
        receiver.next().await;
    }
    let listed = wait_for(|| async {
        let list = app.get_json("/deadletters?subscription=bulk&limit=2").await;
        (list["deadLetters"].as_array().map(Vec::len) == Some(2)).then_some(list)
    })
    .await;
    let next = listed["next"].as_str().expect("a next page");
    let rest = wait_for(|| async {
        let page = app
            .get_json(&format!("/deadletters?subscription=bulk&after={next}"))
            .await;
        (page["deadLetters"].as_array().map(Vec::len) == Some(1)).then_some(page)
    })
    .await;
    let last = rest["deadLetters"][0]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    // Dead letters are listed in the order they were dead-lettered, which concurrent
    // deliveries do not tie to the events' order: the ones left are all but the deleted one.
    let deleted_event = rest["deadLetters"][0]["eventId"]
        .as_str()
        .expect("an event id")
        .to_owned();
    let mut expected: Vec<String> = ["bulk-0", "bulk-1", "bulk-2"]
        .into_iter()
        .filter(|id| *id != deleted_event)
        .map(str::to_owned)
        .collect();
    expected.sort();
    let deleted = app
        .client
        .delete(format!("{}/deadletters/{last}", app.address))
        .send()
        .await
        .expect("answers");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let response = app
        .client
        .post(format!(
            "{}/deadletters/redeliver?subscription=bulk",
            app.address
        ))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert_eq!(
        response.json::<Value>().await.expect("JSON")["redelivered"],
        2
    );
    let mut ids = vec![
        receiver.next().await.event.id().to_owned(),
        receiver.next().await.event.id().to_owned(),
    ];
    ids.sort();
    assert_eq!(ids, expected);
    let detail_history = wait_for(|| async {
        let list = app.get_json("/deadletters?subscription=bulk").await;
        list["deadLetters"]
            .as_array()
            .is_some_and(Vec::is_empty)
            .then_some(())
    })
    .await;
    let () = detail_history;
    app.stop().await;
}

#[tokio::test]
async fn the_dead_letter_sink_gets_the_event_with_knative_error_extensions() {
    let app = spawn_app().await;
    let receiver = TestReceiver::scripted(vec![Reply::Status(410)]).await;
    let mut dls = TestReceiver::start().await;
    app.subscribe(json!({"sink": receiver.url, "delivery": {"deadLetterSink": dls.url}}))
        .await;
    app.post_event(&event("to-dls", "com.acme.dls.v1")).await;
    let got = dls.next().await.event;
    assert_eq!(got.id(), "to-dls");
    let ext = |name: &str| got.extension(name).map(ToString::to_string);
    assert_eq!(ext("knativeerrordest"), Some(receiver.url.clone()));
    assert_eq!(ext("knativeerrorcode"), Some("410".to_owned()));
    assert!(ext("knativeerrordata").is_some());
    app.stop().await;
}
