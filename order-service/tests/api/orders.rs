use crate::database::Backend;
use crate::helpers::{eventually, order_body, spawn_app_on, types};
use serde_json::{Value, json};
use std::time::Duration;

async fn assert_problem(response: reqwest::Response, status: u16, detail_contains: &str) {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "every error is problem+json"
    );
    let problem: Value = response.json().await.expect("json");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(detail_contains),
        "detail `{detail}` should mention `{detail_contains}`"
    );
}

async fn placing_an_order_answers_201_with_its_location_and_pending_payment(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let response = app.post_order(&order_body()).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let order: Value = response.json().await.expect("json");
    assert_eq!(
        location,
        format!("/orders/{}", order["id"].as_str().expect("id"))
    );
    assert_eq!(order["status"], "pending_payment");
    assert_eq!(order["total_cents"], 2500);
    assert_eq!(order["version"], 3);
    let sent = app.sink.take(3).await;
    assert_eq!(
        types(&sent),
        [
            "com.example.order.created.v1",
            "com.example.order.created.v2",
            "com.example.payment.make.v1"
        ]
    );
}

async fn every_invalid_order_is_a_400_problem_and_writes_nothing(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let cases = [
        (
            json!({"customer_id": "c", "items": [], "currency": "EUR"}),
            "at least one item",
        ),
        (
            json!({"customer_id": "c", "items": [{"sku": "A", "quantity": 0, "unit_price_cents": 1}], "currency": "EUR"}),
            "quantity",
        ),
        (
            json!({"customer_id": "c", "items": [{"sku": "A", "quantity": 1, "unit_price_cents": -1}], "currency": "EUR"}),
            "negative",
        ),
        (
            json!({"customer_id": "c", "items": [{"sku": "A", "quantity": 2, "unit_price_cents": i64::MAX}], "currency": "EUR"}),
            "overflows",
        ),
        (
            json!({"customer_id": "c", "items": [{"sku": "A", "quantity": 1, "unit_price_cents": 1}], "currency": "eur"}),
            "currency",
        ),
        (
            json!({"customer_id": "c", "items": [{"sku": "A", "quantity": 1, "unit_price_cents": 1}], "currency": "EUR", "coupon": "x"}),
            "unknown field",
        ),
        (
            json!({"customer_id": "c", "items": [{"sku": "A", "quantity": 1, "unit_price_cents": 1, "colour": "red"}], "currency": "EUR"}),
            "unknown field",
        ),
        (
            json!({"customer_id": "", "items": [{"sku": "A", "quantity": 1, "unit_price_cents": 1}], "currency": "EUR"}),
            "customer_id",
        ),
        (
            json!({"items": [{"sku": "A", "quantity": 1, "unit_price_cents": 1}], "currency": "EUR"}),
            "customer_id",
        ),
    ];
    for (body, detail) in cases {
        assert_problem(app.post_order(&body).await, 400, detail).await;
    }
    let malformed = app
        .client
        .post(format!("{}/orders", app.address))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_problem(malformed, 400, "not JSON").await;
    let huge = app
        .client
        .post(format!("{}/orders", app.address))
        .header("content-type", "application/json")
        .body(vec![b' '; 3 * 1024 * 1024])
        .send()
        .await
        .expect("request");
    assert_eq!(huge.status(), 413);
    assert_eq!(huge.headers()["content-type"], "application/problem+json");
    assert!(
        app.sink.drain(Duration::from_millis(300)).await.is_empty(),
        "nothing was sent"
    );
    let (_, list) = app.get_json("/orders").await;
    assert_eq!(list["orders"], json!([]));
}

async fn the_same_idempotency_key_and_body_return_the_same_order(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let post = |body: Value| {
        app.client
            .post(format!("{}/orders", app.address))
            .header("idempotency-key", "key-1")
            .json(&body)
            .send()
    };
    let first: Value = post(order_body())
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let again = post(order_body()).await.expect("request");
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.expect("json");
    assert_eq!(again["id"], first["id"]);
    let mut other = order_body();
    other["currency"] = json!("USD");
    assert_problem(post(other).await.expect("request"), 422, "Idempotency-Key").await;
    app.sink.take(3).await;
    assert!(
        app.sink.drain(Duration::from_millis(300)).await.is_empty(),
        "one order, one set of events"
    );
}

async fn reading_an_order_that_does_not_exist_is_404_and_a_bad_id_is_400(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let missing = app
        .client
        .get(format!("{}/orders/{}", app.address, uuid::Uuid::now_v7()))
        .send()
        .await
        .expect("request");
    assert_problem(missing, 404, "does not exist").await;
    let bad = app
        .client
        .get(format!("{}/orders/nope", app.address))
        .send()
        .await
        .expect("request");
    assert_problem(bad, 400, "not an order id").await;
    assert_problem(app.cancel("nope").await, 400, "not an order id").await;
    assert_problem(
        app.cancel(&uuid::Uuid::now_v7().to_string()).await,
        404,
        "does not exist",
    )
    .await;
}

