//! Malformed requests against the real gateway: whatever the headers, bodies, batch shapes or
//! subscription JSON, it never fails (no 5xx, no panic), every 4xx is problem+json, and a 4xx
//! stores nothing.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;

use crate::helpers::spawn_app;

/// One request: method, path, headers and body.
#[derive(Debug, Clone)]
struct Malformed {
    method: &'static str,
    path: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

fn json_fragment() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        "[ -~]{0,12}".prop_map(|s| serde_json::to_string(&s).expect("a string")),
        Just(r#""http://127.0.0.1:1/""#.to_owned()),
        Just(r#""PT1S""#.to_owned()),
        Just(r#""whsec_AAAA""#.to_owned()),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec(
                (
                    prop::sample::select(vec![
                        "id",
                        "sink",
                        "filters",
                        "delivery",
                        "format",
                        "secret",
                        "rateLimit",
                        "retry",
                        "handshake",
                        "specversion",
                        "type",
                        "source",
                        "data",
                        "exact",
                        "prefix",
                        "cesql",
                        "gracePeriod",
                        "x",
                    ]),
                    inner
                ),
                0..5
            )
            .prop_map(|kv| format!(
                "{{{}}}",
                kv.iter()
                    .map(|(k, v)| format!("\"{k}\":{v}"))
                    .collect::<Vec<_>>()
                    .join(",")
            )),
        ]
    })
}

fn malformed() -> impl Strategy<Value = Malformed> {
    let method = prop::sample::select(vec!["POST", "PUT", "GET", "DELETE", "PATCH"]);
    let path = prop::sample::select(vec![
        "/events",
        "/subscriptions",
        "/subscriptions/fuzz",
        "/subscriptions/fuzz/secret/rotate",
        "/subscriptions/a%20b",
        "/deadletters",
        "/deadletters/redeliver",
        "/deadletters/x",
        "/webhooks/none",
        "/handshake/fuzz",
        "/nowhere",
    ]);
    let header = (
        prop::sample::select(vec![
            "content-type",
            "ce-specversion",
            "ce-id",
            "ce-source",
            "ce-type",
            "ce-time",
            "ce-subject",
            "webhook-id",
            "webhook-signature",
            "authorization",
        ]),
        prop_oneof![
            "[ -~]{0,40}",
            prop::sample::select(vec![
                "application/json".to_owned(),
                "application/cloudevents+json".to_owned(),
                "application/cloudevents-batch+json".to_owned(),
                "1.0".to_owned(),
                "%ZZ".to_owned(),
            ]),
        ],
    );
    let body = prop_oneof![
        json_fragment().prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..64),
    ];
    (method, path, prop::collection::vec(header, 0..6), body).prop_map(
        |(method, path, headers, body)| Malformed {
            method,
            path,
            headers,
            body,
        },
    )
}

#[test]
fn malformed_requests_get_2xx_or_a_problem_4xx_and_a_4xx_stores_nothing() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let app = runtime.block_on(spawn_app());
    let mut runner = TestRunner::new(Config {
        cases: 96,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&malformed(), |request| {
        runtime.block_on(async {
            let before = (app.count("events").await, app.count("subscriptions").await);
            let method = http::Method::from_bytes(request.method.as_bytes()).expect("a method");
            let mut builder = app
                .client
                .request(method, format!("{}{}", app.address, request.path))
                .body(request.body.clone());
            for (name, value) in &request.headers {
                builder = builder.header(*name, value);
            }
            let response = builder.send().await.expect("the gateway answers");
            let status = response.status();
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let text = response.text().await.expect("a body");
            prop_assert!(
                status.is_success() || status.is_client_error(),
                "{status} for {request:?}: {text}"
            );
            if status.is_client_error() {
                prop_assert_eq!(
                    content_type.as_str(),
                    "application/problem+json",
                    "{:?}",
                    request
                );
                let problem: Value = serde_json::from_str(&text).expect("problem JSON");
                prop_assert_eq!(problem["status"].as_u64(), Some(u64::from(status.as_u16())));
                let after = (app.count("events").await, app.count("subscriptions").await);
                prop_assert_eq!(
                    before,
                    after,
                    "a {} stored something: {:?}",
                    status,
                    request
                );
            }
            Ok(())
        })
    });
    runtime.block_on(app.stop());
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
