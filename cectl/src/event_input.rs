//! The event that `cectl send` and `cectl build` make from their flags: attributes, typed
//! `-f path=value` fields, `--data` from a file, stdin or the command line, and extensions.
//! Catalog types get the `dataschema` of their current schema revision in the gateway's
//! registry, as the services' own events do.

use std::path::Path;

use chrono::{DateTime, Utc};
use clap::Args;
use serde_json::{Map, Value};
use shared_events::http::media_type;
use shared_events::producer::Producer;
use shared_events::{AttributesWriter, Data, Event, EventBuilder, EventBuilderV10, catalog};
use url::Url;

use crate::commands::read_input;
use crate::exit::Failure;

/// The flags that describe one event.
#[derive(Debug, Clone, Args)]
pub struct EventArgs {
    /// The event type (`com.example.order.created.v1`); catalog types are validated
    #[arg(short = 't', long = "type", value_name = "TYPE")]
    pub event_type: String,
    /// The source, a URI reference naming the producer
    #[arg(short = 's', long, default_value = "/cectl")]
    pub source: String,
    /// The id [default: a fresh UUIDv7]
    #[arg(long)]
    pub id: Option<String>,
    /// The subject (any UTF-8; percent-encoded in binary mode)
    #[arg(long)]
    pub subject: Option<String>,
    /// The time, RFC 3339 [default: now]
    #[arg(long, value_parser = parse_time)]
    pub time: Option<DateTime<Utc>>,
    /// A data field, PATH=VALUE, repeatable; dots nest (`-f customer.id=c-1`); VALUE is JSON
    /// when it is JSON (numbers, true, false, null, objects, arrays, "quoted strings"), else a
    /// string
    #[arg(short = 'f', long = "field", value_name = "PATH=VALUE")]
    pub fields: Vec<String>,
    /// The data: @FILE, - for stdin, or the JSON itself; `-f` fields are set on top of it
    #[arg(long, value_name = "@FILE|-|JSON")]
    pub data: Option<String>,
    /// The data's media type [default: application/json]; a non-JSON type sends --data as is
    #[arg(long = "content-type", value_name = "MEDIA_TYPE")]
    pub content_type: Option<String>,
    /// An extension attribute, NAME=VALUE (a string), repeatable (`--ext partitionkey=o-1`)
    #[arg(long = "ext", value_name = "NAME=VALUE")]
    pub extensions: Vec<String>,
    /// Send a catalog type even when its data does not match the schema (to test a receiver)
    #[arg(long)]
    pub no_validate: bool,
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("not an RFC 3339 time: {e}"))
}

/// A `-f` value typed as JSON when it is JSON, else as a string.
pub fn typed_value(text: &str) -> Result<Value, String> {
    let looks_structured = text.starts_with(['{', '[', '"']);
    match serde_json::from_str::<Value>(text) {
        Ok(value @ (Value::Number(_) | Value::Bool(_) | Value::Null)) => Ok(value),
        Ok(value) if looks_structured => Ok(value),
        Err(e) if looks_structured => Err(format!("`{text}` is not valid JSON: {e}")),
        _ => Ok(Value::String(text.to_owned())),
    }
}

