//! The harness: the real `cectl` binary ([`cectl`]), a real gateway on port 0 with a fresh
//! SQLite database ([`Gateway`]), real HTTP sinks ([`Sink`]), a `cectl receive` child process
//! ([`Receiver`]) and waiting on conditions with deadlines.

use std::future::Future;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
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
    token: CancellationToken,
    handle: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _database: TestDatabase,
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
            let app = Application::build_with_listener(settings, listener)
                .await
                .expect("the gateway builds");
            let url = format!("http://{}", app.local_addr());
            let token = CancellationToken::new();
            let handle = tokio::spawn(app.run_until_stopped(token.clone()));
            Self {
                url,
                token,
                handle: Some(handle),
                _database: database,
            }
        })
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
}

/// One request a [`Sink`] received.
#[derive(Debug, Clone)]
pub struct Received {
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body, as sent.
    pub body: Bytes,
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
    reply: Option<Arc<Event>>,
    sender: mpsc::Sender<Received>,
}

/// A real HTTP server on port 0 standing in for a subscriber: answers a chosen status (and
/// optionally a reply event) and hands over every request it gets.
pub struct Sink {
    /// Its URL, `http://127.0.0.1:PORT/`.
    pub url: String,
    status: Arc<AtomicU16>,
    received: Mutex<mpsc::Receiver<Received>>,
    _server: tokio::task::JoinHandle<()>,
}

impl Sink {
    /// A sink answering `status`.
    pub fn start(status: u16) -> Self {
        Self::serve(status, None)
    }

    /// A sink answering 200 with `reply` in binary mode.
    pub fn replying(reply: Event) -> Self {
        Self::serve(200, Some(Arc::new(reply)))
    }

    fn serve(status: u16, reply: Option<Arc<Event>>) -> Self {
        let (sender, receiver) = mpsc::channel();
        let status = Arc::new(AtomicU16::new(status));
        let state = SinkState {
            status: status.clone(),
            reply,
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
            received: Mutex::new(receiver),
            _server: server,
        }
    }

    /// Answers `status` from now on.
    pub fn set_status(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
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
    let _ = state.sender.send(Received { headers, body });
    let status = StatusCode::from_u16(state.status.load(Ordering::SeqCst)).expect("a status");
    match &state.reply {
        None => status.into_response(),
        Some(reply) => {
            let (headers, body) = shared_events::http::encode_binary(reply).expect("a valid reply");
            (status, headers, body).into_response()
        }
    }
}

/// `cectl receive` running as a child process, killed when dropped if it is still running.
pub struct Receiver {
    /// Its URL, `http://127.0.0.1:PORT/`.
    pub url: String,
    child: Child,
}

impl Receiver {
    /// Starts `cectl receive --port 0` with `args`; waits until it says where it listens.
    pub fn start(args: &[&str]) -> Self {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("cectl"))
            .args(["receive", "--port", "0"])
            .args(args)
            .env_remove("CECTL_WEBHOOK_SECRET")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .expect("cectl receive starts");
        let stderr = child.stderr.take().expect("stderr");
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        let line = receiver
            .recv_timeout(DEADLINE)
            .expect("cectl receive says where it listens");
        let url = line
            .split_whitespace()
            .find(|word| word.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in `{line}`"))
            .to_owned();
        Self { url, child }
    }

    /// Waits for it to exit by itself (after `--count` events): its exit code and stdout.
    pub fn finish(mut self) -> (Option<i32>, String) {
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("waits") {
                break status;
            }
            assert!(
                started.elapsed() < DEADLINE,
                "cectl receive did not stop within {DEADLINE:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut stdout = String::new();
        if let Some(mut pipe) = self.child.stdout.take() {
            std::io::Read::read_to_string(&mut pipe, &mut stdout).expect("stdout");
        }
        (status.code(), stdout)
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Writes `text` to `name` in `dir`.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}
