//! Flow control and the sink's say: the handshake, rate limits, 429 pauses, 410 Gone and
//! continuous failure.

use std::time::{Duration, Instant};

use serde_json::json;
use shared_events::AttributesReader;

use crate::helpers::{Handshake, Reply, TestReceiver, event, spawn_app, spawn_app_with, wait_for};

#[tokio::test]
async fn a_granted_handshake_activates_the_subscription_with_the_allowed_rate() {
    let app = spawn_app_with(|s| s.webhook_origin = "gw.example.com".to_owned()).await;
    let mut receiver = TestReceiver::with_handshake(
        Vec::new(),
        Handshake::Allow("gw.example.com".to_owned(), Some("120".to_owned())),
    )
    .await;
    let created = app
        .subscribe(json!({"id": "hs-ok", "sink": receiver.url, "rateLimit": 5, "delivery": {"handshake": true}}))
        .await;
    assert_eq!(created["status"], "active");
    let options = receiver.options.recv().await.expect("an OPTIONS request");
    assert_eq!(options["webhook-request-origin"], "gw.example.com");
    assert_eq!(
        options["webhook-request-rate"], "300",
        "5/s asked as 300/min"
    );
    app.post_event(&event("hs-1", "com.acme.hs.v1")).await;
    let got = receiver.next().await;
    assert_eq!(got.headers["webhook-request-origin"], "gw.example.com");
    // 120/min = 2/s, stricter than the subscription's 5/s: three events take at least 1 s.
    let started = Instant::now();
    for n in 2..=4 {
        app.post_event(&event(&format!("hs-{n}"), "com.acme.hs.v1"))
            .await;
    }
    for _ in 0..3 {
        receiver.next().await;
    }
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    app.stop().await;
}