async fn an_order_shows_its_history_and_marks_the_payment_missing_when_payment_service_is_down(
    backend: Backend,
) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let order = app.place_order().await;
    let id = order["id"].as_str().expect("id");
    let (status, read) = app.get_json(&format!("/orders/{id}")).await;
    assert_eq!(status, 200);
    let history = read["history"].as_array().expect("history");
    assert_eq!(history.len(), 3);
    assert_eq!(history[0]["type"], "com.example.order.created.v1");
    assert_eq!(history[0]["direction"], "sent");
    assert!(history[0]["id"].is_string() && history[0]["time"].is_string());
    assert_eq!(read["incomplete"], json!(["payment"]));
    assert_eq!(read["payment"]["unavailable"], true);
}

async fn cancelling_a_pending_order_cancels_it(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let order = app.place_order().await;
    let id = order["id"].as_str().expect("id");
    let response = app.cancel(id).await;
    assert_eq!(response.status(), 200);
    let cancelled: Value = response.json().await.expect("json");
    assert_eq!(cancelled["status"], "cancelled");
    let cancelled_event = app.sink.next_of("com.example.order.cancelled.v1").await;
    assert_eq!(
        shared_events::AttributesReader::subject(&cancelled_event),
        Some(id)
    );
    assert_eq!(
        app.cancel(id).await.status(),
        200,
        "cancelling again is harmless"
    );
}

async fn the_list_filters_by_status_and_pages_with_a_cursor(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(
            app.place_order().await["id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    app.cancel(&ids[0]).await;
    let list_path = "/orders?status=pending_payment&limit=2";
    let page = eventually(
        "the projection to catch up",
        Duration::from_secs(5),
        || async {
            let (_, all) = app.get_json("/orders?limit=500").await;
            let cancelled = all["orders"]
                .as_array()?
                .iter()
                .filter(|o| o["status"] == "cancelled")
                .count();
            (all["orders"].as_array()?.len() == 5 && cancelled == 1).then_some(())
        },
    )
    .await;
    let _: () = page;
    let mut seen = Vec::new();
    let mut path = list_path.to_owned();
    loop {
        let (status, page) = app.get_json(&path).await;
        assert_eq!(status, 200);
        for order in page["orders"].as_array().expect("orders") {
            assert_eq!(order["status"], "pending_payment");
            seen.push(order["order_id"].as_str().expect("id").to_owned());
        }
        match page["next"].as_str() {
            Some(next) => path = format!("{list_path}&after={next}"),
            None => break,
        }
    }
    assert_eq!(seen, ids[1..].to_vec());
    let (status, _) = app.get_json("/orders?status=shipped").await;
    assert_eq!(status, 400);
    let (status, _) = app.get_json("/orders?limit=0").await;
    assert_eq!(status, 400);
}

async fn health_and_metrics_answer(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let (status, health) = app.get_json("/healthz").await;
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
    app.place_order().await;
    app.sink.take(3).await;
    let metrics = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("text");
    assert!(metrics.contains("order_outbox_depth"), "{metrics}");
    assert!(metrics.contains("order_events_sent_total"), "{metrics}");
}

async fn the_asyncapi_document_describes_this_service(backend: Backend) {
    let Some(app) = spawn_app_on(backend).await else {
        return;
    };
    let (status, document) = app.get_json("/asyncapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(document["asyncapi"], "3.0.0");
    assert_eq!(document["info"]["title"], "order-service");
    let host = app.address.trim_start_matches("http://");
    assert!(
        document.to_string().contains(host),
        "served for its own address: {document}"
    );
    let operations = document["operations"].as_object().expect("operations");
    assert!(
        operations.len() >= 11,
        "one operation per type: {operations:?}"
    );
}

crate::on_both_backends!(
    the_asyncapi_document_describes_this_service,
    placing_an_order_answers_201_with_its_location_and_pending_payment,
    every_invalid_order_is_a_400_problem_and_writes_nothing,
    the_same_idempotency_key_and_body_return_the_same_order,
    reading_an_order_that_does_not_exist_is_404_and_a_bad_id_is_400,
    an_order_shows_its_history_and_marks_the_payment_missing_when_payment_service_is_down,
    cancelling_a_pending_order_cancels_it,
    the_list_filters_by_status_and_pages_with_a_cursor,
    health_and_metrics_answer,
);
