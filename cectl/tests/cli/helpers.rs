//! The harness: the real `cectl` binary ([`cectl`]), a real gateway on port 0 with a fresh
//! SQLite database ([`Gateway`], restartable on the same port), real HTTP sinks ([`Sink`],
//! optionally checking Standard Webhooks signatures), a `cectl receive` child process
//! ([`Receiver`]) and waiting on conditions with deadlines. Long-running commands (`tail`,
//! `listen`) run as [`crate::process::Running`].

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use event_gateway::{Application, GatewaySettings};
use http::{HeaderMap, StatusCode};
use serde_json::Value;
use shared_events::Event;
use shared_events::service::shutdown::CancellationToken;
use shared_events::webhook::{self, VerifyError, WebhookSecret};

pub use crate::process::Receiver;
use test_support::{Backend, TestDatabase};

/// How long any condition may take before a test fails.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// The workspace root (the tests run there, so `schemas/` and `contracts/` are found).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `cectl` binary with none of its environment settings inherited and colour off.
pub fn cectl() -> Command {
    let mut command = Command::cargo_bin("cectl").expect("binary");
    command
        .current_dir(workspace())
        .env_remove("CECTL_GATEWAY")
        .env_remove("CECTL_TOKEN")
        .env_remove("CECTL_WEBHOOK_SECRET")
        .env("NO_COLOR", "1")
        .timeout(DEADLINE);
    command
}

/// Stdout as JSON.
pub fn stdout_json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Stdout and stderr, for assertion messages.
pub fn both(output: &std::process::Output) -> String {
    format!(
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The runtime the gateways and sinks of every test run on.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime")
    })
}

/// Runs `future` to completion on [`runtime`].
pub fn block_on<F: Future>(future: F) -> F::Output {
    runtime().block_on(future)
}

/// Polls `probe` until it yields a value, failing after [`DEADLINE`].
pub fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "{what}: not within {DEADLINE:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A gateway running in this process, stopped when dropped.
pub struct Gateway {
    /// Its base URL, `http://127.0.0.1:PORT`.
    pub url: String,
    address: SocketAddr,
    token: CancellationToken,
    handle: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    database: TestDatabase,
}

/// A gateway on `listener` with `settings`: its stop token and its task.
async fn run_gateway(
    settings: GatewaySettings,
    listener: tokio::net::TcpListener,
) -> (
    SocketAddr,
    CancellationToken,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let app = Application::build_with_listener(settings, listener)
        .await
        .expect("the gateway builds");
    let address = app.local_addr();
    let token = CancellationToken::new();
    let handle = tokio::spawn(app.run_until_stopped(token.clone()));
    (address, token, handle)
}

impl Gateway {
    /// A gateway with default settings.
    pub fn start() -> Self {
        Self::start_with(|_| {})
    }

    /// A gateway whose settings `tweak` adjusts.
    pub fn start_with(tweak: impl FnOnce(&mut GatewaySettings)) -> Self {
        shared_events::service::telemetry::init_for_tests();
        block_on(async {
            let database = TestDatabase::create(Backend::Sqlite, "cectl")
                .await
                .expect("a SQLite database");
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("binds");
            let mut settings =
                GatewaySettings::new(SocketAddr::from(([127, 0, 0, 1], 0)), &database.url);
            settings.drain_timeout = "PT2S".parse().expect("a duration");
            tweak(&mut settings);
            let (address, token, handle) = run_gateway(settings, listener).await;
            Self {
                url: format!("http://{address}"),
                address,
                token,
                handle: Some(handle),
                database,
            }
        })
    }

    /// Stops the gateway (its open connections are closed after the 2 s drain) and starts it
    /// again with default settings on the same port and database.
    pub fn restart(&mut self) {
        self.stop();
        let (address, url) = (self.address, self.database.url.clone());
        let (_, token, handle) = block_on(async move {
            let started = Instant::now();
            let listener = loop {
                match tokio::net::TcpListener::bind(address).await {
                    Ok(listener) => break listener,
                    // The port is not free yet.
                    Err(_) if started.elapsed() < DEADLINE => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    Err(e) => panic!("cannot bind {address} again: {e}"),
                }
            };
            let mut settings = GatewaySettings::new(address, &url);
            settings.drain_timeout = "PT2S".parse().expect("a duration");
            run_gateway(settings, listener).await
        });
        self.token = token;
        self.handle = Some(handle);
    }

    fn stop(&mut self) {
        self.token.cancel();
        if let Some(handle) = self.handle.take() {
            let stopped = block_on(handle);
            if !std::thread::panicking() {
                stopped
                    .expect("the gateway task")
                    .expect("the gateway stops cleanly");
            }
        }
    }

    /// `cectl` pointed at this gateway (through `CECTL_GATEWAY`).
    pub fn cectl(&self) -> Command {
        let mut command = cectl();
        command.env("CECTL_GATEWAY", &self.url);
        command
    }

    /// A subscription delivering every event to `sink` in `format`, applied with cectl.
    pub fn subscribe_all(&self, id: &str, sink: &Sink, format: &str) {
        let body = format!(
            "id: {id}\nsink: {}\nformat: {format}\ndelivery:\n  retry: 0\n",
            sink.url
        );
        self.cectl()
            .args(["subscriptions", "apply", "-f", "-"])
            .write_stdin(body)
            .assert()
            .code(0);
    }

