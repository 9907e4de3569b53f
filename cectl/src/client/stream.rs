//! `GET /events/stream`: the gateway's Server-Sent Events, read frame by frame. The parser is
//! the WHATWG event-stream format (any line ending, multi-line data, comments, chunks split
//! anywhere, even inside a UTF-8 character); resuming is the caller's: it passes the last
//! frame's `id` as `Last-Event-ID`.

use std::time::Duration;

use futures::StreamExt as _;
use futures::stream::BoxStream;
use http::Method;

use super::{ClientError, GatewayClient, root_cause};

/// One SSE event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseFrame {
    /// The `id` field: the stream position after this frame.
    pub id: Option<String>,
    /// The `event` field (`message` when absent, as the format says).
    pub event: String,
    /// The data lines, joined with `\n`.
    pub data: String,
}

/// Turns bytes into frames.
#[derive(Debug, Default)]
pub struct SseParser {
    pending: Vec<u8>,
    skip_lf: bool,
    id: Option<String>,
    event: Option<String>,
    data: Option<String>,
}

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds a chunk; returns the frames it completed.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<SseFrame> {
        let mut frames = Vec::new();
        for &byte in chunk {
            if self.skip_lf {
                self.skip_lf = false;
                if byte == b'\n' {
                    continue;
                }
            }
            match byte {
                b'\r' | b'\n' => {
                    self.skip_lf = byte == b'\r';
                    let line = std::mem::take(&mut self.pending);
                    if let Some(frame) = self.line(&String::from_utf8_lossy(&line)) {
                        frames.push(frame);
                    }
                }
                other => self.pending.push(other),
            }
        }
        frames
    }

    fn line(&mut self, line: &str) -> Option<SseFrame> {
        if line.is_empty() {
            let data = self.data.take()?;
            return Some(SseFrame {
                id: self.id.clone(),
                event: self.event.take().unwrap_or_else(|| "message".to_owned()),
                data,
            });
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => self.event = Some(value.to_owned()),
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            "id" if !value.contains('\0') => self.id = Some(value.to_owned()),
            _ => {}
        }
        None
    }
}

/// Where a stream starts when there is no `Last-Event-ID`.
#[derive(Debug, Clone, Default)]
pub struct StreamRequest {
    /// `earliest`, `latest` or a position.
    pub from: String,
    /// A CESQL expression the events must match (deliveries are not filtered by it).
    pub filter: Option<String>,
    /// Whether delivery attempts come too (`include=deliveries`).
    pub deliveries: bool,
}

/// Why reading a stream stopped.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// The connection failed or closed.
    #[error("{0}")]
    Dropped(String),
    /// Nothing arrived, not even a keep-alive, for this long.
    #[error("nothing arrived for {}s", .0.as_secs())]
    Idle(Duration),
}

/// An open stream.
pub struct SseStream {
    body: BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    parser: SseParser,
    ready: std::collections::VecDeque<SseFrame>,
}

impl std::fmt::Debug for SseStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SseStream").finish_non_exhaustive()
    }
}

impl SseStream {
    /// The next frame; `Err` when the connection dropped or stayed silent for `idle`.
    ///
    /// # Errors
    /// [`StreamError`].
    pub async fn next_frame(&mut self, idle: Duration) -> Result<SseFrame, StreamError> {
        loop {
            if let Some(frame) = self.ready.pop_front() {
                return Ok(frame);
            }
            let chunk = tokio::time::timeout(idle, self.body.next())
                .await
                .map_err(|_| StreamError::Idle(idle))?;
            match chunk {
                None => return Err(StreamError::Dropped("the gateway closed the stream".into())),
                Some(Err(error)) => return Err(StreamError::Dropped(root_cause(&error))),
                Some(Ok(bytes)) => self.ready.extend(self.parser.feed(&bytes)),
            }
        }
    }
}

impl GatewayClient {
    /// Opens `GET /events/stream`, resuming after `last_event_id` when given.
    ///
    /// # Errors
    /// As [`GatewayClient::send`]; 400 for a bad position or filter.
    pub async fn open_stream(
        &self,
        request: &StreamRequest,
        last_event_id: Option<&str>,
    ) -> Result<SseStream, ClientError> {
        let mut url = self.url(&["events", "stream"]);
        {
            let mut pairs = url.query_pairs_mut();
            pairs.append_pair("from", &request.from);
            if let Some(filter) = &request.filter {
                pairs.append_pair("filter", filter);
            }
            if request.deliveries {
                pairs.append_pair("include", "deliveries");
            }
        }
        let mut builder = self
            .request(Method::GET, url)
            .header(http::header::ACCEPT, "text/event-stream");
        if let Some(id) = last_event_id {
            builder = builder.header("last-event-id", id);
        }
        let response = self.send_streaming(builder).await?;
        Ok(SseStream {
            body: response.bytes_stream().boxed(),
            parser: SseParser::new(),
            ready: std::collections::VecDeque::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(id: Option<&str>, event: &str, data: &str) -> SseFrame {
        SseFrame {
            id: id.map(str::to_owned),
            event: event.to_owned(),
            data: data.to_owned(),
        }
    }

    #[test]
    fn frames_end_at_a_blank_line_whatever_the_line_endings() {
        let mut parser = SseParser::new();
        let text = "event: cloudevent\nid: a\ndata: {\"x\":1}\n\n: keep-alive\n\n\
                    event: delivery\r\nid: b\r\ndata: one\r\ndata: two\r\n\r\n\
                    data:bare\r\r";
        assert_eq!(
            parser.feed(text.as_bytes()),
            [
                frame(Some("a"), "cloudevent", "{\"x\":1}"),
                frame(Some("b"), "delivery", "one\ntwo"),
                frame(Some("b"), "message", "bare"),
            ]
        );
    }

    #[test]
    fn chunks_may_split_lines_crlf_pairs_and_characters() {
        let text = "id: 1\r\ndata: caf\u{e9} \u{2192}\r\n\r\n".as_bytes();
        for split in 0..text.len() {
            let mut parser = SseParser::new();
            let mut frames = parser.feed(&text[..split]);
            frames.extend(parser.feed(&text[split..]));
            assert_eq!(
                frames,
                [frame(Some("1"), "message", "caf\u{e9} \u{2192}")],
                "split at {split}"
            );
        }
    }

    #[test]
    fn a_frame_without_data_is_not_dispatched_but_its_id_counts() {
        let mut parser = SseParser::new();
        assert!(parser.feed(b"id: 7\n\n").is_empty());
        assert_eq!(
            parser.feed(b"data: x\n\n"),
            [frame(Some("7"), "message", "x")]
        );
    }
}
