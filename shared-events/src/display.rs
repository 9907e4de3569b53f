//! An event as readable text, like Knative's `event_display`: attributes, extensions (sorted),
//! then the data (JSON pretty-printed). `event-gateway display` and `cectl receive` print it.
//!
//! # Example
//!
//! ```
//! use shared_events::{EventBuilder, EventBuilderV10};
//!
//! let event = EventBuilderV10::new()
//!     .id("1")
//!     .source("/tests")
//!     .ty("com.example.thing.happened.v1")
//!     .data("application/json", serde_json::json!({"n": 1}))
//!     .build()?;
//! let text = shared_events::display::render(&event);
//! assert!(text.contains("  type: com.example.thing.happened.v1\n"));
//! assert!(text.ends_with("Data,\n  {\n    \"n\": 1\n  }\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt::Write as _;

use cloudevents::{AttributesReader, Data, Event};

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
