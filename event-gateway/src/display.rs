//! `event-gateway display`: a sink that prints every CloudEvent it receives, readably, like
//! Knative's `event_display`. Point a subscription at it to watch events arrive.

use std::fmt::Write as _;

use axum::Router;
use axum::routing::any;
use http::StatusCode;
use shared_events::http::Incoming;
use shared_events::service::shutdown::CancellationToken;
use shared_events::{AttributesReader, Data, Event};

use crate::settings::DisplaySettings;

/// Serves the display until `shutdown`.
///
/// # Errors
/// When the address cannot be bound.
pub async fn run(settings: DisplaySettings, shutdown: CancellationToken) -> anyhow::Result<()> {
    let app = Router::new().fallback(any(show_events));
    let listener = tokio::net::TcpListener::bind(settings.listen).await?;
    eprintln!(
        "event display listening on http://{}/",
        listener.local_addr()?
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await?;
    Ok(())
}

async fn show_events(incoming: Incoming) -> StatusCode {
    for event in incoming.into_events() {
        println!("{}", render(&event));
    }
    StatusCode::ACCEPTED
}

/// One event as text: attributes, extensions, then the data (JSON pretty-printed).
pub fn render(event: &Event) -> String {
    let mut out = String::from("☁️  cloudevents.Event\nContext Attributes,\n");
    let mut line = |name: &str, value: &dyn std::fmt::Display| {
        let _ = writeln!(out, "  {name}: {value}");
    };
    line("specversion", &event.specversion());
    line("type", &event.ty());
    line("source", &event.source());
    line("id", &event.id());
    if let Some(subject) = event.subject() {
        line("subject", &subject);
    }
    if let Some(time) = event.time() {
        line("time", &time.to_rfc3339());
    }
    if let Some(dataschema) = event.dataschema() {
        line("dataschema", &dataschema);
    }
    if let Some(ct) = event.datacontenttype() {
        line("datacontenttype", &ct);
    }
    let mut extensions: Vec<_> = event.iter_extensions().collect();
    if !extensions.is_empty() {
        out.push_str("Extensions,\n");
        extensions.sort_by_key(|(name, _)| *name);
        for (name, value) in extensions {
            let _ = writeln!(out, "  {name}: {value}");
        }
    }
    if let Some(data) = event.data() {
        out.push_str("Data,\n");
        let text = match data {
            Data::Json(value) => serde_json::to_string_pretty(value).unwrap_or_default(),
            Data::String(text) => text.clone(),
            Data::Binary(bytes) => format!("({} bytes of binary data)", bytes.len()),
        };
        for l in text.lines() {
            let _ = writeln!(out, "  {l}");
        }
    }
    out
}
