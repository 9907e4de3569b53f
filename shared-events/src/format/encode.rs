//! Writing events in the JSON format, straight into a serde serializer or an `io::Write`.

use std::io;

use cloudevents::{AttributesReader, Data, Event};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use super::BASE64;
use crate::attributes;
use crate::http::media_type;

/// An [`Event`] as a JSON-format object for serde: embed it in a larger document or write it
/// with any serde serializer, without an intermediate [`Value`].
#[derive(Debug, Clone, Copy)]
pub struct JsonEvent<'a>(pub &'a Event);

impl Serialize for JsonEvent<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let event = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("specversion", event.specversion().as_str())?;
        map.serialize_entry("id", event.id())?;
        map.serialize_entry("source", event.source())?;
        map.serialize_entry("type", event.ty())?;
        if let Some(content_type) = event.datacontenttype() {
            map.serialize_entry("datacontenttype", content_type)?;
        }
        if let Some(schema) = event.dataschema() {
            map.serialize_entry("dataschema", schema.as_str())?;
        }
        if let Some(subject) = event.subject() {
            map.serialize_entry("subject", subject)?;
        }
        if let Some(time) = event.time() {
            map.serialize_entry("time", &attributes::format_time(time))?;
        }
        let mut extensions: Vec<_> = event.iter_extensions().collect();
        extensions.sort_unstable_by_key(|(name, _)| *name);
        for (name, value) in extensions {
            map.serialize_entry(name, value)?;
        }
        let content_type = event.datacontenttype();
        match event.data() {
            None => {}
            Some(Data::Binary(bytes)) => {
                map.serialize_entry("data_base64", &Base64(bytes))?;
            }
            Some(Data::Json(value)) if content_type.is_none_or(media_type::is_json) => {
                map.serialize_entry("data", value)?;
            }
            Some(Data::Json(value)) => map.serialize_entry("data", &value.to_string())?,
            Some(Data::String(text)) if content_type.is_some_and(media_type::is_json) => {
                match serde_json::from_str::<Value>(text) {
                    Ok(value) => map.serialize_entry("data", &value)?,
                    Err(_) => map.serialize_entry("data", text)?,
                }
            }
            Some(Data::String(text)) => map.serialize_entry("data", text)?,
        }
        map.end()
    }
}

struct Base64<'a>(&'a [u8]);

impl Serialize for Base64<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&base64::display::Base64Display::new(self.0, &BASE64))
    }
}

/// A batch of events as a JSON array for serde.
#[derive(Debug, Clone, Copy)]
pub struct JsonBatch<'a>(pub &'a [Event]);

impl Serialize for JsonBatch<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(JsonEvent))
    }
}

/// Writes one event in the JSON format. The event is written as it is: check it with
/// [`attributes::validate`] first if it did not come from a decoder.
///
/// # Errors
///
/// Only the writer's.
pub fn write_event<W: io::Write>(writer: W, event: &Event) -> io::Result<()> {
    serde_json::to_writer(writer, &JsonEvent(event)).map_err(io::Error::from)
}

/// Writes a batch in the JSON batch format.
///
/// # Errors
///
/// Only the writer's.
pub fn write_batch<W: io::Write>(writer: W, events: &[Event]) -> io::Result<()> {
    serde_json::to_writer(writer, &JsonBatch(events)).map_err(io::Error::from)
}

/// One event as JSON text.
pub fn to_vec(event: &Event) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    // Our Serialize impls never fail and a Vec never fails to grow.
    let _ = write_event(&mut out, event);
    out
}

/// A batch as JSON text.
pub fn batch_to_vec(events: &[Event]) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 * events.len() + 2);
    let _ = write_batch(&mut out, events);
    out
}

/// One event as a JSON value.
pub fn to_value(event: &Event) -> Value {
    serde_json::to_value(JsonEvent(event)).unwrap_or(Value::Null)
}