    /// Creates or replaces a subscription with `cectl subscriptions apply`.
    pub fn apply(&self, subscription: Value) {
        self.cectl()
            .args(["subscriptions", "apply", "-f", "-"])
            .write_stdin(subscription.to_string())
            .assert()
            .code(0);
    }

    /// Sends an event with `cectl send` (source `/cectl`); `extra` adds flags.
    pub fn send(&self, id: &str, ty: &str, extra: &[&str]) {
        self.cectl()
            .args(["send", "--id", id, "-t", ty])
            .args(extra)
            .assert()
            .code(0);
    }

    /// Runs `cectl args` (JSON output), expecting exit 0: its stdout as JSON.
    pub fn json(&self, args: &[&str]) -> Value {
        let output = self.cectl().args(args).output().expect("runs");
        assert_eq!(output.status.code(), Some(0), "{args:?}: {}", both(&output));
        stdout_json(&output)
    }

    /// GETs `path` from the gateway: the status and the body as JSON (`Null` when empty).
    pub fn get(&self, path: &str) -> (StatusCode, Value) {
        let url = format!("{}{path}", self.url);
        block_on(async move {
            let response = reqwest::get(url).await.expect("the gateway answers");
            let status = response.status();
            let bytes = response.bytes().await.expect("a body");
            (
                status,
                serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            )
        })
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One request a [`Sink`] received.
#[derive(Debug, Clone)]
pub struct Received {
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body, as sent.
    pub body: Bytes,
    /// For a verifying sink, whether its Standard Webhooks signature verified.
    pub signature: Option<Result<(), VerifyError>>,
}

impl Received {
    /// The events it carried, decoded by shared-events' binding.
    pub fn events(&self) -> Vec<Event> {
        shared_events::http::decode_request(&self.headers, self.body.clone())
            .expect("a CloudEvents request")
            .into_events()
    }
}

#[derive(Clone)]
struct SinkState {
    status: Arc<AtomicU16>,
    body: Arc<Mutex<String>>,
    reply: Option<Arc<Event>>,
    secret: Option<Arc<WebhookSecret>>,
    sender: mpsc::Sender<Received>,
}

/// A real HTTP server on port 0 standing in for a subscriber: answers a chosen status (and
/// optionally a reply event) and hands over every request it gets.
pub struct Sink {
    /// Its URL, `http://127.0.0.1:PORT/`.
    pub url: String,
    status: Arc<AtomicU16>,
    body: Arc<Mutex<String>>,
    received: Mutex<mpsc::Receiver<Received>>,
    _server: tokio::task::JoinHandle<()>,
}

impl Sink {
    /// A sink answering `status`.
    pub fn start(status: u16) -> Self {
        Self::serve(status, None, None)
    }

    /// A sink answering 200 with `reply` in binary mode.
    pub fn replying(reply: Event) -> Self {
        Self::serve(200, Some(Arc::new(reply)), None)
    }

    /// A sink that checks every request's Standard Webhooks signature with `secret`
    /// (shared-events' `webhook::verify`), answering 401 when it does not verify and
    /// `status` otherwise.
    pub fn verifying(status: u16, secret: WebhookSecret) -> Self {
        Self::serve(status, None, Some(Arc::new(secret)))
    }

    fn serve(status: u16, reply: Option<Arc<Event>>, secret: Option<Arc<WebhookSecret>>) -> Self {
        let (sender, receiver) = mpsc::channel();
        let status = Arc::new(AtomicU16::new(status));
        let body = Arc::new(Mutex::new(String::new()));
        let state = SinkState {
            status: status.clone(),
            body: body.clone(),
            reply,
            secret,
            sender,
        };
        let (url, server) = block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("binds");
            let url = format!("http://{}/", listener.local_addr().expect("address"));
            let app = Router::new().fallback(any(record)).with_state(state);
            let server = tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
            (url, server)
        });
        Self {
            url,
            status,
            body,
            received: Mutex::new(receiver),
            _server: server,
        }
    }

    /// Answers `status` from now on.
    pub fn set_status(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    /// Answers with `body` (text) from now on, unless it replies with an event.
    pub fn set_body(&self, body: &str) {
        *self.body.lock().expect("lock") = body.to_owned();
    }

    /// The next request, failing after [`DEADLINE`].
    pub fn next(&self) -> Received {
        self.received
            .lock()
            .expect("lock")
            .recv_timeout(DEADLINE)
            .expect("the sink receives a request in time")
    }

    /// The requests received so far and not yet taken.
    pub fn pending(&self) -> usize {
        self.received.lock().expect("lock").try_iter().count()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self._server.abort();
    }
}

async fn record(State(state): State<SinkState>, headers: HeaderMap, body: Bytes) -> Response {
    let tolerance = Duration::from_secs(300);
    let signature = state
        .secret
        .as_ref()
        .map(|secret| webhook::verify(secret, &headers, &body, chrono::Utc::now(), tolerance));
    let forged = matches!(signature, Some(Err(_)));
    let _ = state.sender.send(Received {
        headers,
        body,
        signature,
    });
    if forged {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let status = StatusCode::from_u16(state.status.load(Ordering::SeqCst)).expect("a status");
    let body = state.body.lock().expect("lock").clone();
    match &state.reply {
        None if body.is_empty() => status.into_response(),
        None => (status, body).into_response(),
        Some(reply) => {
            let (headers, body) = shared_events::http::encode_binary(reply).expect("a valid reply");
            (status, headers, body).into_response()
        }
    }
}

/// Writes `text` to `name` in `dir`.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}
