//! A rough load generator (the real harness is the `bench` crate): starts a gateway in process
//! on a temporary SQLite file (durable defaults: WAL, `synchronous=FULL`) and K receivers
//! answering 202, then measures ingest with no subscribers and end-to-end fan-out.
//!
//! `cargo run --release -p event-gateway --example loadgen -- [EVENTS] [CONCURRENCY] [K]`
//!
//! `LOADGEN_DATABASE_URL=postgres://…` runs it on that (empty) database instead, and
//! `LOADGEN_REPLICAS=N` starts N gateways on it (in this process, each with its own pool,
//! claimer and writer), the posters spreading events over them round-robin.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::post;
use event_gateway::{Application, GatewaySettings};
use shared_events::http::reqwest::RequestBuilderExt;
use shared_events::service::shutdown::CancellationToken;
use shared_events::{EventBuilder, EventBuilderV10};

async fn receiver(count: Arc<AtomicU64>) -> String {
    let app = Router::new().route(
        "/",
        post(move || {
            let count = count.clone();
            async move {
                count.fetch_add(1, Ordering::Relaxed);
                http::StatusCode::ACCEPTED
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let url = format!("http://{}/", listener.local_addr().expect("an address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

async fn post_all(urls: &[String], prefix: &str, events: u64, concurrency: u64) -> Duration {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let url = format!("{}/events", urls[worker as usize % urls.len()]);
        let (client, prefix) = (client.clone(), prefix.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut i = worker;
            while i < events {
                let event = EventBuilderV10::new()
                    .id(format!("{prefix}-{i}"))
                    .source("/loadgen")
                    .ty("com.acme.load.v1")
                    .subject("order-123")
                    .data("application/json", serde_json::json!({"order_id": "o-123", "total": 4200, "currency": "EUR", "items": [{"sku": "A-1", "qty": 2}]}))
                    .build()
                    .expect("an event");
                let response = client.post(&url).cloudevent(&event).expect("encodes").send().await.expect("answers");
                assert_eq!(response.status(), 202);
                i += concurrency;
            }
        }));
    }
    for task in tasks {
        task.await.expect("a poster");
    }
    started.elapsed()
}

#[tokio::main]
async fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (events, concurrency, k) = (
        args.first().copied().unwrap_or(20_000),
        args.get(1).copied().unwrap_or(64),
        args.get(2).copied().unwrap_or(1),
    );
    let dir = tempfile::tempdir().expect("a temp dir");
    let url = std::env::var("LOADGEN_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("gateway.db").display()));
    let replicas: usize = std::env::var("LOADGEN_REPLICAS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let token = CancellationToken::new();
    let (mut bases, mut running) = (Vec::new(), Vec::new());
    for _ in 0..replicas.max(1) {
        let app = Application::build(GatewaySettings::new(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            url.clone(),
        ))
        .await
        .expect("builds");
        bases.push(format!("http://{}", app.local_addr()));
        running.push(tokio::spawn(app.run_until_stopped(token.clone())));
    }
    let base = bases[0].clone();
    println!(
        "{} replica(s) on {}",
        bases.len(),
        url.split(':').next().unwrap_or_default()
    );

    // Ids unique per run, so runs can follow each other on one database (a sustained run).
    let run = uuid::Uuid::now_v7().simple().to_string();
    let took = post_all(&bases, &format!("ingest-{run}"), events, concurrency).await;
    println!(
        "ingest, no subscribers: {events} events in {took:.2?} = {:.0} events/s",
        events as f64 / took.as_secs_f64()
    );

    let count = Arc::new(AtomicU64::new(0));
    let client = reqwest::Client::new();
    let mut subscriptions = Vec::new();
    for _ in 0..k {
        let sink = receiver(count.clone()).await;
        let body = serde_json::json!({"sink": sink});
        let created: serde_json::Value = client
            .post(format!("{base}/subscriptions"))
            .json(&body)
            .send()
            .await
            .expect("subscribes")
            .json()
            .await
            .expect("JSON");
        subscriptions.push(created["id"].as_str().expect("an id").to_owned());
    }
    // Every replica's cache follows the subscriptions version within a quarter second.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let started = Instant::now();
    let posted = post_all(&bases, &format!("fanout-{run}"), events, concurrency).await;
    while count.load(Ordering::Relaxed) < events * k {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let took = started.elapsed();
    println!(
        "fan-out K={k}: {events} events posted in {posted:.2?}, all {} deliveries in {took:.2?} = {:.0} events/s, {:.0} deliveries/s",
        events * k,
        events as f64 / took.as_secs_f64(),
        (events * k) as f64 / took.as_secs_f64()
    );
    // Its receivers die with this process: leave no subscription behind for the next run.
    for id in subscriptions {
        client
            .delete(format!("{base}/subscriptions/{id}"))
            .send()
            .await
            .expect("unsubscribes");
    }
    token.cancel();
    for replica in running {
        replica.await.expect("the gateway task").expect("stops");
    }
}
