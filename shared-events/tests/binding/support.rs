//! A real axum server on port 0 using the extractors, and helpers to inspect what it received.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde_json::Value;
use shared_events::catalog::OrderGetV1;
use shared_events::format::{self, JsonEvent};
use shared_events::http::axum::{
    BodyLimit, CloudEvent, CloudEventBatch, CloudEventResponse, Typed,
};
use shared_events::http::{Incoming, Mode};
use shared_events::{AttributesWriter, Event};
use tokio::sync::{Mutex, mpsc};

/// What the server's handlers saw.
type Seen = mpsc::UnboundedSender<Incoming>;

/// The test server: every receiving route forwards what it extracted over a channel.
pub struct TestServer {
    pub addr: std::net::SocketAddr,
    pub client: reqwest::Client,
    received: Mutex<mpsc::UnboundedReceiver<Incoming>>,
}

impl TestServer {
    /// Starts the server on `127.0.0.1:0` in the current runtime.
    pub async fn spawn() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let app = Router::new()
            .route("/events", post(incoming))
            .route("/someresource", post(incoming))
            .route("/single", post(single))
            .route("/batch", post(batch))
            .route("/small", post(incoming).layer(Extension(BodyLimit(256))))
            .route("/typed", post(typed))
            .route("/reply", post(reply_in_kind))
            .route("/reply/binary", post(reply_binary))
            .route("/reply/structured", post(reply_structured))
            .route("/reply/batch", post(reply_batch))
            .route("/no-event", get(|| async { "just text" }))
            .with_state(tx);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let addr = listener.local_addr().expect("local address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            addr,
            client: reqwest::Client::new(),
            received: Mutex::new(rx),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The next thing a handler received, within five seconds.
    pub async fn received(&self) -> Incoming {
        let mut rx = self.received.lock().await;
        tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("the server received something within 5 s")
            .expect("the server is running")
    }
}

async fn incoming(State(seen): State<Seen>, incoming: Incoming) -> StatusCode {
    let _ = seen.send(incoming);
    StatusCode::ACCEPTED
}

async fn single(State(seen): State<Seen>, mode: Mode, CloudEvent(event): CloudEvent) -> StatusCode {
    let _ = seen.send(Incoming::Single(event, mode));
    StatusCode::ACCEPTED
}

async fn batch(State(seen): State<Seen>, CloudEventBatch(events): CloudEventBatch) -> StatusCode {
    let _ = seen.send(Incoming::Batch(events));
    StatusCode::ACCEPTED
}

async fn typed(Typed { data, .. }: Typed<OrderGetV1>) -> Response {
    axum::Json(data).into_response()
}

/// The reply the reply routes send: the request event with `.reply` appended to its type.
fn reply_to(mut event: Event) -> Event {
    let ty = format!("{}.reply", shared_events::AttributesReader::ty(&event));
    event.set_type(ty);
    event
}

async fn reply_in_kind(mode: Mode, CloudEvent(event): CloudEvent) -> CloudEventResponse {
    CloudEventResponse::new(reply_to(event), mode)
}

async fn reply_binary(CloudEvent(event): CloudEvent) -> CloudEventResponse {
    CloudEventResponse::binary(reply_to(event))
}

async fn reply_structured(CloudEvent(event): CloudEvent) -> CloudEventResponse {
    CloudEventResponse::structured(reply_to(event)).with_status(StatusCode::CREATED)
}

async fn reply_batch(CloudEvent(event): CloudEvent) -> CloudEventBatch {
    CloudEventBatch(vec![reply_to(event.clone()), event])
}

/// `<CARGO_MANIFEST_DIR>/../../shared/<relative>`: shared/ sits beside the repository.
pub fn shared(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared")
        .join(relative)
}

/// Asserts that a structured body validates against the CloudEvents JSON Schema (draft-07),
/// formats included.
pub fn assert_valid_against_spec_schema(body: &[u8]) {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        let text = std::fs::read_to_string(shared("conformance/spec/cloudevents.json"))
            .expect("the CloudEvents JSON Schema is in shared/");
        let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
        jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("the schema compiles")
    });
    let instance: Value = serde_json::from_slice(body).expect("a structured body is JSON");
    let instances = match instance {
        Value::Array(items) => items,
        single => vec![single],
    };
    for instance in instances {
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(
            errors.is_empty(),
            "{instance} violates the spec schema: {errors:?}"
        );
    }
}

/// The structured encoding of `event`, checked against the spec schema.
pub fn structured_and_checked(event: &Event) -> Vec<u8> {
    let body = serde_json::to_vec(&JsonEvent(event)).expect("serialises");
    assert_eq!(body, format::to_vec(event));
    assert_valid_against_spec_schema(&body);
    body
}

/// Reads a problem+json response, asserting its status and content type.
pub async fn expect_problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status, "status");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "content type"
    );
    let problem: Value = response.json().await.expect("a JSON problem");
    assert_eq!(problem["status"], status);
    problem
}
