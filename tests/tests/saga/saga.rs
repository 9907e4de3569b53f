use crate::database::Backend;
use crate::helpers::{Stack, eventually};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(15);

#[tokio::test]
async fn a_new_order_becomes_paid_and_its_payment_is_visible_in_both_services() {
    let stack = Stack::start().await;
    let id = stack.place_order(2500).await;
    let order = stack.wait_for_status(&id, "paid", DEADLINE).await;
    assert_eq!(order["payment"]["status"], "charged", "{order}");
    assert_eq!(order["payment"]["amount_cents"], 2500);
    assert_eq!(order["incomplete"], json!([]));
    let (_, payments) = stack
        .get_json(&format!("{}/payments?order_id={id}", stack.payment))
        .await;
    let payment = &payments["payments"][0];
    assert_eq!(payment["status"], "charged");
    assert_eq!(payment["payment_id"], order["payment_id"]);
    let types: Vec<&str> = order["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|e| e["type"].as_str().expect("type"))
        .collect();
    assert_eq!(
        types,
        [
            "com.example.order.created.v1",
            "com.example.order.created.v2",
            "com.example.payment.make.v1",
            "com.example.payment.created.v1",
            "com.example.order.paid.v1"
        ]
    );
}

#[tokio::test]
async fn one_orders_events_share_the_trace_of_the_request_that_placed_it() {
    let stack = Stack::start().await;
    let trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let response = stack
        .client
        .post(format!("{}/orders", stack.order))
        .header("traceparent", trace)
        .json(&json!({"customer_id": "c", "items": [{"sku": "A", "quantity": 1, "unit_price_cents": 5}], "currency": "EUR"}))
        .send()
        .await
        .expect("request");
    let id = response.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    stack.wait_for_status(&id, "paid", DEADLINE).await;
    let (_, stream) = stack
        .get_json(&format!("{}/orders/{id}/events", stack.order))
        .await;
    for event in stream["events"].as_array().expect("events") {
        let parent = event["traceparent"].as_str().expect("traceparent");
        assert_eq!(
            &parent[3..35],
            "4bf92f3577b34da6a3ce929d0e0e4736",
            "{event}"
        );
    }
}

#[tokio::test]
async fn an_order_over_the_payment_limit_is_declined_and_cancelled() {
    let stack = Stack::start().await;
    let id = stack.place_order(100_001).await;
    let order = stack.wait_for_status(&id, "cancelled", DEADLINE).await;
    assert!(order["payment"].is_null(), "no payment: {order}");
    let history = order["history"].as_array().expect("history");
    assert!(
        history
            .iter()
            .any(|e| e["type"] == "com.example.payment.declined.v1")
    );
    assert_eq!(
        history.last().expect("last")["type"],
        "com.example.order.cancelled.v1"
    );
}

#[tokio::test]
async fn cancelling_a_paid_order_refunds_the_payment_before_the_order_is_cancelled() {
    let stack = Stack::start().await;
    let id = stack.place_order(300).await;
    stack.wait_for_status(&id, "paid", DEADLINE).await;
    let response = stack.cancel(&id).await;
    assert_eq!(response.status(), 202);
    assert_eq!(
        response.json::<Value>().await.expect("json")["status"],
        "cancelling"
    );
    let order = stack.wait_for_status(&id, "cancelled", DEADLINE).await;
    assert_eq!(order["payment"]["status"], "refunded");
    let types: Vec<&str> = order["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|e| e["type"].as_str().expect("t"))
        .collect();
    assert_eq!(
        &types[5..],
        [
            "com.example.payment.refund.v1",
            "com.example.payment.refunded.v1",
            "com.example.order.cancelled.v1"
        ]
    );
}

#[tokio::test]
async fn orders_placed_while_payment_service_is_down_all_complete_when_it_returns() {
    let mut stack = Stack::start().await;
    stack.stop_payment().await;
    let mut ids = Vec::new();
    for _ in 0..20 {
        ids.push(stack.place_order(100).await);
    }
    tokio::time::sleep(Duration::from_millis(500)).await; // a few failed attempts pile up
    stack.start_payment().await;
    for id in &ids {
        stack.wait_for_status(id, "paid", DEADLINE).await;
    }
}

#[tokio::test]
async fn an_order_service_dropped_mid_saga_finishes_the_saga_when_rebuilt_on_its_database() {
    let mut stack = Stack::start().await;
    let mut ids = Vec::new();
    for _ in 0..10 {
        ids.push(stack.place_order(100).await);
    }
    stack.stop_order().await;
    tokio::time::sleep(Duration::from_millis(300)).await; // payment-service's replies now fail
    stack.start_order().await;
    for id in &ids {
        stack.wait_for_status(id, "paid", DEADLINE).await;
    }
}

#[tokio::test]
async fn a_payment_service_dropped_mid_saga_finishes_the_saga_when_rebuilt_on_its_database() {
    let mut stack = Stack::start().await;
    let first = stack.place_order(100).await;
    stack.wait_for_status(&first, "paid", DEADLINE).await;
    let cancelled = stack.cancel(&first).await;
    assert_eq!(cancelled.status(), 202);
    let second = stack.place_order(100).await;
    stack.stop_payment().await;
    stack.start_payment().await;
    stack.wait_for_status(&first, "cancelled", DEADLINE).await;
    stack.wait_for_status(&second, "paid", DEADLINE).await;
}

#[tokio::test]
async fn an_order_is_still_returned_without_its_payment_when_payment_service_is_stopped() {
    let mut stack = Stack::start().await;
    let id = stack.place_order(100).await;
    stack.wait_for_status(&id, "paid", DEADLINE).await;
    stack.stop_payment().await;
    let started = Instant::now();
    let (status, order) = stack
        .get_json(&format!("{}/orders/{id}", stack.order))
        .await;
    assert_eq!(status, 200, "degraded, not a 5xx");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "answered within the short timeout"
    );
    assert_eq!(order["status"], "paid");
    assert_eq!(order["incomplete"], json!(["payment"]));
    assert_eq!(order["payment"]["unavailable"], true);
}

#[tokio::test]
async fn the_order_list_and_the_payment_query_agree_with_the_saga() {
    let stack = Stack::start().await;
    let paid = stack.place_order(100).await;
    let declined = stack.place_order(1_000_000).await;
    stack.wait_for_status(&paid, "paid", DEADLINE).await;
    stack
        .wait_for_status(&declined, "cancelled", DEADLINE)
        .await;
    eventually("the list to show both", DEADLINE, || async {
        let (_, list) = stack
            .get_json(&format!("{}/orders?status=paid", stack.order))
            .await;
        let (_, cancelled) = stack
            .get_json(&format!("{}/orders?status=cancelled", stack.order))
            .await;
        (list["orders"][0]["order_id"] == paid.as_str()
            && cancelled["orders"][0]["order_id"] == declined.as_str())
        .then_some(())
    })
    .await;
}

async fn the_saga_runs_to_paid_and_through_compensation(backend: Backend) {
    let Some(stack) = Stack::start_on(backend).await else {
        return;
    };
    let paid = stack.place_order(2500).await;
    let declined = stack.place_order(100_001).await;
    stack.wait_for_status(&paid, "paid", DEADLINE).await;
    stack
        .wait_for_status(&declined, "cancelled", DEADLINE)
        .await;
    assert_eq!(stack.cancel(&paid).await.status(), 202);
    let order = stack.wait_for_status(&paid, "cancelled", DEADLINE).await;
    assert_eq!(order["payment"]["status"], "refunded");
}

async fn two_order_service_replicas_on_one_database_complete_every_saga(backend: Backend) {
    let Some(mut stack) = Stack::start_on(backend).await else {
        return;
    };
    if backend == Backend::Sqlite {
        return; // several replicas are a PostgreSQL feature
    }
    let replica = stack.start_order_replica().await;
    let body = json!({"customer_id": "c", "items": [{"sku": "A", "quantity": 1, "unit_price_cents": 10}], "currency": "EUR"});
    let mut ids = Vec::new();
    for i in 0..40 {
        let target = if i % 2 == 0 { &stack.order } else { &replica };
        let response = stack
            .client
            .post(format!("{target}/orders"))
            .json(&body)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 201);
        ids.push(
            response.json::<Value>().await.expect("json")["id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    for id in &ids {
        let order = stack.wait_for_status(id, "paid", DEADLINE).await;
        let history: Vec<&str> = order["history"]
            .as_array()
            .expect("h")
            .iter()
            .map(|e| e["type"].as_str().expect("t"))
            .collect();
        assert_eq!(
            history
                .iter()
                .filter(|t| **t == "com.example.payment.created.v1")
                .count(),
            1,
            "{history:?}"
        );
    }
    let key_body = json!({"customer_id": "k", "items": [{"sku": "A", "quantity": 1, "unit_price_cents": 10}], "currency": "EUR"});
    let mut placed = Vec::new();
    for target in [&stack.order, &replica] {
        let response = stack
            .client
            .post(format!("{target}/orders"))
            .header("idempotency-key", "across-replicas")
            .json(&key_body)
            .send()
            .await
            .expect("request");
        placed.push(response.json::<Value>().await.expect("json")["id"].clone());
    }
    assert_eq!(
        placed[0], placed[1],
        "an Idempotency-Key holds across replicas"
    );
    stack.stop_order().await;
}

crate::on_both_backends!(
    the_saga_runs_to_paid_and_through_compensation,
    two_order_service_replicas_on_one_database_complete_every_saga,
);