#[tokio::test]
async fn a_sink_that_refuses_the_handshake_is_visible_as_refused_and_gets_nothing() {
    let app = spawn_app().await;
    let mut receiver = TestReceiver::with_handshake(Vec::new(), Handshake::Refuse).await;
    let created = app
        .subscribe(json!({"id": "hs-no", "sink": receiver.url, "delivery": {"handshake": true}}))
        .await;
    assert_eq!(created["status"], "refused");
    assert!(
        created["statusReason"]
            .as_str()
            .is_some_and(|r| r.contains("405"))
    );
    let other_origin = TestReceiver::with_handshake(
        Vec::new(),
        Handshake::Allow("someone-else.example".to_owned(), None),
    )
    .await;
    let created = app
        .subscribe(json!({"sink": other_origin.url, "delivery": {"handshake": true}}))
        .await;
    assert_eq!(created["status"], "refused");
    app.post_event(&event("hs-refused", "com.acme.hs.v1")).await;
    receiver.expect_nothing(Duration::from_millis(500)).await;
    assert_eq!(
        app.get_json("/subscriptions/hs-no").await["status"],
        "refused"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_sink_may_grant_the_handshake_later_through_the_callback() {
    let app = spawn_app_with(|s| {
        s.public_url = Some("http://gateway.invalid/".parse().expect("a URL"));
    })
    .await;
    let mut receiver = TestReceiver::with_handshake(Vec::new(), Handshake::Refuse).await;
    let created = app
        .subscribe(json!({"id": "hs-later", "sink": receiver.url, "delivery": {"handshake": true}}))
        .await;
    assert_eq!(created["status"], "pending_validation");
    let options = receiver.options.recv().await.expect("an OPTIONS request");
    let callback = options["webhook-request-callback"].to_str().expect("text");
    let path = callback
        .strip_prefix("http://gateway.invalid")
        .expect("our URL");
    app.post_event(&event("held", "com.acme.hs.v1")).await;
    receiver.expect_nothing(Duration::from_millis(300)).await;
    let forged = app.get("/handshake/hs-later?token=nope").await;
    assert_eq!(forged.status(), 404);
    let granted = app.get(path).await;
    assert_eq!(granted.status(), 200);
    assert_eq!(
        receiver.next().await.event.id(),
        "held",
        "held events flow once granted"
    );
    assert_eq!(
        app.get_json("/subscriptions/hs-later").await["status"],
        "active"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_five_per_second_subscription_is_held_to_its_rate_while_another_is_not_slowed() {
    let app = spawn_app().await;
    let mut slow = TestReceiver::start().await;
    let mut fast = TestReceiver::start().await;
    app.subscribe(json!({"sink": slow.url, "rateLimit": 5, "filters": [{"exact": {"type": "com.acme.slow.v1"}}]}))
        .await;
    app.subscribe(json!({"sink": fast.url, "filters": [{"exact": {"type": "com.acme.fast.v1"}}]}))
        .await;
    const N: usize = 6;
    let started = Instant::now();
    for n in 0..N {
        app.post_event(&event(&format!("slow-{n}"), "com.acme.slow.v1"))
            .await;
    }
    for n in 0..N {
        app.post_event(&event(&format!("fast-{n}"), "com.acme.fast.v1"))
            .await;
    }
    for _ in 0..N {
        fast.next().await;
    }
    let fast_took = started.elapsed();
    let mut times = Vec::new();
    for _ in 0..N {
        times.push(slow.next().await.at);
    }
    let slow_took = times[N - 1] - started;
    let bound = Duration::from_secs_f64((N - 1) as f64 / 5.0);
    assert!(slow_took >= bound, "{slow_took:?} < {bound:?}");
    assert!(
        fast_took < bound,
        "the unlimited subscription was slowed: {fast_took:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_429_with_retry_after_pauses_the_subscription() {
    let app = spawn_app().await;
    let mut receiver = TestReceiver::scripted(vec![Reply::RetryAfter(429, "1")]).await;
    app.subscribe(
        json!({"id": "paused", "sink": receiver.url, "delivery": {"backoffDelay": "PT0.01S"}}),
    )
    .await;
    app.post_event(&event("p-1", "com.acme.p.v1")).await;
    let first = receiver.next().await;
    assert!(app.get_json("/subscriptions/paused").await["pausedUntil"].is_string());
    app.post_event(&event("p-2", "com.acme.p.v1")).await;
    let second = receiver.next().await;
    assert!(
        second.at - first.at >= Duration::from_millis(950),
        "not paused"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_410_gone_disables_the_subscription_and_parks_its_pending_deliveries() {
    let app = spawn_app().await;
    let mut receiver = TestReceiver::scripted(vec![
        Reply::Hang(Duration::from_millis(300)),
        Reply::Status(410),
    ])
    .await;
    app.subscribe(json!({"id": "gone", "sink": receiver.url, "delivery": {"maxConcurrency": 1}}))
        .await;
    app.post_event(&event("g-1", "com.acme.g.v1")).await;
    app.post_event(&event("g-2", "com.acme.g.v1")).await;
    app.post_event(&event("g-3", "com.acme.g.v1")).await;
    receiver.next().await;
    receiver.next().await;
    let sub = wait_for(|| async {
        let sub = app.get_json("/subscriptions/gone").await;
        (sub["status"] == "disabled").then_some(sub)
    })
    .await;
    assert!(
        sub["statusReason"]
            .as_str()
            .is_some_and(|r| r.contains("410"))
    );
    let letters = wait_for(|| async {
        let list = app.get_json("/deadletters?subscription=gone").await["deadLetters"].clone();
        (list.as_array().map(Vec::len) == Some(2)).then_some(list)
    })
    .await;
    assert!(letters.to_string().contains("subscription_disabled"));
    app.post_event(&event("g-4", "com.acme.g.v1")).await;
    receiver.expect_nothing(Duration::from_millis(300)).await;
    // A PUT re-enables it; the parked deliveries can be redelivered.
    let put = app
        .client
        .put(format!("{}/subscriptions/gone", app.address))
        .json(&json!({"sink": receiver.url}))
        .send()
        .await
        .expect("answers");
    assert_eq!(put.status(), 200);
    assert_eq!(
        app.get_json("/subscriptions/gone").await["status"],
        "active"
    );
    app.post_json("/deadletters/redeliver?subscription=gone", &json!({}))
        .await;
    let mut ids = [
        receiver.next().await.event.id().to_owned(),
        receiver.next().await.event.id().to_owned(),
    ];
    ids.sort();
    assert_eq!(ids, ["g-2", "g-3"], "the parked deliveries come back");
    app.stop().await;
}

#[tokio::test]
async fn a_subscription_failing_continuously_for_the_configured_time_is_disabled() {
    let app = spawn_app_with(|s| s.disable_after = "PT0.5S".parse().expect("a duration")).await;
    let receiver = TestReceiver::scripted(vec![Reply::Status(500); 50]).await;
    app.subscribe(json!({"id": "failing", "sink": receiver.url, "delivery": {"retry": 50, "backoffDelay": "PT0.1S", "backoffPolicy": "linear", "backoffMax": "PT0.1S"}}))
        .await;
    app.post_event(&event("f-1", "com.acme.f.v1")).await;
    let sub = wait_for(|| async {
        let sub = app.get_json("/subscriptions/failing").await;
        (sub["status"] == "disabled").then_some(sub)
    })
    .await;
    assert!(
        sub["statusReason"]
            .as_str()
            .is_some_and(|r| r.contains("failed"))
    );
    app.wait_for_dead_letter("failing").await;
    drop(receiver);
    app.stop().await;
}
