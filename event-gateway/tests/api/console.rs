//! The web console through real HTTP: every page, escaping of hostile event data, the exact
//! figures of the overview, who may use it (off on a network listener without tokens, tokens
//! through a login cookie, read tokens read only), cross-site forms refused, pause and resume,
//! the subscription form, and bulk redelivery with its dry run and progress. (The browser side
//! — scripts, live tail, keyboard — is tests/browser.)

use http::StatusCode;
use serde_json::json;
use shared_events::{Event, EventBuilder, EventBuilderV10};

use crate::helpers::{Reply, TestApp, TestReceiver, event, spawn_app, wait_for};

mod access;
mod actions;

/// A client that does not follow redirects (to see them).
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}

async fn page(app: &TestApp, path: &str) -> (StatusCode, String) {
    let response = app.get(path).await;
    let status = response.status();
    (status, response.text().await.expect("a body"))
}

/// GETs a console page, asserting 200 HTML with the console's headers.
async fn html(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        header("content-type").starts_with("text/html"),
        "GET {path}"
    );
    assert!(
        header("content-security-policy").contains("script-src 'self'"),
        "GET {path}"
    );
    assert_eq!(header("x-frame-options"), "DENY");
    response.text().await.expect("a body")
}

/// The cursor of the event `source`/`id`.
async fn cursor_of(app: &TestApp, source: &str, id: &str) -> String {
    let path = format!("/events?source={}&id={}", urlencode(source), urlencode(id));
    let found = app.get_json(&path).await;
    found["events"][0]["cursor"]
        .as_str()
        .expect("the event is retained")
        .to_owned()
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn order_created(id: &str) -> Event {
    EventBuilderV10::new()
        .id(id)
        .source("/order-service")
        .ty("com.example.order.created.v1")
        .subject("0190b2a4-7c1e-7000-8000-000000000001")
        .data(
            "application/json",
            json!({
                "order_id": "0190b2a4-7c1e-7000-8000-000000000001", "customer_id": "c-1",
                "items": [{"sku": "book", "quantity": 1, "unit_price_cents": 1200}],
                "total_cents": 1200, "currency": "EUR"
            }),
        )
        .build()
        .expect("a valid event")
}

#[tokio::test]
async fn every_console_page_answers_with_its_content() {
    let app = spawn_app().await;
    let mut receiver = TestReceiver::start().await;
    app.subscribe(json!({"id": "orders", "sink": receiver.url, "filters": [{"prefix": {"type": "com.example.order."}}]}))
        .await;
    assert_eq!(
        app.post_event(&order_created("o-1")).await.status(),
        StatusCode::ACCEPTED
    );
    receiver.next().await;
    let cursor = cursor_of(&app, "/order-service", "o-1").await;
    wait_for(|| async {
        let d = app.get_json(&format!("/events/{cursor}")).await;
        (d["deliveries"][0]["status"] == "delivered").then_some(())
    })
    .await;

    let overview = html(&app, "/console").await;
    for text in [
        "Ingest rate",
        "Delivery success",
        "p99 latency",
        "orders",
        "Last failures",
    ] {
        assert!(overview.contains(text), "the overview shows {text}");
    }
    let tail = html(&app, "/console/tail?type=com.example.&status=failed").await;
    assert!(tail.contains(r#"data-stream="/console/stream?include=deliveries""#));
    assert!(
        tail.contains(r#"value="com.example.""#),
        "filters come from the URL"
    );
    assert!(tail.contains(r#"<option value="failed" selected>"#));
    let events = html(&app, "/console/events?type=com.example.order").await;
    assert!(events.contains("o-1") && events.contains("1 of 1 delivered"));
    let none = html(&app, "/console/events?type=com.nothing").await;
    assert!(none.contains("No retained event matches"));
    let detail = html(&app, &format!("/console/events/{cursor}")).await;
    for text in [
        "Valid against the schema of",
        "com.example.order.created.v1",
        r#"data-subscription="orders" data-status="delivered""#,
        "curl -i -X POST",
        "cectl --gateway",
        "&quot;customer_id&quot;: &quot;c-1&quot;",
    ] {
        assert!(detail.contains(text), "the event page shows {text}");
    }
    let dead = html(&app, "/console/deadletters").await;
    assert!(dead.contains("No dead letters"));
    let subs = html(&app, "/console/subscriptions").await;
    assert!(subs.contains(r#"data-subscription="orders""#));
    let sub = html(&app, "/console/subscriptions/orders").await;
    assert!(sub.contains("com.example.order.") && sub.contains(&receiver.url));
    assert!(sub.contains(r#"id="pause""#));
    let new = html(&app, "/console/subscriptions/new").await;
    assert!(new.contains(r#"action="/console/subscriptions""#));
    let edit = html(&app, "/console/subscriptions/orders/edit").await;
    assert!(edit.contains("Matches <strong>1</strong> of the last 1 events"));
    let catalog = html(&app, "/console/catalog").await;
    for entry in shared_events::catalog::CATALOG {
        assert!(catalog.contains(entry.event_type), "{}", entry.event_type);
    }
    let one = html(&app, "/console/catalog/com.example.order.created.v1").await;
    assert!(one.contains("the schema accepts it"));
    assert!(one.contains(r#"<a href="/console/subscriptions/orders">orders</a>"#));
    assert!(one.contains("Newest retained event"));
    let payment = html(&app, "/console/catalog/com.example.payment.created.v1").await;
    assert!(
        payment.contains("Nobody."),
        "`orders` filters order events only"
    );
    let (status, _) = page(&app, "/console/catalog/com.acme.unknown.v1").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = page(&app, "/console/events/not-a-cursor").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body.contains("<!DOCTYPE html>"),
        "an HTML page, not problem+json"
    );
    let asset = app.get("/console/assets/htmx.min.js").await;
    assert_eq!(asset.status(), StatusCode::OK);
    assert!(
        asset.headers()["cache-control"]
            .to_str()
            .is_ok_and(|v| v.contains("max-age=31536000"))
    );
    assert!(asset.text().await.expect("js").starts_with("/*! htmx 2."));
    app.stop().await;
}

#[tokio::test]
async fn hostile_event_data_is_escaped_on_every_page() {
    let app = spawn_app().await;
    let receiver = TestReceiver::scripted(vec![Reply::Status(400)]).await;
    app.subscribe(json!({"id": "rejects", "sink": receiver.url}))
        .await;
    let hostile = EventBuilderV10::new()
        .id("<img src=x onerror=alert(1)>")
        .source("/tests")
        .ty("com.acme.<script>alert(2)</script>.v1")
        .subject("\"><script>alert(3)</script>")
        .extension("note", "<b onmouseover=alert(4)>")
        .data(
            "application/json",
            json!({"html": "</pre><script>alert(5)</script>"}),
        )
        .build()
        .expect("a valid event");
    assert_eq!(
        app.post_event(&hostile).await.status(),
        StatusCode::ACCEPTED
    );
    app.wait_for_dead_letter("rejects").await;
    let cursor = cursor_of(&app, "/tests", "<img src=x onerror=alert(1)>").await;
    for path in [
        "/console".to_owned(),
        "/console/events".to_owned(),
        format!("/console/events/{cursor}"),
        "/console/deadletters".to_owned(),
        "/console/subscriptions/rejects/edit".to_owned(),
    ] {
        let body = html(&app, &path).await;
        for raw in ["<script>alert", "<img src=x", "<b onmouseover"] {
            assert!(!body.contains(raw), "{path} contains raw `{raw}`");
        }
        assert!(
            body.contains("&lt;img src=x onerror=alert(1)&gt;")
                || body.contains("&lt;script&gt;alert(2)"),
            "{path} shows the hostile text escaped"
        );
    }
    let search = html(
        &app,
        "/console/events?id=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
    )
    .await;
    assert!(search.contains(r#"value="&lt;img src=x onerror=alert(1)&gt;""#));
    app.stop().await;
}

#[tokio::test]
async fn the_overview_figures_are_the_stores_exact_counts() {
    let app = spawn_app().await;
    let mut ok = TestReceiver::start().await;
    let mut rejects = TestReceiver::scripted(vec![Reply::Status(400); 3]).await;
    app.subscribe(json!({"id": "ok", "sink": ok.url})).await;
    app.subscribe(json!({"id": "rejects", "sink": rejects.url}))
        .await;
    for i in 0..3 {
        app.post_event(&event(&format!("n-{i}"), "com.acme.counted.v1"))
            .await;
        ok.next().await;
        rejects.next().await;
    }
    wait_for(|| async {
        let dead = app.get_json("/deadletters?subscription=rejects").await;
        (dead["deadLetters"].as_array().map(Vec::len) == Some(3)).then_some(())
    })
    .await;
    let body = wait_for(|| async {
        let body = html(&app, "/console/overview/stats").await;
        body.contains("3 of 6 attempts delivered").then_some(body)
    })
    .await;
    assert!(body.contains("50.0 %"), "3 delivered of 6 settled attempts");
    assert!(body.contains("3 accepted in the last 5m"));
    assert!(body.contains(r#"<dd class="figure"><a href="/console/deadletters">3</a></dd>"#));
    assert!(body.contains("0.01 events/s"), "3 events over 300 s");
    let failures = body.matches("/redeliver\"").count();
    assert_eq!(
        failures, 6,
        "3 dead letters, each with a form and an htmx post"
    );
    let hour = html(&app, "/console?window=1h").await;
    assert!(hour.contains("3 accepted in the last 1h") && hour.contains("0.00 events/s"));
    let search = html(&app, "/console/events?type=com.acme.counted").await;
    assert_eq!(search.matches("1 of 2 delivered").count(), 3);
    assert_eq!(search.matches("1 dead").count(), 3);
    app.stop().await;
}
