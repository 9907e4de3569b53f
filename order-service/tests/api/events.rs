use crate::database::Backend;
use crate::helpers::{TestApp, spawn_app_on};
use serde_json::{Value, json};
use shared_events::catalog::values::{AmountCents, Currency, OrderId, PaymentId};
use shared_events::catalog::{CatalogType, PaymentCreatedV1};
use shared_events::producer::{DEFAULT_SCHEMA_BASE, Producer};
use shared_events::trace::Traceparent;
use shared_events::{AttributesReader, Event};
use std::time::Duration;

fn payment_service() -> Producer {
    Producer::new(
        "/payment-service",
        DEFAULT_SCHEMA_BASE.parse().expect("url"),
    )
}

pub fn payment_created(order: &Value) -> Event {
    let data = PaymentCreatedV1 {
        payment_id: PaymentId::new(),
        order_id: order["id"].as_str().expect("id").parse().expect("uuid"),
        amount_cents: AmountCents::try_from(order["total_cents"].as_i64().expect("total"))
            .expect("valid"),
        currency: Currency::try_from(order["currency"].as_str().expect("currency")).expect("valid"),
    };
    payment_service().event(&data, &Traceparent::generate())
}

async fn version_of(app: &TestApp, id: &str) -> u64 {
    app.get_json(&format!("/orders/{id}")).await.1["version"]
        .as_u64()
        .expect("version")
}

async fn a_payment_makes_the_order_paid_and_a_redelivery_changes_nothing(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let order = app.place_order().await;
    let id = order["id"].as_str().expect("id");
    let event = payment_created(&order);
    assert_eq!(app.post_event(&event).await.status(), 202);
    assert_eq!(app.status_of(id).await, "paid");
    let paid = app.sink.next_of("com.example.order.paid.v1").await;
    assert_eq!(
        paid.extension("traceparent")
            .map(|t| t.to_string())
            .map(|t| t[3..35].to_owned()),
        event
            .extension("traceparent")
            .map(|t| t.to_string())
            .map(|t| t[3..35].to_owned()),
        "the reaction continues the incoming trace"
    );
    let version = version_of(&app, id).await;
    assert_eq!(
        app.post_event(&event).await.status(),
        202,
        "a redelivery is acknowledged"
    );
    assert_eq!(version_of(&app, id).await, version, "and changes nothing");
    assert!(app.sink.drain(Duration::from_millis(300)).await.is_empty());
}

async fn a_type_outside_the_catalog_is_a_400_naming_the_supported_types(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let response = app
        .client
        .post(format!("{}/events", app.address))
        .header("ce-specversion", "1.0")
        .header("ce-id", "1")
        .header("ce-source", "/test")
        .header("ce-type", "com.example.order.shipped.v1")
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.expect("json");
    let supported = problem["supported_types"].as_array().expect("list");
    assert!(supported.contains(&json!("com.example.payment.created.v1")));
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains("com.example.order.get.v1")
    );
}

async fn a_catalog_type_the_service_does_not_handle_is_acknowledged(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let data = shared_events::catalog::PaymentMakeV1 {
        order_id: OrderId::new(),
        amount_cents: AmountCents::try_from(1).expect("valid"),
        currency: Currency::try_from("EUR").expect("valid"),
    };
    let event = payment_service().event(&data, &Traceparent::generate());
    assert_eq!(event.ty(), shared_events::catalog::PaymentMakeV1::TYPE);
    assert_eq!(app.post_event(&event).await.status(), 202);
}

