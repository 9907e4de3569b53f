//! Cost of evaluating a typical subscription filter against one event, and of compiling it.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use cesql::Expression;
use criterion::{Criterion, criterion_group, criterion_main};

const FILTER: &str = "type LIKE 'com.example.order.%' AND source = '/order-service' \
                      AND (tier = 'gold' OR INT(amount) > 100)";

fn event(tier: &str) -> serde_json::Map<String, serde_json::Value> {
    let event = serde_json::json!({
        "specversion": "1.0",
        "id": "7c1a8d2e-9f44-4a57-b8a9-1f0e2d3c4b5a",
        "source": "/order-service",
        "type": "com.example.order.placed",
        "time": "2024-05-01T12:00:00Z",
        "datacontenttype": "application/json",
        "tier": tier,
        "amount": "250",
        "data": {"order_id": "o-1", "items": 3}
    });
    match event {
        serde_json::Value::Object(map) => map,
        _ => unreachable!("an object literal"),
    }
}

fn bench(c: &mut Criterion) {
    let filter = Expression::parse(FILTER).expect("the filter parses");
    let (gold, silver) = (event("gold"), event("silver"));
    assert!(filter.matches(&gold) && filter.matches(&silver));

    c.bench_function("matches (tier = 'gold' short-circuits)", |b| {
        b.iter(|| filter.matches(black_box(&gold)))
    });
    c.bench_function("matches (falls through to INT(amount) > 100)", |b| {
        b.iter(|| filter.matches(black_box(&silver)))
    });
    c.bench_function("evaluate (value and error list)", |b| {
        b.iter(|| filter.evaluate(black_box(&silver)))
    });
    // The floor: the attribute lookups the filter makes, with no engine around them.
    c.bench_function("baseline: four attribute lookups", |b| {
        b.iter(|| {
            let e = black_box(&silver);
            ["type", "source", "tier", "amount"].map(|k| e.get(k).is_some())
        })
    });
    c.bench_function("parse and compile", |b| {
        b.iter(|| Expression::parse(black_box(FILTER)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
