//! `EventView` for `cloudevents::Event`.

use cesql::{AttrValue, ErrorKind, EventView, Expression, Value};
use cloudevents::{EventBuilder, EventBuilderV10};

fn event() -> cloudevents::Event {
    EventBuilderV10::new()
        .id("order-1")
        .source("https://example.com/orders")
        .ty("com.example.order.placed")
        .subject("orders/1")
        .time("2018-04-26T14:48:09+02:00")
        .data_with_schema(
            "application/json",
            "https://example.com/order.json",
            serde_json::json!({"x": 1}),
        )
        .extension("tier", "gold")
        .extension("amount", 250_i64)
        .extension("priority", true)
        .build()
        .expect("a valid event")
}

#[test]
fn context_attributes_are_strings_as_the_spec_names_them() {
    let e = event();
    assert_eq!(e.attribute("id"), Some(AttrValue::str("order-1")));
    assert_eq!(
        e.attribute("source"),
        Some(AttrValue::str("https://example.com/orders"))
    );
    assert_eq!(e.attribute("specversion"), Some(AttrValue::str("1.0")));
    assert_eq!(
        e.attribute("type"),
        Some(AttrValue::str("com.example.order.placed"))
    );
    assert_eq!(
        e.attribute("datacontenttype"),
        Some(AttrValue::str("application/json"))
    );
    assert_eq!(
        e.attribute("dataschema"),
        Some(AttrValue::str("https://example.com/order.json"))
    );
    assert_eq!(e.attribute("subject"), Some(AttrValue::str("orders/1")));
    assert_eq!(
        e.attribute("time"),
        Some(AttrValue::str("2018-04-26T12:48:09Z"))
    );
    assert_eq!(e.attribute("data"), None);
}

#[test]
fn extensions_keep_their_types() {
    let e = event();
    assert_eq!(e.attribute("tier"), Some(AttrValue::str("gold")));
    assert_eq!(e.attribute("amount"), Some(AttrValue::Integer(250)));
    assert_eq!(e.attribute("priority"), Some(AttrValue::Boolean(true)));
    assert_eq!(e.attribute("nope"), None);
}

#[test]
fn filters_run_against_sdk_events() {
    let e = event();
    let filter = Expression::parse(
        "type LIKE 'com.example.order.%' AND source = 'https://example.com/orders' \
         AND (tier = 'gold' OR INT(amount) > 100) AND priority AND EXISTS subject",
    )
    .unwrap();
    assert!(filter.matches(&e));
    assert_eq!(
        Expression::parse("amount * 2").unwrap().evaluate(&e).value,
        Value::Integer(500)
    );
    let minimal = EventBuilderV10::new()
        .id("1")
        .source("/s")
        .ty("t")
        .build()
        .unwrap();
    let eval = Expression::parse("subject = 'orders/1'")
        .unwrap()
        .evaluate(&minimal);
    assert_eq!(eval.errors[0].kind(), ErrorKind::MissingAttribute);
    assert!(
        !Expression::parse("EXISTS time OR EXISTS dataschema")
            .unwrap()
            .matches(&minimal)
    );
}
