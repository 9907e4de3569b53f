//! The subscriber (and the floor's server): a bare axum app on `127.0.0.1:0` that answers 202 to
//! any `POST` and counts the event by its id (`ce-id` in binary mode, `id` in a structured body)
//! in a [`Tally`]. It is a real HTTP server in this process, so its clock is the posters' clock.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use http::{HeaderMap, StatusCode};

use crate::ledger::Tally;

/// A running receiver; stops listening when dropped.
#[derive(Debug)]
pub struct Receiver {
    /// Where it listens.
    pub addr: SocketAddr,
    /// What it got.
    pub tally: Arc<Tally>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Starts a receiver counting into `tally`.
    ///
    /// # Errors
    /// When port 0 cannot be bound.
    pub async fn start(tally: Arc<Tally>) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding a receiver")?;
        let addr = listener.local_addr()?;
        let app = Router::new()
            .fallback(receive_event)
            .with_state(Arc::clone(&tally));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, tally, task })
    }

    /// Its URL for events: `http://127.0.0.1:PORT/events`.
    pub fn url(&self) -> String {
        format!("http://{}/events", self.addr)
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive_event(
    State(tally): State<Arc<Tally>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    if let Some(id) = headers.get("ce-id").and_then(|v| v.to_str().ok()) {
        tally.record(id);
    } else if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body) {
        if let Some(id) = value.get("id").and_then(|v| v.as_str()) {
            tally.record(id);
        }
    }
    StatusCode::ACCEPTED
}
