//! The test harness: a real gateway on port 0 with a fresh SQLite file ([`spawn_app`]), real
//! subscribers ([`TestReceiver`]) and waiting on conditions with deadlines.

use std::collections::VecDeque;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use event_gateway::{Application, GatewaySettings};
use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use shared_events::http::Incoming;
use shared_events::http::reqwest::RequestBuilderExt;
use shared_events::service::shutdown::CancellationToken;
use shared_events::{Event, EventBuilder, EventBuilderV10};
use tokio::sync::mpsc;

/// How long any condition may take before a test fails.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// A running gateway.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// The database directory (to count what was stored).
    pub dir: Arc<tempfile::TempDir>,
    token: CancellationToken,
    handle: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// A gateway with default settings on a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A gateway whose settings `tweak` adjusts.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut GatewaySettings)) -> TestApp {
    let dir = Arc::new(tempfile::tempdir().expect("a temp dir"));
    spawn_app_in(dir, tweak).await
}

/// A gateway on the database in `dir` (reused across restarts).
pub async fn spawn_app_in(
    dir: Arc<tempfile::TempDir>,
    tweak: impl FnOnce(&mut GatewaySettings),
) -> TestApp {
    shared_events::service::telemetry::init_for_tests();
    let url = format!("sqlite://{}", dir.path().join("gateway.db").display());
    let mut settings = GatewaySettings::new(SocketAddr::from(([127, 0, 0, 1], 0)), url);
    settings.drain_timeout = "PT2S".parse().expect("a duration");
    tweak(&mut settings);
    let app = Application::build(settings)
        .await
        .expect("the gateway builds");
    let address = format!("http://{}", app.local_addr());
    let token = CancellationToken::new();
    let handle = tokio::spawn(app.run_until_stopped(token.clone()));
    TestApp {
        address,
        client: reqwest::Client::new(),
        dir,
        token,
        handle,
    }
}

impl TestApp {
    /// Stops the gateway and waits for it to finish.
    pub async fn stop(self) {
        self.token.cancel();
        self.handle
            .await
            .expect("the gateway task")
            .expect("the gateway stops cleanly");
    }

    /// POSTs `event` in binary mode to `/events`.
    pub async fn post_event(&self, event: &Event) -> reqwest::Response {
        let request = self
            .client
            .post(format!("{}/events", self.address))
            .cloudevent(event)
            .expect("encodes");
        request.send().await.expect("the gateway answers")
    }

    /// POSTs `events` as a batch.
    pub async fn post_batch(&self, events: &[Event]) -> reqwest::Response {
        let request = self
            .client
            .post(format!("{}/events", self.address))
            .cloudevent_batch(events)
            .expect("encodes");
        request.send().await.expect("the gateway answers")
    }

    /// POSTs a subscription body; panics unless it is created.
    pub async fn subscribe(&self, body: Value) -> Value {
        let response = self.post_json("/subscriptions", &body).await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "subscription refused: {:?}",
            response.text().await
        );
        response.json().await.expect("JSON")
    }

    /// POSTs JSON to `path`.
    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.address))
            .json(body)
            .send()
            .await
            .expect("the gateway answers")
    }

    /// GETs `path` and reads JSON, asserting 200.
    pub async fn get_json(&self, path: &str) -> Value {
        let response = self
            .client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("the gateway answers");
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.expect("JSON")
    }

    /// How many rows `table` holds (read straight from the database file).
    pub async fn count(&self, table: &str) -> i64 {
        let url = format!(
            "sqlite://{}?mode=ro",
            self.dir.path().join("gateway.db").display()
        );
        let pool = sqlx::SqlitePool::connect(&url).await.expect("opens");
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&pool)
            .await
            .expect("counts");
        pool.close().await;
        n
    }

    /// GETs `path` (any status).
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("the gateway answers")
    }

    /// The Prometheus text.
    pub async fn metrics(&self) -> String {
        let response = self
            .client
            .get(format!("{}/metrics", self.address))
            .send()
            .await
            .expect("answers");
        response.text().await.expect("text")
    }

    /// Waits for the subscription's first dead letter and returns its summary.
    pub async fn wait_for_dead_letter(&self, subscription: &str) -> Value {
        let path = format!("/deadletters?subscription={subscription}");
        wait_for(|| async {
            self.get_json(&path).await["deadLetters"]
                .as_array()
                .and_then(|a| a.first().cloned())
        })
        .await
    }
}

