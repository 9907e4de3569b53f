//! The SSRF guard through the API: every non-public address class is refused at subscription
//! time and at delivery time unless allow-listed; `https_only`.

use std::net::SocketAddr;
use std::time::Duration;

use http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestReceiver, spawn_app_in, spawn_app_with};

/// A gateway listening on every interface (so loopback is not implicitly trusted).
fn public(settings: &mut event_gateway::GatewaySettings) {
    settings.listen = SocketAddr::from(([0, 0, 0, 0], 0));
    settings.insecure = true;
}

#[tokio::test]
async fn sinks_in_every_non_public_address_class_are_refused_naming_the_field() {
    let app = spawn_app_with(public).await;
    let app_address = app.address.replace("0.0.0.0", "127.0.0.1");
    for sink in [
        "http://127.0.0.1/",
        "http://localhost/",
        "http://[::1]/",
        "http://10.0.0.1/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data",
        "http://[fe80::1]/",
        "http://[fd00::1]/",
        "http://224.0.0.1/",
        "http://[ff02::1]/",
        "http://0.0.0.0/",
        "http://[::]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://100.64.0.1/",
    ] {
        let response = app
            .client
            .post(format!("{app_address}/subscriptions"))
            .json(&json!({"sink": sink}))
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{sink}");
        let problem: Value = response.json().await.expect("JSON");
        assert_eq!(problem["field"], "sink", "{sink}");
        let dls = app
            .client
            .post(format!("{app_address}/subscriptions"))
            .json(&json!({"sink": "http://93.184.216.34/", "delivery": {"deadLetterSink": sink}}))
            .send()
            .await
            .expect("answers");
        assert_eq!(dls.status(), StatusCode::BAD_REQUEST, "{sink}");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_allow_listed_network_is_accepted_and_https_only_refuses_plain_http() {
    let app = spawn_app_with(|s| {
        public(s);
        s.allow_sinks = vec!["127.0.0.0/8".parse().expect("a CIDR")];
    })
    .await;
    let address = app.address.replace("0.0.0.0", "127.0.0.1");
    let mut receiver = TestReceiver::start().await;
    let created = app
        .client
        .post(format!("{address}/subscriptions"))
        .json(&json!({"sink": receiver.url}))
        .send()
        .await
        .expect("answers");
    assert_eq!(created.status(), StatusCode::CREATED);
    let still_refused = app
        .client
        .post(format!("{address}/subscriptions"))
        .json(&json!({"sink": "http://10.0.0.1/"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(still_refused.status(), StatusCode::BAD_REQUEST);
    app.client
        .post(format!("{address}/events"))
        .header("ce-specversion", "1.0")
        .header("ce-id", "allowed-1")
        .header("ce-source", "/t")
        .header("ce-type", "com.acme.t.v1")
        .send()
        .await
        .expect("answers");
    receiver.next().await;
    app.stop().await;

    let strict = spawn_app_with(|s| s.https_only = true).await;
    let plain = strict
        .post_json("/subscriptions", &json!({"sink": "http://93.184.216.34/"}))
        .await;
    assert_eq!(plain.status(), StatusCode::BAD_REQUEST);
    let tls = strict
        .post_json("/subscriptions", &json!({"sink": "https://93.184.216.34/"}))
        .await;
    assert_eq!(tls.status(), StatusCode::CREATED);
    strict.stop().await;
}

#[tokio::test]
async fn a_sink_that_became_forbidden_is_refused_again_at_delivery_time() {
    let dir = std::sync::Arc::new(tempfile::tempdir().expect("a dir"));
    let mut receiver = TestReceiver::start().await;
    let local = spawn_app_in(dir.clone(), |_| {}).await;
    local
        .subscribe(json!({"id": "was-ok", "sink": receiver.url.replace("127.0.0.1", "localhost"), "delivery": {"retry": 0}}))
        .await;
    local.stop().await;
    // The same database behind a gateway that no longer trusts loopback.
    let app = spawn_app_in(dir, public).await;
    let address = app.address.replace("0.0.0.0", "127.0.0.1");
    app.client
        .post(format!("{address}/events"))
        .header("ce-specversion", "1.0")
        .header("ce-id", "late-1")
        .header("ce-source", "/t")
        .header("ce-type", "com.acme.t.v1")
        .send()
        .await
        .expect("answers");
    receiver.expect_nothing(Duration::from_millis(500)).await;
    let letters = crate::helpers::wait_for(|| async {
        let r = app
            .client
            .get(format!("{address}/deadletters/1"))
            .send()
            .await
            .ok()?;
        (r.status() == StatusCode::OK).then_some(())?;
        r.json::<Value>().await.ok()
    })
    .await;
    assert!(
        letters["history"].to_string().contains("refuses"),
        "{letters}"
    );
    app.stop().await;
}
