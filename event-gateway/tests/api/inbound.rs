//! Inbound webhooks and access control: `POST /webhooks/{source}` verified and ingested like
//! `POST /events`; bearer tokens on the management API.

use std::net::SocketAddr;

use chrono::Utc;
use http::StatusCode;
use serde_json::{Value, json};
use shared_events::AttributesReader;
use standardwebhooks::Webhook;

use crate::helpers::{TestApp, TestReceiver, spawn_app, spawn_app_with};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

async fn with_sources() -> TestApp {
    let dir = tempfile::tempdir().expect("a dir");
    let path = dir.path().join("sources.yaml");
    std::fs::write(
        &path,
        format!(
            "sources:\n  billing:\n    scheme: standard\n    secret: {SECRET}\n    source: https://billing.example/\n    type: {{field: type}}\n  gh:\n    scheme: github\n    secret: gh-secret\n    type: {{header: X-GitHub-Event}}\n"
        ),
    )
    .expect("written");
    let app = spawn_app_with(|s| s.webhook_sources = Some(path.clone())).await;
    drop(dir);
    app
}

async fn post_signed(
    app: &TestApp,
    id: &str,
    timestamp: i64,
    body: &str,
    secret: &str,
) -> reqwest::Response {
    let signature = Webhook::new(secret)
        .expect("a secret")
        .sign(id, timestamp, body.as_bytes())
        .expect("signs");
    app.client
        .post(format!("{}/webhooks/billing", app.address))
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .expect("answers")
}

#[tokio::test]
async fn a_signed_webhook_is_ingested_once_and_forged_or_stale_ones_are_401_and_store_nothing() {
    let app = with_sources().await;
    let mut receiver = TestReceiver::start().await;
    app.subscribe(json!({"sink": receiver.url})).await;
    let body = r#"{"type":"invoice.paid","data":{"id":"in_1","amount":1200}}"#;
    let now = Utc::now().timestamp();
    let accepted = post_signed(&app, "msg_1", now, body, SECRET).await;
    assert_eq!(accepted.status(), StatusCode::ACCEPTED);
    let got = receiver.next().await;
    assert_eq!(got.event.id(), "msg_1");
    assert_eq!(got.event.ty(), "com.example.billing.invoice.paid.v1");
    assert_eq!(got.event.source().to_string(), "https://billing.example/");
    let data: Value = serde_json::from_slice(&got.body).expect("JSON data");
    assert_eq!(data, serde_json::from_str::<Value>(body).expect("JSON"));
    let replay = post_signed(&app, "msg_1", now, body, SECRET).await;
    assert_eq!(replay.status(), StatusCode::OK, "a replay is acknowledged");
    let forged = post_signed(
        &app,
        "msg_2",
        now,
        body,
        "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    )
    .await;
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(forged.headers()["content-type"], "application/problem+json");
    let stale = post_signed(&app, "msg_3", now - 6 * 60, body, SECRET).await;
    assert_eq!(stale.status(), StatusCode::UNAUTHORIZED);
    let future = post_signed(&app, "msg_4", now + 6 * 60, body, SECRET).await;
    assert_eq!(future.status(), StatusCode::UNAUTHORIZED);
    let unsigned = app
        .client
        .post(format!("{}/webhooks/billing", app.address))
        .body(body)
        .send()
        .await
        .expect("answers");
    assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.count("events").await,
        1,
        "only the genuine webhook was stored"
    );
    receiver
        .expect_nothing(std::time::Duration::from_millis(200))
        .await;
    let unknown = app
        .client
        .post(format!("{}/webhooks/nope", app.address))
        .body("{}")
        .send()
        .await
        .expect("answers");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn a_github_style_webhook_is_verified_with_x_hub_signature_256() {
    use hmac::{Hmac, Mac};
    let app = with_sources().await;
    let body = r#"{"ref":"refs/heads/main"}"#;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"gh-secret").expect("a key");
    mac.update(body.as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let send = |signature: String| {
        app.client
            .post(format!("{}/webhooks/gh", app.address))
            .header("content-type", "application/json")
            .header("x-github-event", "push")
            .header("x-github-delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
            .header("x-hub-signature-256", signature)
            .body(body)
            .send()
    };
    assert_eq!(
        send(format!("sha256={hex}"))
            .await
            .expect("answers")
            .status(),
        StatusCode::ACCEPTED
    );
    assert_eq!(
        send(format!("sha256={}", "0".repeat(64)))
            .await
            .expect("answers")
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.count("events").await, 1);
    app.stop().await;
}

const WRITE: &str = "write-token-0123456789abcdef";
const READ: &str = "read-token-0123456789abcdef";

#[tokio::test]
async fn with_tokens_the_api_needs_a_bearer_token_of_the_right_scope() {
    let app = spawn_app_with(|s| {
        s.api_tokens = vec![WRITE.parse().expect("a token")];
        s.read_tokens = vec![READ.parse().expect("a token")];
    })
    .await;
    let url = format!("{}/subscriptions", app.address);
    let body = json!({"sink": "http://127.0.0.1:9/"});
    let none = app
        .client
        .post(&url)
        .json(&body)
        .send()
        .await
        .expect("answers");
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(none.headers()["content-type"], "application/problem+json");
    assert!(none.headers().contains_key("www-authenticate"));
    let wrong = app
        .client
        .get(&url)
        .bearer_auth("not-a-token-at-all-xyz")
        .send()
        .await
        .expect("answers");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let read = app
        .client
        .get(&url)
        .bearer_auth(READ)
        .send()
        .await
        .expect("answers");
    assert_eq!(read.status(), StatusCode::OK);
    let read_write = app
        .client
        .post(&url)
        .bearer_auth(READ)
        .json(&body)
        .send()
        .await
        .expect("answers");
    assert_eq!(read_write.status(), StatusCode::FORBIDDEN);
    let write = app
        .client
        .post(&url)
        .bearer_auth(WRITE)
        .json(&body)
        .send()
        .await
        .expect("answers");
    assert_eq!(write.status(), StatusCode::CREATED);
    for path in ["/events", "/deadletters"] {
        let r = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .expect("answers");
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    let event = app
        .client
        .post(format!("{}/events", app.address))
        .header("ce-specversion", "1.0")
        .header("ce-id", "1")
        .header("ce-source", "/t")
        .header("ce-type", "t")
        .send()
        .await
        .expect("answers");
    assert_eq!(event.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/healthz").await.status(),
        StatusCode::OK,
        "health stays open"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_gateway_refuses_to_listen_on_a_public_address_without_tokens_unless_insecure() {
    let dir = tempfile::tempdir().expect("a dir");
    let url = format!("sqlite://{}", dir.path().join("g.db").display());
    let mut settings =
        event_gateway::GatewaySettings::new(SocketAddr::from(([0, 0, 0, 0], 0)), url);
    let refused = event_gateway::Application::build(settings.clone()).await;
    assert!(refused.is_err_and(|e| e.to_string().contains("--insecure")));
    settings.insecure = true;
    assert!(event_gateway::Application::build(settings).await.is_ok());
    let open = spawn_app().await;
    assert_eq!(
        open.get("/subscriptions").await.status(),
        StatusCode::OK,
        "loopback without tokens is open"
    );
    open.stop().await;
}
