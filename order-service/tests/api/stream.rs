use crate::database::Backend;
use crate::events::payment_created;
use crate::helpers::spawn_app_on;
use serde_json::Value;
use shared_events::AttributesReader;
use std::time::Duration;

async fn the_stream_lists_every_event_with_versions_from_one(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let order = app.place_order().await;
    let id = order["id"].as_str().expect("id");
    let payment = payment_created(&order);
    app.post_event(&payment).await;
    let (status, stream) = app.get_json(&format!("/orders/{id}/events")).await;
    assert_eq!(status, 200);
    let events = stream["events"].as_array().expect("events");
    let summary: Vec<(u64, &str)> = events
        .iter()
        .map(|e| {
            (
                e["version"].as_u64().expect("v"),
                e["type"].as_str().expect("type"),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, "com.example.order.created.v1"),
            (2, "com.example.order.created.v2"),
            (3, "com.example.payment.make.v1"),
            (4, "com.example.payment.created.v1"),
            (5, "com.example.order.paid.v1"),
        ]
    );
    assert_eq!(
        events[3]["id"],
        payment.id(),
        "a received event keeps its id"
    );
    assert_eq!(events[0]["data"]["total_cents"], 2500);
    assert!(
        events
            .iter()
            .all(|e| e["time"].is_string() && e["id"].is_string())
    );
    let (status, _) = app
        .get_json(&format!("/orders/{}/events", uuid::Uuid::now_v7()))
        .await;
    assert_eq!(status, 404);
}

async fn an_order_can_be_read_as_it_was_after_any_event(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let order = app.place_order().await;
    let id = order["id"].as_str().expect("id");
    app.post_event(&payment_created(&order)).await;
    let at = |version: u64| {
        let app = &app;
        async move {
            app.get_json(&format!("/orders/{id}?version={version}"))
                .await
        }
    };
    let (status, v3) = at(3).await;
    assert_eq!(status, 200);
    assert_eq!(
        (v3["status"].as_str(), v3["version"].as_u64()),
        (Some("pending_payment"), Some(3))
    );
    assert_eq!(v3["history"].as_array().expect("history").len(), 3);
    let (_, v5) = at(5).await;
    assert_eq!(v5["status"], "paid");
    let (status, _) = at(6).await;
    assert_eq!(status, 404, "there is no version 6");
    let (status, _) = at(0).await;
    assert_eq!(status, 400);
    let (status, _) = app.get_json(&format!("/orders/{id}?version=x")).await;
    assert_eq!(status, 400);
}

async fn ten_concurrent_cancels_of_a_paid_order_send_exactly_one_refund(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let order = app.place_order().await;
    let id = order["id"].as_str().expect("id").to_owned();
    app.post_event(&payment_created(&order)).await;
    assert_eq!(app.status_of(&id).await, "paid");
    let cancels = (0..10).map(|_| app.cancel(&id));
    let statuses: Vec<u16> = futures_statuses(cancels).await;
    assert!(
        statuses.iter().all(|s| [202, 409].contains(s)),
        "{statuses:?}"
    );
    assert!(statuses.contains(&202));
    let sent = app.sink.drain(Duration::from_millis(500)).await;
    let refunds = sent
        .iter()
        .filter(|e| e.ty() == "com.example.payment.refund.v1")
        .count();
    assert_eq!(refunds, 1);
    let (_, stream) = app.get_json(&format!("/orders/{id}/events")).await;
    let in_stream = stream["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["type"] == "com.example.payment.refund.v1")
        .count();
    assert_eq!(in_stream, 1);
    assert_eq!(app.status_of(&id).await, "cancelling");
}

async fn futures_statuses<F>(requests: impl Iterator<Item = F>) -> Vec<u16>
where
    F: std::future::Future<Output = reqwest::Response>,
{
    let mut statuses = Vec::new();
    for response in futures::future::join_all(requests).await {
        let status = response.status().as_u16();
        if status != 202 {
            let body: Value = response.json().await.unwrap_or(Value::Null);
            assert_eq!(status, 409, "unexpected {status}: {body}");
        }
        statuses.push(status);
    }
    statuses
}

crate::on_both_backends!(
    the_stream_lists_every_event_with_versions_from_one,
    an_order_can_be_read_as_it_was_after_any_event,
    ten_concurrent_cancels_of_a_paid_order_send_exactly_one_refund,
);
