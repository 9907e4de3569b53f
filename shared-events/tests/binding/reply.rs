//! Reply events: the axum response types write them, the reqwest helper reads them back.

use serde_json::json;
use shared_events::http::reqwest::{RequestBuilderExt, ResponseExt};
use shared_events::http::{Incoming, Mode};
use shared_events::{AttributesReader, Event, EventBuilder, EventBuilderV10};

use crate::support::TestServer;

const ORDER_ID: &str = "0190b2a4-7c1e-7000-8000-0000000000aa";

fn query() -> Event {
    EventBuilderV10::new()
        .id("0190b2a4-7c1e-7000-8000-000000000001")
        .source("/tests")
        .ty("com.example.order.get.v1")
        .subject("Euro € 😀")
        .extension(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .data("application/json", json!({"order_id": ORDER_ID}))
        .build()
        .expect("an event")
}

#[tokio::test]
async fn a_binary_reply_is_read_by_the_reqwest_helper() {
    let server = TestServer::spawn().await;
    let response = server
        .client
        .post(server.url("/reply/binary"))
        .cloudevent_structured(&query())
        .expect("valid")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["ce-type"],
        "com.example.order.get.v1.reply"
    );
    let reply = response
        .into_cloudevent()
        .await
        .expect("well formed")
        .expect("an event");
    assert_eq!(reply.ty(), "com.example.order.get.v1.reply");
    assert_eq!(reply.subject(), Some("Euro € 😀"));
    assert_eq!(reply.data(), query().data());
}

#[tokio::test]
async fn a_structured_reply_is_read_by_the_reqwest_helper() {
    let server = TestServer::spawn().await;
    let response = server
        .client
        .post(server.url("/reply/structured"))
        .cloudevent(&query())
        .expect("valid")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .is_ok_and(|ct| ct.starts_with("application/cloudevents+json"))
    );
    let reply = response
        .into_cloudevent()
        .await
        .expect("well formed")
        .expect("an event");
    let mut expected = query();
    shared_events::AttributesWriter::set_type(&mut expected, "com.example.order.get.v1.reply");
    assert_eq!(reply, expected);
}

#[tokio::test]
async fn a_reply_comes_back_in_the_mode_of_the_request() {
    let server = TestServer::spawn().await;
    for mode in [Mode::Binary, Mode::Structured] {
        let request = server.client.post(server.url("/reply"));
        let request = match mode {
            Mode::Binary => request.cloudevent(&query()),
            _ => request.cloudevent_structured(&query()),
        };
        let response = request.expect("valid").send().await.expect("sent");
        let incoming = response.into_incoming().await.expect("well formed");
        assert!(
            matches!(incoming, Some(Incoming::Single(_, m)) if m == mode),
            "{mode:?}: {incoming:?}"
        );
    }
}

#[tokio::test]
async fn a_batch_reply_is_read_as_a_batch_and_refused_as_a_single_event() {
    let server = TestServer::spawn().await;
    let send = || async {
        server
            .client
            .post(server.url("/reply/batch"))
            .cloudevent(&query())
            .expect("valid")
            .send()
            .await
            .expect("sent")
    };
    let Some(Incoming::Batch(events)) = send().await.into_incoming().await.expect("well formed")
    else {
        panic!("expected a batch");
    };
    assert_eq!(events.len(), 2);
    assert!(send().await.into_cloudevent().await.is_err());
}

#[tokio::test]
async fn a_response_without_an_event_reads_as_none() {
    let server = TestServer::spawn().await;
    let response = server
        .client
        .get(server.url("/no-event"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.into_cloudevent().await.expect("no error"), None);
    let response = server
        .client
        .post(server.url("/events"))
        .cloudevent(&query())
        .expect("valid")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 202);
    assert_eq!(response.into_cloudevent().await.expect("no error"), None);
}

#[tokio::test]
async fn a_typed_extractor_decodes_catalog_data_and_names_what_is_wrong() {
    let server = TestServer::spawn().await;
    let response = server
        .client
        .post(server.url("/typed"))
        .cloudevent(&query())
        .expect("valid")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let data: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(data, json!({"order_id": ORDER_ID}));

    let mut wrong = query();
    wrong.set_data("application/json", json!({"order": 5}));
    let response = server
        .client
        .post(server.url("/typed"))
        .cloudevent(&wrong)
        .expect("valid")
        .send()
        .await
        .expect("sent");
    let problem = crate::support::expect_problem(response, 400).await;
    assert_eq!(problem["attribute"], "data");
}
