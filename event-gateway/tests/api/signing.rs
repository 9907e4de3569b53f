//! Standard Webhooks signing, checked by an independent verifier: the official `standardwebhooks`
//! crate, unmodified.

use std::time::Duration;

use http::StatusCode;
use serde_json::json;
use standardwebhooks::Webhook;

use crate::helpers::{Reply, TestReceiver, event, spawn_app};

#[tokio::test]
async fn deliveries_are_signed_so_the_official_verifier_accepts_them_and_rejects_a_tampered_body() {
    let app = spawn_app().await;
    let mut binary = TestReceiver::start().await;
    let mut structured = TestReceiver::start().await;
    let created = app
        .subscribe(json!({"id": "signed", "sink": binary.url, "secret": "generate"}))
        .await;
    let secret = created["secret"]
        .as_str()
        .expect("the secret, shown once")
        .to_owned();
    assert!(secret.starts_with("whsec_"));
    let other = app
        .subscribe(json!({"sink": structured.url, "format": "structured", "secret": secret}))
        .await;
    assert!(
        other.get("secret").is_none(),
        "a given secret is never echoed"
    );
    app.post_event(&event("sig-1", "com.acme.signed.v1")).await;
    let verifier = Webhook::new(&secret).expect("a valid secret");
    for got in [binary.next().await, structured.next().await] {
        verifier
            .verify(&got.body, &got.headers)
            .expect("the official library verifies the delivery");
        let id = got.headers["webhook-id"].to_str().expect("text");
        assert!(id.starts_with("msg_") && !id.contains('.'));
        let mut tampered = got.body.to_vec();
        tampered.extend_from_slice(b" ");
        assert!(verifier.verify(&tampered, &got.headers).is_err());
        let wrong = Webhook::new(&format!("whsec_{}", "A".repeat(32))).expect("a secret");
        assert!(wrong.verify(&got.body, &got.headers).is_err());
    }
    app.stop().await;
}

#[tokio::test]
async fn the_webhook_id_is_the_same_on_every_retry_and_the_timestamp_is_each_attempts() {
    let app = spawn_app().await;
    let mut receiver = TestReceiver::scripted(vec![Reply::Status(503)]).await;
    // The jittered delay is at least half of backoffDelay: over a second, so the two attempts'
    // whole-second timestamps always differ.
    let created = app
        .subscribe(json!({"sink": receiver.url, "secret": "generate", "delivery": {"retry": 2, "backoffDelay": "PT2.1S", "backoffPolicy": "linear"}}))
        .await;
    let verifier = Webhook::new(created["secret"].as_str().expect("shown")).expect("valid");
    app.post_event(&event("sig-retry", "com.acme.signed.v1"))
        .await;
    let first = receiver.next().await;
    let second = receiver.next().await;
    assert_eq!(first.headers["webhook-id"], second.headers["webhook-id"]);
    let ts = |r: &crate::helpers::Received| -> i64 {
        r.headers["webhook-timestamp"]
            .to_str()
            .expect("text")
            .parse()
            .expect("seconds")
    };
    assert!(
        ts(&second) > ts(&first),
        "each attempt has its own timestamp"
    );
    verifier
        .verify(&second.body, &second.headers)
        .expect("the retry verifies");
    app.stop().await;
}

#[tokio::test]
async fn secrets_are_write_only_and_a_rotation_signs_with_both_secrets_during_the_grace_period() {
    let app = spawn_app().await;
    let mut receiver = TestReceiver::start().await;
    let created = app
        .subscribe(json!({"id": "rotating", "sink": receiver.url, "secret": "generate"}))
        .await;
    let old = created["secret"].as_str().expect("shown once").to_owned();
    let read = app.get_json("/subscriptions/rotating").await;
    assert_eq!(read["secretSet"], true);
    assert!(
        !read.to_string().contains(&old[6..]),
        "reads never show the secret"
    );
    let rotated = app
        .post_json(
            "/subscriptions/rotating/secret/rotate",
            &json!({"gracePeriod": "PT1H"}),
        )
        .await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let rotated: serde_json::Value = rotated.json().await.expect("JSON");
    let new = rotated["secret"]
        .as_str()
        .expect("the new secret")
        .to_owned();
    assert_ne!(new, old);
    assert_eq!(
        rotated["previousSecretsExpireAt"].as_array().map(Vec::len),
        Some(1)
    );
    app.post_event(&event("sig-rot", "com.acme.signed.v1"))
        .await;
    let got = receiver.next().await;
    let signatures = got.headers["webhook-signature"].to_str().expect("text");
    assert_eq!(signatures.split(' ').count(), 2, "{signatures}");
    for secret in [&old, &new] {
        Webhook::new(secret)
            .expect("valid")
            .verify(&got.body, &got.headers)
            .expect("both the old and the new secret verify during the overlap");
    }
    // A rotation with no grace retires the old secrets at once.
    let again = app
        .post_json(
            "/subscriptions/rotating/secret/rotate",
            &json!({"gracePeriod": "PT0S"}),
        )
        .await;
    let newest: serde_json::Value = again.json().await.expect("JSON");
    let newest = newest["secret"].as_str().expect("a secret").to_owned();
    app.post_event(&event("sig-rot-2", "com.acme.signed.v1"))
        .await;
    let got = receiver.next().await;
    assert_eq!(
        got.headers["webhook-signature"]
            .to_str()
            .expect("text")
            .split(' ')
            .count(),
        1
    );
    Webhook::new(&newest)
        .expect("valid")
        .verify(&got.body, &got.headers)
        .expect("verifies");
    assert!(
        Webhook::new(&new)
            .expect("valid")
            .verify(&got.body, &got.headers)
            .is_err()
    );
    receiver.expect_nothing(Duration::from_millis(100)).await;
    app.stop().await;
}

#[tokio::test]
async fn a_put_without_a_secret_keeps_it_and_an_invalid_secret_is_refused() {
    let app = spawn_app().await;
    let receiver = TestReceiver::start().await;
    app.subscribe(json!({"id": "keep", "sink": receiver.url, "secret": "generate"}))
        .await;
    let put = app
        .client
        .put(format!("{}/subscriptions/keep", app.address))
        .json(&json!({"sink": receiver.url}))
        .send()
        .await
        .expect("answers");
    assert_eq!(put.status(), StatusCode::OK);
    assert_eq!(app.get_json("/subscriptions/keep").await["secretSet"], true);
    let bad = app
        .post_json(
            "/subscriptions",
            &json!({"sink": receiver.url, "secret": "whsec_c2hvcnQ="}),
        )
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let problem: serde_json::Value = bad.json().await.expect("JSON");
    assert_eq!(problem["field"], "secret");
    app.stop().await;
}
