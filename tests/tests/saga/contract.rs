//! The contract test: every event and command either service emits, captured by a real
//! `TestReceiver` standing in as its `K_SINK`, validates against its schema and carries every
//! attribute DESIGN §4 requires.

use crate::helpers::Stack;
use crate::receiver::TestReceiver;
use serde_json::{Value, json};
use shared_events::catalog::{self, CatalogType};
use shared_events::trace::Traceparent;
use shared_events::{AttributesReader, Event};
use std::sync::Arc;
use std::time::Duration;

fn assert_contract(event: &Event, source: &str) {
    let ty = event.ty();
    assert!(catalog::lookup(ty).is_some(), "{ty} is a catalog type");
    let id = uuid::Uuid::parse_str(event.id()).unwrap_or_else(|_| panic!("{ty}: id is a UUID"));
    assert_eq!(id.get_version_num(), 7, "{ty}: id is a UUIDv7");
    assert_eq!(event.source().as_str(), source);
    assert!(
        event.subject().is_some_and(|s| !s.is_empty()),
        "{ty}: subject"
    );
    assert!(event.time().is_some(), "{ty}: time");
    assert_eq!(event.datacontenttype(), Some("application/json"), "{ty}");
    let schema = event
        .dataschema()
        .unwrap_or_else(|| panic!("{ty}: dataschema"))
        .to_string();
    assert!(
        schema.contains(&format!("/schemas/{ty}/versions/")),
        "{ty}: {schema}"
    );
    let trace = event
        .extension("traceparent")
        .unwrap_or_else(|| panic!("{ty}: traceparent"));
    assert!(
        Traceparent::parse(&trace.to_string()).is_ok(),
        "{ty}: {trace}"
    );
    let data = catalog::data_as_json(event, "data").unwrap_or_else(|e| panic!("{ty}: {e}"));
    shared_events::schema::validate(ty, &data).unwrap_or_else(|e| panic!("{ty}: {e}"));
}

async fn post(client: &reqwest::Client, url: &str, body: Value) -> reqwest::Response {
    client.post(url).json(&body).send().await.expect("request")
}

#[tokio::test]
async fn every_event_and_command_either_service_emits_validates_against_its_schema() {
    // Each service relays to a TestReceiver that records and forwards to the peer, so the
    // saga runs for real and every emitted event is captured.
    let stack = Stack::start().await;
    let order_tap = Arc::new(TestReceiver::start().await);
    let payment_tap = Arc::new(TestReceiver::start().await);
    let mut order_settings = stack.order_settings();
    order_settings.sink = order_tap.url.clone();
    let mut payment_settings = stack.payment_settings();
    payment_settings.sink = payment_tap.url.clone();
    let dir = tempfile::tempdir().expect("dir");
    order_settings.database.database_url =
        format!("sqlite://{}", dir.path().join("o.db").display());
    payment_settings.database.database_url =
        format!("sqlite://{}", dir.path().join("p.db").display());
    let order_app = order_service::startup::Application::build(order_settings)
        .await
        .expect("builds");
    let order_url = format!("http://{}", order_app.local_addr().expect("addr"));
    let payment_app = payment_service::startup::Application::build(payment_settings)
        .await
        .expect("builds");
    let payment_url = format!("http://{}", payment_app.local_addr().expect("addr"));
    let token = shared_events::service::shutdown::CancellationToken::new();
    tokio::spawn(order_app.run_until_stopped(token.clone()));
    tokio::spawn(payment_app.run_until_stopped(token.clone()));
    let _stop = token.clone().drop_guard();
    let client = reqwest::Client::new();
    let forward = |tap: Arc<TestReceiver>, to: String| {
        let client = client.clone();
        async move {
            let mut captured = Vec::new();
            for event in tap.drain(Duration::from_millis(800)).await {
                use shared_events::http::reqwest::RequestBuilderExt;
                let response = client
                    .post(&to)
                    .cloudevent(&event)
                    .expect("encodes")
                    .send()
                    .await
                    .expect("forwards");
                assert!(response.status().is_success());
                captured.push(event);
            }
            captured
        }
    };
    let item = |cents: i64| json!({"customer_id": "c", "items": [{"sku": "A", "quantity": 1, "unit_price_cents": cents}], "currency": "EUR"});
    let orders = format!("{order_url}/orders");
    let paid: Value = post(&client, &orders, item(100))
        .await
        .json()
        .await
        .expect("json");
    let _declined: Value = post(&client, &orders, item(100_001))
        .await
        .json()
        .await
        .expect("json");
    let pending: Value = post(&client, &orders, item(5))
        .await
        .json()
        .await
        .expect("json");
    client
        .post(format!(
            "{orders}/{}/cancel",
            pending["id"].as_str().expect("id")
        ))
        .send()
        .await
        .expect("cancel");
    let mut all = Vec::new();
    // order → payment, payment → order, then cancel the paid one and go round again.
    let to_payment = forward(order_tap.clone(), format!("{payment_url}/events")).await;
    let to_order = forward(payment_tap.clone(), format!("{order_url}/events")).await;
    all.extend(to_payment.iter().cloned().map(|e| (e, "/order-service")));
    all.extend(to_order.iter().cloned().map(|e| (e, "/payment-service")));
    client
        .post(format!(
            "{orders}/{}/cancel",
            paid["id"].as_str().expect("id")
        ))
        .send()
        .await
        .expect("cancel");
    for _ in 0..2 {
        let to_payment = forward(order_tap.clone(), format!("{payment_url}/events")).await;
        let to_order = forward(payment_tap.clone(), format!("{order_url}/events")).await;
        all.extend(to_payment.into_iter().map(|e| (e, "/order-service")));
        all.extend(to_order.into_iter().map(|e| (e, "/payment-service")));
    }
    for (event, source) in &all {
        assert_contract(event, source);
    }
    let mut types: Vec<&str> = all.iter().map(|(e, _)| e.ty()).collect();
    types.sort_unstable();
    types.dedup();
    let emitted = [
        catalog::OrderCreatedV1::TYPE,
        catalog::OrderCreatedV2::TYPE,
        catalog::PaymentMakeV1::TYPE,
        catalog::PaymentCreatedV1::TYPE,
        catalog::PaymentDeclinedV1::TYPE,
        catalog::OrderPaidV1::TYPE,
        catalog::OrderCancelledV1::TYPE,
        catalog::PaymentRefundV1::TYPE,
        catalog::PaymentRefundedV1::TYPE,
    ];
    for ty in emitted {
        assert!(types.contains(&ty), "{ty} was emitted: {types:?}");
    }
    // The replies of the two queries follow the same contract.
    let order_id = paid["id"].as_str().expect("id");
    for (url, ty, source) in [
        (&order_url, "com.example.order.get.v1", "/order-service"),
        (
            &payment_url,
            "com.example.payment.get.v1",
            "/payment-service",
        ),
    ] {
        let response = client
            .post(format!("{url}/events"))
            .header("ce-specversion", "1.0")
            .header("ce-id", "q")
            .header("ce-source", "/contract-test")
            .header("ce-type", ty)
            .header("traceparent", Traceparent::generate().to_string())
            .header("content-type", "application/json")
            .body(format!(r#"{{"order_id":"{order_id}"}}"#))
            .send()
            .await
            .expect("query");
        use shared_events::http::reqwest::ResponseExt;
        let reply = response
            .into_cloudevent()
            .await
            .expect("reply")
            .expect("an event");
        assert_contract(&reply, source);
    }
    drop(stack);
}
