use crate::database::Backend;
use crate::helpers::{eventually, spawn_app_on, types};

use shared_events::AttributesReader;
use std::time::Duration;

async fn after_a_crash_between_append_and_send_the_relay_publishes_in_stream_order(
    backend: Backend,
) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    app.sink.answer(503);
    let first = app.place_order().await;
    let id = first["id"].as_str().expect("id").to_owned();
    let cancelled = app.cancel(&id).await;
    assert_eq!(cancelled.status(), 200);
    let second = app.place_order().await;
    // Stopped with everything appended and nothing delivered.
    let app = app.restart().await;
    app.sink.answer(202);
    let sent = app.sink.take(7).await;
    let of = |order: &str| -> Vec<String> {
        sent.iter()
            .filter(|e| e.subject() == Some(order))
            .map(|e| e.ty().to_owned())
            .collect()
    };
    assert_eq!(
        of(&id),
        [
            "com.example.order.created.v1",
            "com.example.order.created.v2",
            "com.example.payment.make.v1",
            "com.example.order.cancelled.v1"
        ]
    );
    assert_eq!(of(second["id"].as_str().expect("id")).len(), 3);
    let (_, stream) = app.get_json(&format!("/orders/{id}/events")).await;
    let stream_ids: Vec<&str> = stream["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["id"].as_str().expect("id"))
        .collect();
    let sent_ids: Vec<&str> = sent
        .iter()
        .filter(|e| e.subject() == Some(id.as_str()))
        .map(|e| e.id())
        .collect();
    assert_eq!(
        sent_ids, stream_ids,
        "each published event has the id it is stored under"
    );
}

async fn a_sink_that_is_down_for_a_while_delays_events_and_loses_none(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    app.sink.answer(500);
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(
            app.place_order().await["id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await; // let a few attempts fail
    let depth = metric(&app.client, &app.address, "order_outbox_depth").await;
    assert_eq!(depth, Some(15.0), "everything waits in the outbox");
    app.sink.answer(202);
    let sent = app.sink.take(15).await;
    for id in &ids {
        let of: Vec<String> = types(
            &sent
                .iter()
                .filter(|e| e.subject() == Some(id.as_str()))
                .cloned()
                .collect::<Vec<_>>(),
        );
        assert_eq!(of.len(), 3, "{id}: {of:?}");
        assert_eq!(
            of[2], "com.example.payment.make.v1",
            "per-order order holds"
        );
    }
    eventually("the outbox to empty", Duration::from_secs(5), || async {
        (metric(&app.client, &app.address, "order_outbox_depth").await == Some(0.0)).then_some(())
    })
    .await;
}

async fn metric(client: &reqwest::Client, address: &str, name: &str) -> Option<f64> {
    let text = client
        .get(format!("{address}/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find(|line| line.starts_with(name) && line[name.len()..].starts_with(' '))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

crate::on_both_backends!(
    after_a_crash_between_append_and_send_the_relay_publishes_in_stream_order,
    a_sink_that_is_down_for_a_while_delays_events_and_loses_none,
);