/// Sets `path=value` (dots nest, objects are created as needed) in `data`.
pub fn set_field(data: &mut Value, assignment: &str) -> Result<(), String> {
    let (path, raw) = assignment
        .split_once('=')
        .ok_or_else(|| format!("`{assignment}` is not PATH=VALUE"))?;
    let parts: Vec<&str> = path.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(format!("`{path}` is not a field path (empty segment)"));
    }
    let value = typed_value(raw)?;
    let mut at = data;
    for (i, part) in parts.iter().enumerate() {
        let Value::Object(map) = at else {
            let parent = parts[..i].join(".");
            return Err(format!(
                "cannot set `{path}`: `{}` is not an object",
                if parent.is_empty() {
                    "the data"
                } else {
                    &parent
                }
            ));
        };
        if i + 1 == parts.len() {
            map.insert((*part).to_owned(), value);
            return Ok(());
        }
        at = map
            .entry((*part).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    Ok(())
}

impl EventArgs {
    /// The data the flags describe, `None` for an event without data.
    fn data(&self) -> Result<Option<(Option<String>, Data)>, Failure> {
        let raw = match self.data.as_deref() {
            None => None,
            Some("-") => Some(read_input(Path::new("-")).map_err(Failure::from)?),
            Some(at) if at.starts_with('@') => {
                Some(read_input(Path::new(&at[1..])).map_err(Failure::from)?)
            }
            Some(text) => Some(text.as_bytes().to_vec()),
        };
        let content_type = self.content_type.clone();
        let json = content_type.as_deref().is_none_or(media_type::is_json);
        if !json {
            if !self.fields.is_empty() {
                return Err(Failure::usage(
                    "-f fields build JSON data; they cannot go with a non-JSON --content-type",
                ));
            }
            return Ok(raw.map(|bytes| {
                let text_type = content_type
                    .as_deref()
                    .and_then(media_type::MediaType::parse)
                    .is_some_and(|mt| mt.is_utf8_text());
                let data = match String::from_utf8(bytes) {
                    Ok(text) if text_type => Data::String(text),
                    Ok(text) => Data::Binary(text.into_bytes()),
                    Err(e) => Data::Binary(e.into_bytes()),
                };
                (content_type, data)
            }));
        }
        let mut value = match raw {
            None if self.fields.is_empty() => return Ok(None),
            None => Value::Object(Map::new()),
            Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                Failure::usage(format!(
                    "--data is not JSON ({e}); pass --content-type to send something else"
                ))
            })?,
        };
        for field in &self.fields {
            set_field(&mut value, field).map_err(Failure::usage)?;
        }
        let content_type = content_type.unwrap_or_else(|| "application/json".to_owned());
        Ok(Some((Some(content_type), Data::Json(value))))
    }

    /// The event. Catalog types get the `dataschema` of their schema in the registry at
    /// `<gateway>/registry`.
    ///
    /// # Errors
    /// A usage [`Failure`] for unreadable or malformed flags; a "bad" one (exit 3) for an
    /// event the CloudEvents rules refuse.
    pub fn build(&self, gateway: &str) -> Result<Event, Failure> {
        let id = self
            .id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
        let mut builder = EventBuilderV10::new()
            .id(id)
            .source(self.source.as_str())
            .ty(self.event_type.as_str())
            .time(self.time.unwrap_or_else(Utc::now));
        if let Some(subject) = &self.subject {
            builder = builder.subject(subject.as_str());
        }
        for ext in &self.extensions {
            let (name, value) = ext
                .split_once('=')
                .ok_or_else(|| Failure::usage(format!("--ext `{ext}` is not NAME=VALUE")))?;
            builder = builder.extension(name, value);
        }
        let mut event = builder
            .build()
            .map_err(|e| Failure::bad(format!("not a valid CloudEvent: {e}")))?;
        if let Some((content_type, data)) = self.data()? {
            event.set_data_unchecked(data);
            event.set_datacontenttype(content_type);
        }
        if catalog::lookup(&self.event_type).is_some() {
            let base = format!("{}/registry", gateway.trim_end_matches('/'));
            if let Ok(base) = Url::parse(&base) {
                let producer = Producer::new(self.source.as_str(), base);
                event.set_dataschema(Some(producer.dataschema(&self.event_type)));
            }
        }
        Ok(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_json_when_they_are_json_and_strings_otherwise() {
        let cases = [
            ("42", json!(42)),
            ("-1.5", json!(-1.5)),
            ("1e3", json!(1000.0)),
            ("true", json!(true)),
            ("null", json!(null)),
            ("[1,\"a\"]", json!([1, "a"])),
            ("{\"a\":1}", json!({"a": 1})),
            ("\"42\"", json!("42")),
            ("007", json!("007")),
            ("nan", json!("nan")),
            ("+1", json!("+1")),
            ("hello world", json!("hello world")),
            ("", json!("")),
            ("True", json!("True")),
        ];
        for (text, expected) in cases {
            assert_eq!(typed_value(text), Ok(expected), "{text}");
        }
        assert!(typed_value("{oops").is_err());
    }

    #[test]
    fn dotted_paths_build_nested_objects() {
        let mut data = json!({"keep": 1});
        for field in ["a.b=1", "a.c=x", "a.d.e=true", "top=[1]"] {
            set_field(&mut data, field).expect(field);
        }
        assert_eq!(
            data,
            json!({"keep": 1, "a": {"b": 1, "c": "x", "d": {"e": true}}, "top": [1]})
        );
        assert!(set_field(&mut data, "keep.x=1").is_err());
        assert!(set_field(&mut data, "a..b=1").is_err());
        assert!(set_field(&mut data, "novalue").is_err());
        let mut equals = json!({});
        set_field(&mut equals, "q=a=b").expect("first = splits");
        assert_eq!(equals, json!({"q": "a=b"}));
    }
}
