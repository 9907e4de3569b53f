//! Where the relay sends: the [`Sink`] trait and [`HttpSink`], which posts to `K_SINK` in
//! binary or batched mode.

use async_trait::async_trait;
use cloudevents::Event;

/// Where relayed events go.
#[async_trait]
pub trait Sink: Send + Sync + 'static {
    /// Sends one event.
    async fn send(&self, event: &Event) -> Attempt;

    /// Whether [`Sink::send_batch`] is supported.
    fn batches(&self) -> bool {
        false
    }

    /// Sends several events in one request, in order, all or nothing.
    async fn send_batch(&self, _events: &[Event]) -> Attempt {
        Attempt::Failed("this sink takes single events only".to_owned())
    }
}

/// The outcome of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The sink answered 2xx.
    Delivered,
    /// Anything else: a network error, a timeout or a non-2xx status, with a description.
    Failed(String),
}

/// How an [`HttpSink`] posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SinkMode {
    /// One event per request, binary mode.
    Binary,
    /// A round's events in one `application/cloudevents-batch+json` request (falling back to
    /// single binary-mode requests when a batch is refused, so one bad event cannot block the
    /// rest).
    Batch,
}

/// An HTTP sink: posts events to one URL (`K_SINK`).
#[derive(Debug, Clone)]
pub struct HttpSink {
    client: reqwest::Client,
    url: url::Url,
    mode: SinkMode,
}

impl HttpSink {
    /// A sink posting to `url` with `client` (whose timeout bounds each attempt).
    pub fn new(client: reqwest::Client, url: url::Url, mode: SinkMode) -> Self {
        Self { client, url, mode }
    }

    async fn post(&self, request: reqwest::RequestBuilder) -> Attempt {
        match request.send().await {
            Ok(response) if response.status().is_success() => Attempt::Delivered,
            Ok(response) => Attempt::Failed(format!("sink answered {}", response.status())),
            Err(error) => Attempt::Failed(format!("sending failed: {error}")),
        }
    }
}

#[async_trait]
impl Sink for HttpSink {
    async fn send(&self, event: &Event) -> Attempt {
        use crate::http::reqwest::RequestBuilderExt as _;
        match self.client.post(self.url.clone()).cloudevent(event) {
            Ok(request) => self.post(request).await,
            Err(error) => Attempt::Failed(format!("the event cannot be encoded: {error}")),
        }
    }

    fn batches(&self) -> bool {
        self.mode == SinkMode::Batch
    }

    async fn send_batch(&self, events: &[Event]) -> Attempt {
        use crate::http::reqwest::RequestBuilderExt as _;
        match self.client.post(self.url.clone()).cloudevent_batch(events) {
            Ok(request) => self.post(request).await,
            Err(error) => Attempt::Failed(format!("the batch cannot be encoded: {error}")),
        }
    }
}
