//! Consumer contract tests: every event the producers' real code builds satisfies every
//! consumer's committed expectations (`contracts/<consumer>/<provider>.json`), every expectation
//! is exercised, and a schema change that breaks a consumer is refused naming that consumer.

use cloudevents::{AttributesReader, AttributesWriter, Event};
use serde_json::{Value, json};
use shared_events::catalog::values::*;
use shared_events::catalog::*;
use shared_events::contracts::{self, Pact};
use shared_events::producer::{DEFAULT_SCHEMA_BASE, Producer};
use shared_events::schema::files::{self, Issue};
use shared_events::trace::Traceparent;
use std::path::PathBuf;
use url::Url;

fn pacts() -> Vec<(PathBuf, Pact)> {
    let pacts = contracts::load_dir(&contracts::workspace_dir()).expect("contracts load");
    assert!(
        pacts.len() >= 4,
        "expected the committed contracts, found {}",
        pacts.len()
    );
    pacts
}

fn producer(source: &str) -> Producer {
    Producer::new(source, Url::parse(DEFAULT_SCHEMA_BASE).expect("url"))
}

fn v<T: TryFrom<U>, U>(value: U) -> T
where
    T::Error: std::fmt::Debug,
{
    T::try_from(value).expect("valid value")
}

/// One event per type, built by the producers' real code from representative typed values.
fn produced_events() -> Vec<Event> {
    let trace = Traceparent::generate();
    let order = producer("/order-service");
    let payment = producer("/payment-service");
    let order_id = OrderId::new();
    let payment_id = PaymentId::new();
    let eur: Currency = v("EUR");
    let item = LineItem {
        sku: v("BOOK-1"),
        quantity: v(2u32),
        unit_price_cents: v(1250i64),
    };
    let money = |cents: i64| Money {
        amount_minor: v(cents),
        currency: eur.clone(),
    };
    vec![
        order.event(
            &OrderCreatedV1 {
                order_id,
                customer_id: v("c-42"),
                items: vec![item],
                total_cents: v(2500i64),
                currency: eur.clone(),
            },
            &trace,
        ),
        order.event(
            &OrderCreatedV2 {
                order_id,
                customer: Customer { id: v("c-42") },
                items: vec![LineItemV2 {
                    sku: v("BOOK-1"),
                    quantity: v(2u32),
                    unit_price: money(1250),
                }],
                total: money(2500),
            },
            &trace,
        ),
        order.event(
            &OrderPaidV1 {
                order_id,
                payment_id,
            },
            &trace,
        ),
        order.event(
            &PaymentMakeV1 {
                order_id,
                amount_cents: v(2500i64),
                currency: eur.clone(),
            },
            &trace,
        ),
        order.event(
            &PaymentRefundV1 {
                payment_id,
                order_id,
                reason: v("customer cancelled"),
            },
            &trace,
        ),
        payment.event(
            &PaymentCreatedV1 {
                payment_id,
                order_id,
                amount_cents: v(2500i64),
                currency: eur.clone(),
            },
            &trace,
        ),
        payment.event(
            &PaymentDeclinedV1 {
                order_id,
                reason: v("amount over the limit"),
            },
            &trace,
        ),
        payment.event(
            &PaymentRefundedV1 {
                payment_id,
                order_id,
            },
            &trace,
        ),
    ]
}

#[test]
fn every_produced_event_satisfies_every_consumer_expectation_for_its_type() {
    let pacts = pacts();
    let events = produced_events();
    for event in &events {
        let mismatches = contracts::verify(event, &pacts);
        assert!(
            mismatches.is_empty(),
            "{}:\n{}",
            event.ty(),
            mismatches
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    // Every expectation is exercised by some produced event, so none is silently unchecked.
    for (path, pact) in &pacts {
        for interaction in &pact.interactions {
            let ty = interaction.event_type().expect("metadata.type");
            assert!(
                events.iter().any(|e| e.ty() == ty),
                "{}: no produced event of type {ty}",
                path.display()
            );
        }
    }
}

#[test]
fn an_event_that_drops_what_a_consumer_relies_on_fails_naming_the_consumer() {
    let pacts = pacts();
    let mut event = produced_events()
        .into_iter()
        .find(|e| e.ty() == "com.example.payment.created.v1")
        .expect("payment.created");
    event.set_source("/somebody-else");
    event.set_data(
        "application/json",
        json!({"payment_id": "not-a-uuid", "order_id": "0190b6a4-7a1e-7cc2-8a5e-6c1d2f3a4b5c"}),
    );
    let mismatches = contracts::verify(&event, &pacts);
    let paths: Vec<&str> = mismatches.iter().map(|m| m.path.as_str()).collect();
    assert!(paths.contains(&"metadata.source"), "{paths:?}");
    assert!(paths.contains(&"$.payment_id"), "{paths:?}");
    assert!(paths.contains(&"$.amount_cents"), "{paths:?}");
    assert!(mismatches.iter().all(|m| m.consumer == "order-service"));
}

#[test]
fn a_v2_shaped_schema_as_a_v1_revision_breaks_the_consumers_still_on_v1() {
    let v2 = (lookup("com.example.order.created.v2").expect("v2").schema)();
    let broken = contracts::broken_by(
        &contracts::workspace_dir(),
        "com.example.order.created.v1",
        &v2,
    );
    let consumers: Vec<&str> = broken.iter().map(|b| b.consumer.as_str()).collect();
    assert_eq!(consumers, ["analytics"]);
    assert!(
        broken[0].reason.contains("total_cents"),
        "{}",
        broken[0].reason
    );
    // The unchanged schema breaks nobody.
    let v1 = (lookup("com.example.order.created.v1").expect("v1").schema)();
    assert!(
        contracts::broken_by(
            &contracts::workspace_dir(),
            "com.example.order.created.v1",
            &v1
        )
        .is_empty()
    );
}

#[test]
fn the_refusal_to_publish_a_breaking_revision_names_the_broken_consumers() {
    // A scratch copy of schemas/ and contracts/ side by side, as in the workspace.
    let root = tempfile::tempdir().expect("tempdir");
    let schemas = root.path().join("schemas");
    let theirs = root.path().join("contracts/analytics");
    std::fs::create_dir_all(&theirs).expect("mkdir");
    std::fs::copy(
        contracts::workspace_dir().join("analytics/order-service.json"),
        theirs.join("order-service.json"),
    )
    .expect("copy");
    fn v1_schema() -> Value {
        (lookup("com.example.order.created.v1").expect("v1").schema)()
    }
    fn v2_shaped_as_v1() -> Value {
        let mut v2 = (lookup("com.example.order.created.v2").expect("v2").schema)();
        v2["title"] = "com.example.order.created.v1".into();
        v2
    }
    let entry = |schema| CatalogEntry {
        event_type: "com.example.order.created.v1",
        kind: Kind::Event,
        description: "test",
        schema,
    };
    files::update_entries(&schemas, &[entry(v1_schema)]).expect("publish v1");
    let issues = files::update_entries(&schemas, &[entry(v2_shaped_as_v1)]).expect_err("breaking");
    let Some(Issue::Incompatible { consumers, .. }) = issues.first() else {
        panic!("expected an incompatibility, got {issues:?}");
    };
    assert_eq!(consumers.len(), 1);
    let message = issues[0].to_string();
    assert!(message.contains("analytics"), "{message}");
    assert!(
        message.contains("com.example.order.created.v2"),
        "{message}"
    );
}
