use crate::database::Backend;
use crate::helpers::{TestApp, spawn_app_on};
use serde_json::Value;
use shared_events::catalog::values::{AmountCents, Currency, OrderId, PaymentId, Reason};
use shared_events::catalog::{PaymentCreatedV1, PaymentMakeV1, PaymentRefundV1};
use shared_events::producer::{DEFAULT_SCHEMA_BASE, Producer};
use shared_events::trace::Traceparent;
use shared_events::{AttributesReader, Event, catalog};
use std::time::Duration;

pub fn order_service() -> Producer {
    Producer::new("/order-service", DEFAULT_SCHEMA_BASE.parse().expect("url"))
}

pub fn make(order_id: OrderId, amount: i64) -> Event {
    let data = PaymentMakeV1 {
        order_id,
        amount_cents: AmountCents::try_from(amount).expect("valid"),
        currency: Currency::try_from("EUR").expect("valid"),
    };
    order_service().event(&data, &Traceparent::generate())
}

pub async fn charge(app: &TestApp, amount: i64) -> (OrderId, PaymentCreatedV1) {
    let order_id = OrderId::new();
    assert_eq!(app.post_event(&make(order_id, amount)).await.status(), 202);
    let created = app.sink.next_of("com.example.payment.created.v1").await;
    (
        order_id,
        catalog::decode::<PaymentCreatedV1>(&created).expect("valid"),
    )
}

async fn a_payment_command_charges_and_announces_the_payment(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let command = make(OrderId::new(), 2500);
    app.post_event(&command).await;
    let created = app.sink.next_of("com.example.payment.created.v1").await;
    assert_eq!(created.source().as_str(), "/payment-service");
    let trace = |e: &Event| {
        e.extension("traceparent")
            .map(|t| t.to_string()[3..35].to_owned())
    };
    assert_eq!(
        trace(&created),
        trace(&command),
        "the saga's trace continues"
    );
    let data = catalog::decode::<PaymentCreatedV1>(&created).expect("valid");
    assert_eq!(data.amount_cents.get(), 2500);
    let (status, payment) = app
        .get_json(&format!("/payments/{}", data.payment_id))
        .await;
    assert_eq!(status, 200);
    assert_eq!(payment["status"], "charged");
    assert_eq!(payment["order_id"], data.order_id.to_string());
    let (status, list) = app
        .get_json(&format!("/payments?order_id={}", data.order_id))
        .await;
    assert_eq!(status, 200);
    assert_eq!(list["payments"].as_array().expect("list").len(), 1);
}

async fn an_amount_over_the_limit_is_declined(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let order_id = OrderId::new();
    app.post_event(&make(order_id, 100_001)).await;
    let declined = app.sink.next_of("com.example.payment.declined.v1").await;
    assert_eq!(declined.subject(), Some(order_id.to_string().as_str()));
    let (_, list) = app
        .get_json(&format!("/payments?order_id={order_id}"))
        .await;
    assert_eq!(list["payments"], serde_json::json!([]));
}

async fn a_redelivered_or_repeated_payment_command_charges_once(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let order_id = OrderId::new();
    let command = make(order_id, 100);
    assert_eq!(app.post_event(&command).await.status(), 202);
    assert_eq!(app.post_event(&command).await.status(), 202);
    assert_eq!(app.post_event(&make(order_id, 100)).await.status(), 202);
    let sent = app.sink.drain(Duration::from_millis(500)).await;
    assert_eq!(sent.len(), 1, "one payment.created");
    let (_, list) = app
        .get_json(&format!("/payments?order_id={order_id}"))
        .await;
    assert_eq!(list["payments"].as_array().expect("list").len(), 1);
}

async fn a_refund_command_refunds_the_payment_once(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let (order_id, payment) = charge(&app, 700).await;
    let refund = PaymentRefundV1 {
        payment_id: payment.payment_id,
        order_id,
        reason: Reason::try_from("customer cancelled").expect("valid"),
    };
    let command = order_service().event(&refund, &Traceparent::generate());
    assert_eq!(app.post_event(&command).await.status(), 202);
    assert_eq!(app.post_event(&command).await.status(), 202);
    let sent = app.sink.drain(Duration::from_millis(500)).await;
    assert_eq!(
        sent.iter().map(|e| e.ty()).collect::<Vec<_>>(),
        ["com.example.payment.refunded.v1"]
    );
    let (_, read) = app
        .get_json(&format!("/payments/{}", payment.payment_id))
        .await;
    assert_eq!(read["status"], "refunded");
}

async fn reading_payments_that_do_not_exist_or_with_bad_ids_is_a_problem(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    for (path, status) in [
        (format!("/payments/{}", PaymentId::new()), 404),
        ("/payments/nope".to_owned(), 400),
        ("/payments?order_id=nope".to_owned(), 400),
        ("/payments".to_owned(), 400),
    ] {
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), status, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let problem: Value = response.json().await.expect("json");
        assert!(problem["detail"].is_string());
    }
}

async fn health_and_metrics_answer(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let (status, _) = app.get_json("/healthz").await;
    assert_eq!(status, 200);
    charge(&app, 5).await;
    let metrics = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("text");
    assert!(metrics.contains("payment_outbox_depth"));
    assert!(metrics.contains("payment_events_received_total"));
}

async fn events_decided_while_the_sink_is_down_are_sent_after_a_restart(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    app.sink.answer(503);
    let order_id = OrderId::new();
    app.post_event(&make(order_id, 10)).await;
    app.post_event(&make(OrderId::new(), 1_000_000)).await;
    let app = app.restart().await;
    app.sink.answer(202);
    let sent = app.sink.take(2).await;
    let mut types: Vec<&str> = sent.iter().map(|e| e.ty()).collect();
    types.sort_unstable();
    assert_eq!(
        types,
        [
            "com.example.payment.created.v1",
            "com.example.payment.declined.v1"
        ]
    );
    let (_, list) = app
        .get_json(&format!("/payments?order_id={order_id}"))
        .await;
    assert_eq!(
        list["payments"].as_array().expect("list").len(),
        1,
        "{}",
        app.database_url
    );
}

async fn the_asyncapi_document_describes_this_service(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let (status, document) = app.get_json("/asyncapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(document["asyncapi"], "3.0.0");
    assert_eq!(document["info"]["title"], "payment-service");
    let host = app.address.trim_start_matches("http://");
    assert!(
        document.to_string().contains(host),
        "served for its own address: {document}"
    );
}

crate::on_both_backends!(
    the_asyncapi_document_describes_this_service,
    a_payment_command_charges_and_announces_the_payment,
    an_amount_over_the_limit_is_declined,
    a_redelivered_or_repeated_payment_command_charges_once,
    a_refund_command_refunds_the_payment_once,
    reading_payments_that_do_not_exist_or_with_bad_ids_is_a_problem,
    health_and_metrics_answer,
    events_decided_while_the_sink_is_down_are_sent_after_a_restart,
);
