//! [`TestReceiver`]: a real subscriber on port 0 that answers a chosen status sequence (and
//! the webhook handshake) and forwards what it got over a channel.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use http::{HeaderMap, StatusCode};
use shared_events::Event;
use shared_events::http::Incoming;
use tokio::sync::mpsc;

use crate::helpers::DEADLINE;

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

/// Makes the reply event to an event, if any.
pub type ReplyFn = Arc<dyn Fn(&Event) -> Option<Event> + Send + Sync>;
/// Says whether to fail an event.
pub type FailFn = Arc<dyn Fn(&Event) -> bool + Send + Sync>;

/// What a receiver does beyond its script: answer with a reply event, fail at random.
#[derive(Clone, Default)]
pub struct Behaviour {
    /// Answers 200 with the event this returns (binary mode), if it returns one.
    pub reply: Option<ReplyFn>,
    /// Answers 503 (and does not forward the event) when this says so.
    pub fail: Option<FailFn>,
    /// Waits this long before answering.
    pub delay: Duration,
}

impl Behaviour {
    /// Fails this share of requests, at random.
    pub fn failing(ratio: f64) -> Self {
        Self {
            fail: Some(Arc::new(move |_| rand::random::<f64>() < ratio)),
            ..Self::default()
        }
    }

    /// Answers with the event `make` returns.
    pub fn replying(make: impl Fn(&Event) -> Option<Event> + Send + Sync + 'static) -> Self {
        Self {
            reply: Some(Arc::new(make)),
            ..Self::default()
        }
    }
}

#[derive(Clone)]
struct ReceiverState {
    script: Arc<Mutex<VecDeque<Reply>>>,
    tx: mpsc::UnboundedSender<Received>,
    handshake: Handshake,
    options: mpsc::UnboundedSender<HeaderMap>,
    behaviour: Behaviour,
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
        Self::build(script, handshake, Behaviour::default()).await
    }

    /// A receiver that behaves as `behaviour` says (after an empty script).
    pub async fn behaving(behaviour: Behaviour) -> Self {
        Self::build(Vec::new(), Handshake::Refuse, behaviour).await
    }

    async fn build(script: Vec<Reply>, handshake: Handshake, behaviour: Behaviour) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let (options_tx, options) = mpsc::unbounded_channel();
        let state = ReceiverState {
            script: Arc::new(Mutex::new(script.into())),
            tx,
            handshake,
            options: options_tx,
            behaviour,
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

    /// The next request if one arrives within `wait`.
    pub async fn within(&mut self, wait: Duration) -> Option<Received> {
        tokio::time::timeout(wait, self.rx.recv())
            .await
            .ok()
            .flatten()
    }

    /// The next request carrying the event `id`, skipping others, failing after [`DEADLINE`].
    pub async fn next_with_id(&mut self, id: &str) -> Received {
        use shared_events::AttributesReader as _;
        let started = Instant::now();
        loop {
            let left = DEADLINE.saturating_sub(started.elapsed());
            let got = tokio::time::timeout(left, self.rx.recv())
                .await
                .unwrap_or_else(|_| panic!("no delivery of {id} within {DEADLINE:?}"))
                .expect("open");
            if got.event.id() == id {
                return got;
            }
        }
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
    let events = incoming.into_events();
    let b = &state.behaviour;
    if !b.delay.is_zero() {
        tokio::time::sleep(b.delay).await;
    }
    let failing = reply.is_none()
        && b.fail
            .as_ref()
            .is_some_and(|fail| events.iter().any(|e| fail(e)));
    if failing {
        // Not forwarded: the channel carries what the receiver accepted.
        return (StatusCode::SERVICE_UNAVAILABLE, "random failure").into_response();
    }
    let answer = match (&state.behaviour.reply, events.first()) {
        (Some(make), Some(event)) if reply.is_none() => make(event),
        _ => None,
    };
    for event in events {
        let _ = state.tx.send(Received {
            event,
            headers: headers.clone(),
            body: body.clone(),
            at: Instant::now(),
        });
    }
    if let Some(event) = answer {
        return shared_events::http::axum::CloudEventResponse::binary(event)
            .with_status(StatusCode::OK)
            .into_response();
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