/// Polls `probe` until it yields a value, failing after [`DEADLINE`].
pub async fn wait_for<T, F, Fut>(mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "condition not met within {DEADLINE:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A test event of a non-catalog type.
pub fn event(id: &str, ty: &str) -> Event {
    EventBuilderV10::new()
        .id(id)
        .source("/tests")
        .ty(ty)
        .subject("subject-1")
        .data("application/json", json!({"n": id}))
        .build()
        .expect("a valid event")
}

/// What a [`TestReceiver`] answers, request by request; after the script, 202.
#[derive(Debug, Clone)]
pub enum Reply {
    /// This status.
    Status(u16),
    /// This status with a `Retry-After` header.
    RetryAfter(u16, &'static str),
    /// Sleep, then 202 (longer than an attempt timeout to simulate a hang).
    Hang(Duration),
}

/// One request a receiver got.
#[derive(Debug)]
pub struct Received {
    pub event: Event,
    pub headers: HeaderMap,
    /// The body exactly as it arrived.
    pub body: bytes::Bytes,
    pub at: Instant,
}

/// How a receiver answers the webhook handshake's `OPTIONS`.
#[derive(Debug, Clone)]
pub enum Handshake {
    /// 405, no consent headers.
    Refuse,
    /// Consent for this origin, at this rate (`WebHook-Allowed-Rate`).
    Allow(String, Option<String>),
}

#[derive(Clone)]
struct ReceiverState {
    script: Arc<Mutex<VecDeque<Reply>>>,
    tx: mpsc::UnboundedSender<Received>,
    handshake: Handshake,
    options: mpsc::UnboundedSender<HeaderMap>,
}

/// A real HTTP subscriber on port 0 that answers a chosen status sequence and forwards every
/// event it got over a channel.
pub struct TestReceiver {
    pub url: String,
    rx: mpsc::UnboundedReceiver<Received>,
    /// The headers of every handshake `OPTIONS` it got.
    pub options: mpsc::UnboundedReceiver<HeaderMap>,
}

impl TestReceiver {
    /// A receiver that always answers 202.
    pub async fn start() -> Self {
        Self::scripted(Vec::new()).await
    }

    /// A receiver answering `script` in order, then 202.
    pub async fn scripted(script: Vec<Reply>) -> Self {
        Self::with_handshake(script, Handshake::Refuse).await
    }

    /// A receiver answering `script` in order, then 202, and handshakes as `handshake` says.
    pub async fn with_handshake(script: Vec<Reply>, handshake: Handshake) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let (options_tx, options) = mpsc::unbounded_channel();
        let state = ReceiverState {
            script: Arc::new(Mutex::new(script.into())),
            tx,
            handshake,
            options: options_tx,
        };
        let app = Router::new().fallback(any(receive)).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let url = format!("http://{}/hook", listener.local_addr().expect("an address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, rx, options }
    }

    /// The next request, failing after [`DEADLINE`].
    pub async fn next(&mut self) -> Received {
        tokio::time::timeout(DEADLINE, self.rx.recv())
            .await
            .expect("a delivery within the deadline")
            .expect("open")
    }

    /// Asserts nothing more arrives within `quiet`.
    pub async fn expect_nothing(&mut self, quiet: Duration) {
        if let Ok(Some(got)) = tokio::time::timeout(quiet, self.rx.recv()).await {
            panic!("unexpected delivery of {}", got.event);
        }
    }
}

async fn receive(
    State(state): State<ReceiverState>,
    method: http::Method,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> Response {
    if method == http::Method::OPTIONS {
        let _ = state.options.send(headers.clone());
        return match &state.handshake {
            Handshake::Refuse => StatusCode::METHOD_NOT_ALLOWED.into_response(),
            Handshake::Allow(origin, rate) => {
                let mut response = StatusCode::OK.into_response();
                let h = response.headers_mut();
                h.insert("webhook-allowed-origin", origin.parse().expect("a value"));
                if let Some(rate) = rate {
                    h.insert("webhook-allowed-rate", rate.parse().expect("a value"));
                }
                h.insert("allow", "POST".parse().expect("a value"));
                response
            }
        };
    }
    let reply = state.script.lock().expect("not poisoned").pop_front();
    let incoming: Incoming =
        shared_events::http::decode_request(&headers, body.clone()).expect("a CloudEvent");
    for event in incoming.into_events() {
        let _ = state.tx.send(Received {
            event,
            headers: headers.clone(),
            body: body.clone(),
            at: Instant::now(),
        });
    }
    match reply {
        None => StatusCode::ACCEPTED.into_response(),
        Some(Reply::Status(code)) => (
            StatusCode::from_u16(code).expect("a status"),
            "scripted failure",
        )
            .into_response(),
        Some(Reply::RetryAfter(code, after)) => (
            StatusCode::from_u16(code).expect("a status"),
            [("retry-after", after)],
            "slow down",
        )
            .into_response(),
        Some(Reply::Hang(d)) => {
            tokio::time::sleep(d).await;
            StatusCode::ACCEPTED.into_response()
        }
    }
}