async fn a_malformed_cloudevent_or_invalid_data_is_a_400(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let missing_id = app
        .client
        .post(format!("{}/events", app.address))
        .header("ce-specversion", "1.0")
        .header("ce-source", "/test")
        .header("ce-type", "com.example.payment.created.v1")
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("request");
    assert_eq!(missing_id.status(), 400);
    assert_eq!(
        missing_id.headers()["content-type"],
        "application/problem+json"
    );
    let bad_data = app
        .client
        .post(format!("{}/events", app.address))
        .header("content-type", "application/cloudevents+json")
        .body(r#"{"specversion":"1.0","id":"x","source":"/t","type":"com.example.payment.created.v1","datacontenttype":"application/json","data":{"order_id":"nope"}}"#)
        .send()
        .await
        .expect("request");
    assert_eq!(bad_data.status(), 400);
    let problem: Value = bad_data.json().await.expect("json");
    assert_eq!(problem["attribute"], "data");
}

/// The query a Python client would send in binary mode: plain headers, hand-written JSON.
async fn raw_binary_query(app: &TestApp, order_id: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/events", app.address))
        .header("ce-specversion", "1.0")
        .header("ce-id", "q-1")
        .header("ce-source", "/python-client")
        .header("ce-type", "com.example.order.get.v1")
        .header("content-type", "application/json")
        .body(format!(r#"{{"order_id": "{order_id}"}}"#))
        .send()
        .await
        .expect("request")
}

async fn an_order_query_in_binary_mode_is_answered_with_the_state_in_binary_mode(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let order = app.place_order().await;
    let id = order["id"].as_str().expect("id");
    let response = raw_binary_query(&app, id).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["ce-type"], "com.example.order.state.v1");
    assert_eq!(headers["ce-subject"], id);
    assert_eq!(headers["ce-source"], "/order-service");
    assert!(
        headers["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("application/json")
    );
    let state: Value = response.json().await.expect("json");
    assert_eq!(
        state,
        json!({"order_id": id, "status": "pending_payment", "total_cents": 2500, "currency": "EUR", "version": 3})
    );
}

async fn an_order_query_in_structured_mode_is_answered_in_structured_mode(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let order = app.place_order().await;
    let id = order["id"].as_str().expect("id");
    let body = format!(
        r#"{{"specversion": "1.0", "id": "q-2", "source": "/python-client", "type": "com.example.order.get.v1", "datacontenttype": "application/json", "data": {{"order_id": "{id}"}}}}"#
    );
    let response = app
        .client
        .post(format!("{}/events", app.address))
        .header(
            "content-type",
            "application/cloudevents+json; charset=utf-8",
        )
        .body(body)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("application/cloudevents+json")
    );
    let reply: Value = response.json().await.expect("json");
    assert_eq!(reply["type"], "com.example.order.state.v1");
    assert_eq!(reply["specversion"], "1.0");
    assert_eq!(reply["data"]["status"], "pending_payment");
    assert_eq!(reply["data"]["version"], 3);
}

async fn a_query_for_an_unknown_order_is_404_and_a_malformed_query_is_400(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let response = raw_binary_query(&app, &uuid::Uuid::now_v7().to_string()).await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let response = raw_binary_query(&app, "not-a-uuid").await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}

async fn concurrent_payment_events_on_one_order_are_all_recorded_and_decided_on_fresh_state(
    backend: Backend,
) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let order = app.place_order().await;
    let id = order["id"].as_str().expect("id").to_owned();
    let first = payment_created(&order);
    let second = payment_created(&order);
    let (a, b) = tokio::join!(app.post_event(&first), app.post_event(&second));
    assert_eq!(
        (a.status(), b.status()),
        (reqwest::StatusCode::ACCEPTED, reqwest::StatusCode::ACCEPTED)
    );
    let (_, stream) = app.get_json(&format!("/orders/{id}/events")).await;
    let events = stream["events"].as_array().expect("events");
    let count = |ty: &str| events.iter().filter(|e| e["type"] == ty).count();
    assert_eq!(
        count("com.example.payment.created.v1"),
        2,
        "each payment is recorded once"
    );
    assert_eq!(
        count("com.example.order.paid.v1"),
        1,
        "the first payment pays the order"
    );
    assert_eq!(
        count("com.example.payment.refund.v1"),
        1,
        "the second payment is refunded"
    );
    let versions: Vec<u64> = events
        .iter()
        .map(|e| e["version"].as_u64().expect("v"))
        .collect();
    assert_eq!(
        versions,
        (1..=versions.len() as u64).collect::<Vec<_>>(),
        "versions are contiguous"
    );
    assert_eq!(
        app.status_of(&id).await,
        "paid",
        "refunding a stray payment does not cancel the order"
    );
}

crate::on_both_backends!(
    a_payment_makes_the_order_paid_and_a_redelivery_changes_nothing,
    a_type_outside_the_catalog_is_a_400_naming_the_supported_types,
    a_catalog_type_the_service_does_not_handle_is_acknowledged,
    a_malformed_cloudevent_or_invalid_data_is_a_400,
    an_order_query_in_binary_mode_is_answered_with_the_state_in_binary_mode,
    an_order_query_in_structured_mode_is_answered_in_structured_mode,
    a_query_for_an_unknown_order_is_404_and_a_malformed_query_is_400,
    concurrent_payment_events_on_one_order_are_all_recorded_and_decided_on_fresh_state,
);

async fn a_batch_of_events_is_handled_in_order_and_a_batch_with_a_query_is_refused(
    backend: Backend,
) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let order = app.place_order().await;
    let id = order["id"].as_str().expect("id");
    let payment = payment_created(&order);
    let ignored = payment_service().event(
        &shared_events::catalog::PaymentMakeV1 {
            order_id: OrderId::new(),
            amount_cents: AmountCents::try_from(1).expect("valid"),
            currency: Currency::try_from("EUR").expect("valid"),
        },
        &Traceparent::generate(),
    );
    use shared_events::http::reqwest::RequestBuilderExt;
    let response = app
        .client
        .post(format!("{}/events", app.address))
        .cloudevent_batch(&[ignored, payment.clone(), payment])
        .expect("encodes")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 202);
    assert_eq!(app.status_of(id).await, "paid");
    let query = payment_service().event(
        &shared_events::catalog::OrderGetV1 {
            order_id: id.parse().expect("uuid"),
        },
        &Traceparent::generate(),
    );
    let response = app
        .client
        .post(format!("{}/events", app.address))
        .cloudevent_batch(&[query])
        .expect("encodes")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}

crate::on_both_backends!(a_batch_of_events_is_handled_in_order_and_a_batch_with_a_query_is_refused);
