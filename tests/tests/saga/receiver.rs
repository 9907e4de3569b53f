//! `TestReceiver`: a real axum sink on port 0 standing in for `K_SINK`.

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use http::StatusCode;
use shared_events::Event;
use shared_events::http::Incoming;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, mpsc};
use url::Url;

/// A real HTTP sink on port 0: answers every CloudEvent (single or batched) 202 and forwards it over a channel.
pub struct TestReceiver {
    /// Its `/events` URL.
    pub url: Url,
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
            .with_state((status, tx));
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
            received: Mutex::new(rx),
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
