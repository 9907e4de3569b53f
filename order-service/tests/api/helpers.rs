//! `spawn_app_on()` and `TestReceiver`: the real order-service on port 0 with a fresh database,
//! and a real axum sink standing in for `K_SINK`.

use crate::database::{Backend, TestDatabase};
use axum::Router;
use axum::extract::State;
use axum::routing::post;
use http::StatusCode;
use order_service::settings::OrderSettings;
use order_service::startup::Application;
use serde_json::{Value, json};
use shared_events::http::Incoming;
use shared_events::service::shutdown::CancellationToken;
use shared_events::{AttributesReader, Event};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;
use url::Url;

/// Waits for `check` to return `Some`, polling, failing the test after `deadline`.
pub async fn eventually<T, F, Fut>(what: &str, deadline: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let until = tokio::time::Instant::now() + deadline;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < until,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A real HTTP sink on port 0: answers every CloudEvent (single or batched) with the current status and forwards
/// it over a channel.
pub struct TestReceiver {
    /// Its `/events` URL.
    pub url: Url,
    status: Arc<AtomicU16>,
    received: Mutex<mpsc::UnboundedReceiver<Event>>,
}

impl TestReceiver {
    /// A receiver answering 202.
    pub async fn start() -> Self {
        let status = Arc::new(AtomicU16::new(202));
        let (tx, rx) = mpsc::unbounded_channel();
        let app = Router::new()
            .route(
                "/events",
                post(
                    |State((status, tx)): State<(Arc<AtomicU16>, mpsc::UnboundedSender<Event>)>,
                     incoming: Incoming| async move {
                        let code = StatusCode::from_u16(status.load(Ordering::SeqCst))
                            .unwrap_or(StatusCode::OK);
                        if code.is_success() {
                            for event in incoming.into_events() {
                                let _ = tx.send(event);
                            }
                        }
                        code
                    },
                ),
            )
            .with_state((status.clone(), tx));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = Url::parse(&format!(
            "http://{}/events",
            listener.local_addr().expect("addr")
        ))
        .expect("url");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            url,
            status,
            received: Mutex::new(rx),
        }
    }

    /// Answers with `status` from now on (events are only forwarded on 2xx).
    pub fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    /// Waits until `n` more events arrived, in arrival order.
    pub async fn take(&self, n: usize) -> Vec<Event> {
        let mut rx = self.received.lock().await;
        let mut events = Vec::with_capacity(n);
        while events.len() < n {
            match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
                Ok(Some(event)) => events.push(event),
                _ => panic!(
                    "expected {n} events, got {}: {:?}",
                    events.len(),
                    types(&events)
                ),
            }
        }
        events
    }

    /// Waits for the next event of `event_type`, skipping others; returns it.
    pub async fn next_of(&self, event_type: &str) -> Event {
        let mut rx = self.received.lock().await;
        loop {
            match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
                Ok(Some(event)) if event.ty() == event_type => return event,
                Ok(Some(_)) => {}
                _ => panic!("no {event_type} arrived"),
            }
        }
    }

    /// Everything that arrived within `quiet` of silence.
    pub async fn drain(&self, quiet: Duration) -> Vec<Event> {
        let mut rx = self.received.lock().await;
        let mut events = Vec::new();
        while let Ok(Some(event)) = tokio::time::timeout(quiet, rx.recv()).await {
            events.push(event);
        }
        events
    }
}

/// The types of `events`.
pub fn types(events: &[Event]) -> Vec<String> {
    events.iter().map(|e| e.ty().to_owned()).collect()
}

/// A running order-service.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// A client.
    pub client: reqwest::Client,
    /// The database URL (to restart on the same file).
    pub database_url: String,
    /// The sink it relays to.
    pub sink: Arc<TestReceiver>,
    shutdown: CancellationToken,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
    _database: Option<Arc<TestDatabase>>,
}

/// The test settings for a database and sink.
pub fn settings(database_url: &str, sink: &TestReceiver) -> OrderSettings {
    shared_events::service::telemetry::init_for_tests();
    let payment_url = Url::parse("http://127.0.0.1:9/events").expect("url");
    OrderSettings::for_tests(database_url.to_owned(), sink.url.clone(), payment_url)
}

/// Starts order-service with `settings`, relaying to `sink`.
pub async fn start(
    settings: OrderSettings,
    sink: Arc<TestReceiver>,
    database: Option<Arc<TestDatabase>>,
) -> TestApp {
    let database_url = settings.database.database_url.clone();
    let app = Application::build(settings).await.expect("app builds");
    let address = format!("http://{}", app.local_addr().expect("addr"));
    let shutdown = CancellationToken::new();
    let handle = tokio::spawn(app.run_until_stopped(shutdown.clone()));
    TestApp {
        address,
        client: reqwest::Client::new(),
        database_url,
        sink,
        shutdown,
        handle: Some(handle),
        _database: database,
    }
}

/// order-service on a fresh database of `backend`; `None` when that backend is unavailable
/// (the test reports itself skipped).
pub async fn spawn_app_on(backend: Backend) -> Option<TestApp> {
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    let database = TestDatabase::create(backend, &test).await?;
    let sink = Arc::new(TestReceiver::start().await);
    Some(
        start(
            settings(&database.url, &sink),
            sink,
            Some(Arc::new(database)),
        )
        .await,
    )
}

/// A valid order body.
pub fn order_body() -> Value {
    json!({
        "customer_id": "c-42",
        "items": [{"sku": "SKU-1", "quantity": 2, "unit_price_cents": 1250}],
        "currency": "EUR"
    })
}

impl TestApp {
    /// Stops it (as SIGTERM would) and waits for it to drain; keeps the database.
    pub async fn stop(&mut self) {
        self.shutdown.cancel();
        if let Some(handle) = self.handle.take() {
            handle.await.expect("joins").expect("stops cleanly");
        }
    }

    /// Starts it again on the same database and sink.
    pub async fn restart(mut self) -> TestApp {
        self.stop().await;
        let settings = settings(&self.database_url, &self.sink);
        start(settings, self.sink.clone(), self._database.take()).await
    }

    /// `POST /orders` with `body`.
    pub async fn post_order(&self, body: &Value) -> reqwest::Response {
        self.client
            .post(format!("{}/orders", self.address))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// Places a valid order and returns its JSON.
    pub async fn place_order(&self) -> Value {
        let response = self.post_order(&order_body()).await;
        assert_eq!(response.status(), 201);
        response.json().await.expect("json")
    }

    /// `GET` a path, returning status and JSON body.
    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// `POST /orders/{id}/cancel`.
    pub async fn cancel(&self, id: &str) -> reqwest::Response {
        self.client
            .post(format!("{}/orders/{id}/cancel", self.address))
            .send()
            .await
            .expect("request")
    }

    /// Posts `event` to `/events` in binary mode.
    pub async fn post_event(&self, event: &Event) -> reqwest::Response {
        use shared_events::http::reqwest::RequestBuilderExt;
        self.client
            .post(format!("{}/events", self.address))
            .cloudevent(event)
            .expect("encodes")
            .send()
            .await
            .expect("request")
    }

    /// The order's status as `GET /orders/{id}` says.
    pub async fn status_of(&self, id: &str) -> String {
        let (_, order) = self.get_json(&format!("/orders/{id}")).await;
        order["status"].as_str().unwrap_or_default().to_owned()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
