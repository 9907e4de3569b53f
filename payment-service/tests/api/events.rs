use crate::database::Backend;
use crate::helpers::{TestApp, spawn_app_on};
use crate::payments::charge;
use serde_json::{Value, json};

async fn raw_binary_query(app: &TestApp, order_id: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/events", app.address))
        .header("ce-specversion", "1.0")
        .header("ce-id", "q-1")
        .header("ce-source", "/python-client")
        .header("ce-type", "com.example.payment.get.v1")
        .header("content-type", "application/json")
        .body(format!(r#"{{"order_id": "{order_id}"}}"#))
        .send()
        .await
        .expect("request")
}

async fn a_payment_query_in_binary_mode_is_answered_in_binary_mode(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let (order_id, payment) = charge(&app, 1234).await;
    let response = raw_binary_query(&app, &order_id.to_string()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["ce-type"],
        "com.example.payment.state.v1"
    );
    assert_eq!(response.headers()["ce-source"], "/payment-service");
    let state: Value = response.json().await.expect("json");
    assert_eq!(
        state,
        json!({"payment_id": payment.payment_id, "order_id": order_id, "status": "charged", "amount_cents": 1234, "currency": "EUR"})
    );
}

async fn a_payment_query_in_structured_mode_is_answered_in_structured_mode(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let (order_id, _) = charge(&app, 99).await;
    let body = format!(
        r#"{{"specversion": "1.0", "id": "q-2", "source": "/python-client", "type": "com.example.payment.get.v1", "data": {{"order_id": "{order_id}"}}}}"#
    );
    let response = app
        .client
        .post(format!("{}/events", app.address))
        .header("content-type", "Application/CloudEvents+JSON")
        .body(body)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let reply: Value = response.json().await.expect("json");
    assert_eq!(reply["type"], "com.example.payment.state.v1");
    assert_eq!(reply["data"]["amount_cents"], 99);
}

async fn a_query_for_an_order_without_payment_is_404_and_a_malformed_one_400(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let response = raw_binary_query(&app, &uuid::Uuid::now_v7().to_string()).await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let response = raw_binary_query(&app, "42").await;
    assert_eq!(response.status(), 400);
}

async fn unknown_types_are_400_and_unhandled_catalog_types_202(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let post = |ty: &'static str| {
        app.client
            .post(format!("{}/events", app.address))
            .header("ce-specversion", "1.0")
            .header("ce-id", "e-1")
            .header("ce-source", "/test")
            .header("ce-type", ty)
            .header("content-type", "application/json")
            .body("{}")
            .send()
    };
    let unknown = post("com.example.payment.teleported.v1")
        .await
        .expect("request");
    assert_eq!(unknown.status(), 400);
    let problem: Value = unknown.json().await.expect("json");
    assert!(
        problem["supported_types"]
            .as_array()
            .expect("list")
            .contains(&json!("com.example.payment.make.v1"))
    );
    let ignored = post("com.example.order.paid.v1").await.expect("request");
    assert_eq!(ignored.status(), 202);
    let malformed = app
        .client
        .post(format!("{}/events", app.address))
        .header("content-type", "application/cloudevents+json")
        .body("{\"specversion\": \"1.0\"")
        .send()
        .await
        .expect("request");
    assert_eq!(malformed.status(), 400);
}

crate::on_both_backends!(
    a_payment_query_in_binary_mode_is_answered_in_binary_mode,
    a_payment_query_in_structured_mode_is_answered_in_structured_mode,
    a_query_for_an_order_without_payment_is_404_and_a_malformed_one_400,
    unknown_types_are_400_and_unhandled_catalog_types_202,
);
