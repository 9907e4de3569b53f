//! What the console does: pause and resume, the subscription form, bulk redelivery with its
//! dry run and progress, and the live stream under `/console`.

use std::time::Duration;

use http::StatusCode;
use serde_json::{Value, json};
use shared_events::AttributesReader;

use super::{html, no_redirects};
use crate::helpers::{Reply, TestReceiver, event, spawn_app, wait_for};

#[tokio::test]
async fn a_paused_subscription_keeps_its_events_until_it_is_resumed() {
    let app = spawn_app().await;
    let mut receiver = TestReceiver::start().await;
    app.subscribe(json!({"id": "held", "sink": receiver.url}))
        .await;
    let paused = app.post_json("/subscriptions/held/pause", &json!({})).await;
    assert_eq!(paused.status(), StatusCode::OK);
    assert_eq!(
        paused.json::<Value>().await.expect("JSON")["status"],
        "paused"
    );
    app.post_event(&event("held-1", "com.acme.held.v1")).await;
    receiver.expect_nothing(Duration::from_millis(500)).await;
    let detail = html(&app, "/console/subscriptions/held").await;
    assert!(detail.contains(r#"<span class="badge warn">paused</span>"#));
    assert!(detail.contains(r#"id="stat-pending">1</dd>"#));
    assert!(detail.contains(r#"id="resume""#));
    let put = app
        .client
        .put(format!("{}/subscriptions/held", app.address))
        .json(&json!({"sink": receiver.url, "delivery": {"retry": 2}}))
        .send()
        .await
        .expect("answers");
    assert_eq!(
        put.json::<Value>().await.expect("JSON")["status"],
        "paused",
        "a PUT keeps the pause"
    );
    receiver.expect_nothing(Duration::from_millis(300)).await;
    let resumed = app
        .post_json("/subscriptions/held/resume", &json!({}))
        .await;
    assert_eq!(
        resumed.json::<Value>().await.expect("JSON")["status"],
        "active"
    );
    assert_eq!(receiver.next().await.event.id(), "held-1");
    let again = app
        .post_json("/subscriptions/held/resume", &json!({}))
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    app.subscribe(json!({"id": "pulled", "delivery": {"mode": "pull"}}))
        .await;
    let pull = app
        .post_json("/subscriptions/pulled/pause", &json!({}))
        .await;
    assert_eq!(pull.status(), StatusCode::CONFLICT);
    let missing = app.post_json("/subscriptions/nope/pause", &json!({})).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn a_subscription_is_created_through_the_form_and_its_errors_are_shown() {
    let app = spawn_app().await;
    let mut receiver = TestReceiver::start().await;
    app.post_event(&event("before-1", "com.acme.formed.v1"))
        .await;
    app.post_event(&event("before-2", "com.acme.other.v1"))
        .await;
    let client = no_redirects();
    let filters = r#"[{"prefix": {"type": "com.acme.formed"}}]"#;
    let preview = client
        .post(format!("{}/console/subscriptions/preview", app.address))
        .header("hx-request", "true")
        .form(&[("filters", filters)])
        .send()
        .await
        .expect("answers");
    let preview = preview.text().await.expect("html");
    assert!(
        preview.contains("Matches <strong>1</strong> of the last 2 events"),
        "{preview}"
    );
    assert!(!preview.contains("<html"), "htmx gets the fragment");
    let broken = client
        .post(format!("{}/console/subscriptions", app.address))
        .form(&[
            ("id", "formed"),
            ("mode", "push"),
            ("sink", receiver.url.as_str()),
            ("filters", r#"[{"exact": 1}]"#),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(broken.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let shown = broken.text().await.expect("html");
    assert!(
        shown.contains("filters[0].exact"),
        "the API's field error is shown"
    );
    assert!(shown.contains(&receiver.url), "what was typed is kept");
    let created = client
        .post(format!("{}/console/subscriptions", app.address))
        .form(&[
            ("id", "formed"),
            ("mode", "push"),
            ("sink", receiver.url.as_str()),
            ("format", "structured"),
            ("filters", filters),
            ("retry", "2"),
            ("backoff_delay", "PT0.1S"),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        created.headers()["location"],
        "/console/subscriptions/formed?done=created"
    );
    let wire = app.get_json("/subscriptions/formed").await;
    assert_eq!(wire["format"], "structured");
    assert_eq!(wire["delivery"]["retry"], 2);
    assert_eq!(
        wire["filters"],
        json!([{"prefix": {"type": "com.acme.formed"}}])
    );
    app.post_event(&event("after-1", "com.acme.formed.v1"))
        .await;
    assert_eq!(receiver.next().await.event.id(), "after-1");
    let edited = client
        .post(format!("{}/console/subscriptions/formed", app.address))
        .form(&[
            ("mode", "push"),
            ("sink", receiver.url.as_str()),
            ("filters", "[]"),
            ("secret", "generate"),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(
        edited.status(),
        StatusCode::OK,
        "a new secret is shown once"
    );
    let shown = edited.text().await.expect("html");
    assert!(shown.contains("whsec_"));
    assert_eq!(
        app.get_json("/subscriptions/formed").await["filters"],
        json!([])
    );
    app.stop().await;
}

#[tokio::test]
async fn dead_letters_are_redelivered_in_bulk_after_a_dry_run_count() {
    let app = spawn_app().await;
    let mut receiver = TestReceiver::scripted(vec![Reply::Status(400); 3]).await;
    app.subscribe(json!({"id": "bulk", "sink": receiver.url}))
        .await;
    for i in 0..3 {
        app.post_event(&event(&format!("b-{i}"), "com.acme.bulk.v1"))
            .await;
        receiver.next().await;
    }
    let ids: Vec<String> = wait_for(|| async {
        let dead = app.get_json("/deadletters?subscription=bulk").await;
        let ids: Vec<String> = dead["deadLetters"]
            .as_array()?
            .iter()
            .filter_map(|d| d["id"].as_str().map(str::to_owned))
            .collect();
        (ids.len() == 3).then_some(ids)
    })
    .await;
    let list = html(&app, "/console/deadletters?subscription=bulk").await;
    assert_eq!(list.matches(r#"name="id" value="#).count(), 3);
    assert!(list.contains("Redeliver all 3 of bulk"));
    let client = no_redirects();
    let chosen = [
        ("step", "confirm"),
        ("id", ids[0].as_str()),
        ("id", ids[2].as_str()),
    ];
    let confirm = client
        .post(format!("{}/console/deadletters/redeliver", app.address))
        .form(&chosen)
        .send()
        .await
        .expect("answers");
    assert_eq!(confirm.status(), StatusCode::OK);
    let confirm = confirm.text().await.expect("html");
    assert!(
        confirm.contains(r#"<strong id="dry-run-count">2</strong>"#),
        "{confirm}"
    );
    assert_eq!(
        app.get_json("/deadletters?subscription=bulk").await["deadLetters"]
            .as_array()
            .map(Vec::len),
        Some(3),
        "a dry run changes nothing"
    );
    let run = [
        ("step", "run"),
        ("id", ids[0].as_str()),
        ("id", ids[2].as_str()),
    ];
    let started = client
        .post(format!("{}/console/deadletters/redeliver", app.address))
        .form(&run)
        .send()
        .await
        .expect("answers");
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    let progress = started.headers()["location"]
        .to_str()
        .expect("text")
        .to_owned();
    assert!(progress.starts_with("/console/deadletters/progress?item="));
    let got: Vec<String> = vec![receiver.next().await, receiver.next().await]
        .into_iter()
        .map(|r| r.event.id().to_owned())
        .collect();
    assert!(
        got.contains(&"b-0".to_owned()) && got.contains(&"b-2".to_owned()),
        "{got:?}"
    );
    let done = wait_for(|| async {
        let body = html(&app, &progress).await;
        body.contains(r#"data-done="true""#).then_some(body)
    })
    .await;
    assert!(done.contains("2 delivered, 0 dead-lettered again, 0 in progress (of 2)"));
    let left = app.get_json("/deadletters?subscription=bulk").await;
    assert_eq!(left["deadLetters"][0]["eventId"], "b-1");
    let one = client
        .post(format!(
            "{}/console/deadletters/{}/redeliver",
            app.address, ids[1]
        ))
        .header("hx-request", "true")
        .form(&[("next", "/console")])
        .send()
        .await
        .expect("answers");
    assert_eq!(one.status(), StatusCode::OK);
    assert!(
        one.text()
            .await
            .expect("html")
            .starts_with("<tr class=\"redelivered\">")
    );
    assert_eq!(receiver.next().await.event.id(), "b-1");
    app.stop().await;
}

#[tokio::test]
async fn the_live_stream_is_served_under_the_console_and_does_not_hold_up_a_stop() {
    use futures::StreamExt as _;
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!(
            "{}/console/stream?from=earliest&include=deliveries",
            app.address
        ))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .is_ok_and(|v| v.starts_with("text/event-stream"))
    );
    app.post_event(&event("live-1", "com.acme.live.v1")).await;
    let mut body = response.bytes_stream();
    let text = tokio::time::timeout(Duration::from_secs(10), async {
        let mut text = String::new();
        while let Some(chunk) = body.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk.expect("a chunk")));
            if text.contains("live-1") {
                return text;
            }
        }
        text
    })
    .await
    .expect("the event within 10 s");
    assert!(text.contains("event: cloudevent"), "{text}");
    // A console tab left open does not keep the gateway from stopping (past the drain).
    tokio::time::timeout(Duration::from_secs(10), app.stop())
        .await
        .expect("the gateway stops with a live stream open");
    drop(body);
}
