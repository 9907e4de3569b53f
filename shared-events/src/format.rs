//! The JSON event format (CloudEvents 1.0.2 JSON format §2–§4): one event as a JSON object
//! (`application/cloudevents+json`), a batch as a JSON array (`application/cloudevents-batch+json`).
//!
//! Written here rather than taken from the SDK's serde impls, which turn `data_base64` under a
//! JSON content type into JSON, accept `data` and `data_base64` together and do not check the
//! attribute rules.
//!
//! # Data
//!
//! Decoding: `data_base64` becomes [`Data::Binary`]; `data` becomes [`Data::Json`] when
//! `datacontenttype` is absent or JSON (`*/json`, `*/*+json`, any case, with parameters),
//! otherwise it must be a string and becomes [`Data::String`]. A `null` attribute is absent.
//!
//! Encoding: [`Data::Binary`] is written as `data_base64`; [`Data::Json`] as `data`, verbatim
//! under a JSON (or absent) content type and as its JSON text otherwise; [`Data::String`] under an
//! explicit JSON content type is taken as JSON text (as in binary mode, where it is the body) and
//! embedded as the value it parses to, or as a JSON string if it does not parse; under any other
//! content type it is a JSON string.
//!
//! # Extensions
//!
//! JSON strings, booleans and integers (in the 32-bit `Integer` range, no fraction or exponent)
//! become [`ExtensionValue`]s; any other JSON type is rejected, naming the attribute.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use cloudevents::event::ExtensionValue;
use cloudevents::{AttributesWriter, Data, Event};
use serde_json::{Map, Value};

use crate::attributes::{self, AttributeError};
use crate::http::media_type;
use crate::problem::Problem;

/// The media type of one event in the JSON format.
pub const MEDIA_TYPE: &str = "application/cloudevents+json";
/// The media type of a batch in the JSON batch format.
pub const BATCH_MEDIA_TYPE: &str = "application/cloudevents-batch+json";

/// Standard base64, padding written and optional when read.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a JSON document is not an event or a batch. `index` is the event's position in a batch.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The bytes are not JSON.
    #[error("the body is not valid JSON: {0}")]
    InvalidJson(#[source] serde_json::Error),
    /// A batch is not a JSON array.
    #[error("a batch must be a JSON array of events, found {found}")]
    NotAnArray {
        /// The JSON type found instead.
        found: &'static str,
    },
    /// An event is not a JSON object.
    #[error("{}an event must be a JSON object, found {found}", at(.index))]
    NotAnObject {
        /// Position in the batch.
        index: Option<usize>,
        /// The JSON type found instead.
        found: &'static str,
    },
    /// An attribute breaks the rules.
    #[error("{}{source}", at(.index))]
    Attribute {
        /// Position in the batch.
        index: Option<usize>,
        /// What is wrong with which attribute.
        source: AttributeError,
    },
    /// Both `data` and `data_base64` are present.
    #[error("{}`data` and `data_base64` are mutually exclusive", at(.index))]
    DataAndDataBase64 {
        /// Position in the batch.
        index: Option<usize>,
    },
    /// `data_base64` is not a base64 string.
    #[error("{}`data_base64` must be a base64 string (RFC 4648)", at(.index))]
    InvalidBase64 {
        /// Position in the batch.
        index: Option<usize>,
    },
    /// `data` is not a string although `datacontenttype` does not declare JSON.
    #[error(
        "{}`data` must be a string because datacontenttype `{content_type}` is not JSON",
        at(.index)
    )]
    DataNotString {
        /// Position in the batch.
        index: Option<usize>,
        /// The non-JSON content type.
        content_type: String,
    },
}

fn at(index: &Option<usize>) -> String {
    index.map_or_else(String::new, |i| format!("event {i} of the batch: "))
}

impl FormatError {
    /// The position of the offending event in a batch.
    pub fn index(&self) -> Option<usize> {
        match self {
            Self::InvalidJson(_) | Self::NotAnArray { .. } => None,
            Self::NotAnObject { index, .. }
            | Self::Attribute { index, .. }
            | Self::DataAndDataBase64 { index }
            | Self::InvalidBase64 { index }
            | Self::DataNotString { index, .. } => *index,
        }
    }

    /// The attribute (or `data`/`data_base64` member) at fault, if one is.
    pub fn attribute(&self) -> Option<&str> {
        match self {
            Self::Attribute { source, .. } => Some(source.attribute()),
            Self::DataAndDataBase64 { .. } | Self::DataNotString { .. } => Some("data"),
            Self::InvalidBase64 { .. } => Some("data_base64"),
            Self::InvalidJson(_) | Self::NotAnArray { .. } | Self::NotAnObject { .. } => None,
        }
    }

    fn at(mut self, position: usize) -> Self {
        match &mut self {
            Self::NotAnObject { index, .. }
            | Self::Attribute { index, .. }
            | Self::DataAndDataBase64 { index }
            | Self::InvalidBase64 { index }
            | Self::DataNotString { index, .. } => *index = Some(position),
            Self::InvalidJson(_) | Self::NotAnArray { .. } => {}
        }
        self
    }
}

impl From<AttributeError> for FormatError {
    fn from(source: AttributeError) -> Self {
        Self::Attribute {
            index: None,
            source,
        }
    }
}

impl From<FormatError> for Problem {
    /// 400 with `attribute` and, in a batch, `index` members.
    fn from(error: FormatError) -> Self {
        let mut problem = match &error {
            FormatError::Attribute { source, .. } => Problem::from(source.clone()),
            _ => Problem::bad_request(String::new()),
        };
        problem.detail = Some(error.to_string());
        if let Some(attribute) = error.attribute() {
            problem = problem.with("attribute", attribute);
        }
        if let Some(index) = error.index() {
            problem = problem.with("index", index);
        }
        problem
    }
}

/// Decodes one event from JSON text.
///
/// # Errors
///
/// [`FormatError`] naming what is wrong.
pub fn from_slice(json: &[u8]) -> Result<Event, FormatError> {
    from_value(serde_json::from_slice(json).map_err(FormatError::InvalidJson)?)
}

/// Decodes one event from a JSON value.
///
/// # Errors
///
/// [`FormatError`] naming what is wrong.
pub fn from_value(value: Value) -> Result<Event, FormatError> {
    match value {
        Value::Object(map) => from_map(map),
        other => Err(FormatError::NotAnObject {
            index: None,
            found: json_type(&other),
        }),
    }
}

/// Decodes a batch (a JSON array of events, possibly empty) from JSON text.
///
/// # Errors
///
/// [`FormatError`] naming what is wrong and, for an event, its index.
pub fn batch_from_slice(json: &[u8]) -> Result<Vec<Event>, FormatError> {
    batch_from_value(serde_json::from_slice(json).map_err(FormatError::InvalidJson)?)
}

/// Decodes a batch from a JSON value.
///
/// # Errors
///
/// [`FormatError`] naming what is wrong and, for an event, its index.
pub fn batch_from_value(value: Value) -> Result<Vec<Event>, FormatError> {
    let Value::Array(items) = value else {
        return Err(FormatError::NotAnArray {
            found: json_type(&value),
        });
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| from_value(item).map_err(|e| e.at(i)))
        .collect()
}

fn from_map(mut map: Map<String, Value>) -> Result<Event, FormatError> {
    let specversion =
        take_string(&mut map, "specversion")?.ok_or(AttributeError::Missing("specversion"))?;
    if specversion != "1.0" {
        return Err(AttributeError::UnsupportedSpecVersion(specversion).into());
    }
    let id = take_string(&mut map, "id")?.ok_or(AttributeError::Missing("id"))?;
    let source = take_string(&mut map, "source")?.ok_or(AttributeError::Missing("source"))?;
    let ty = take_string(&mut map, "type")?.ok_or(AttributeError::Missing("type"))?;
    let datacontenttype = take_string(&mut map, "datacontenttype")?;
    let dataschema = take_string(&mut map, "dataschema")?
        .map(|s| attributes::parse_dataschema(&s))
        .transpose()?;
    let subject = take_string(&mut map, "subject")?;
    let time = take_string(&mut map, "time")?
        .map(|s| attributes::parse_time(&s))
        .transpose()?;
    let data = decode_data(
        map.remove("data"),
        map.remove("data_base64"),
        datacontenttype.as_deref(),
    )?;

    let mut event = Event::default();
    event.set_id(id);
    event.set_source(source);
    event.set_type(ty);
    event.set_datacontenttype(datacontenttype);
    event.set_dataschema(dataschema);
    event.set_subject(subject);
    event.set_time(time);
    if let Some(data) = data {
        event.set_data_unchecked(data);
    }
    for (name, value) in map {
        attributes::check_extension_name(&name)?;
        if let Some(value) = extension_value(&name, value)? {
            event.set_extension(&name, value);
        }
    }
    attributes::validate(&event)?;
    Ok(event)
}

fn take_string(map: &mut Map<String, Value>, name: &str) -> Result<Option<String>, AttributeError> {
    match map.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(AttributeError::WrongType {
            attribute: name.to_owned(),
            expected: "a string",
        }),
    }
}

fn extension_value(name: &str, value: Value) -> Result<Option<ExtensionValue>, AttributeError> {
    let wrong = |expected| AttributeError::WrongType {
        attribute: name.to_owned(),
        expected,
    };
    Ok(Some(match value {
        Value::Null => return Ok(None),
        Value::String(s) => ExtensionValue::String(s),
        Value::Bool(b) => ExtensionValue::Boolean(b),
        Value::Number(n) if n.is_f64() => {
            return Err(wrong("an integer (no fraction or exponent)"));
        }
        Value::Number(n) => match n.as_i64().filter(|i| i32::try_from(*i).is_ok()) {
            Some(i) => ExtensionValue::Integer(i),
            None => {
                return Err(AttributeError::IntegerOutOfRange {
                    attribute: name.to_owned(),
                    value: n.to_string(),
                });
            }
        },
        Value::Array(_) | Value::Object(_) => {
            return Err(wrong("a string, an integer or a boolean"));
        }
    }))
}

fn decode_data(
    data: Option<Value>,
    base64: Option<Value>,
    content_type: Option<&str>,
) -> Result<Option<Data>, FormatError> {
    let base64 = base64.filter(|v| !v.is_null());
    match (data, base64) {
        (Some(data), Some(_)) if !data.is_null() => {
            Err(FormatError::DataAndDataBase64 { index: None })
        }
        (_, Some(Value::String(encoded))) => BASE64
            .decode(encoded)
            .map(|bytes| Some(Data::Binary(bytes)))
            .map_err(|_| FormatError::InvalidBase64 { index: None }),
        (_, Some(_)) => Err(FormatError::InvalidBase64 { index: None }),
        (None, None) => Ok(None),
        (Some(data), None) => match content_type {
            None => Ok(Some(Data::Json(data))),
            Some(ct) if media_type::is_json(ct) => Ok(Some(Data::Json(data))),
            Some(_) if data.is_null() => Ok(None),
            Some(_) => match data {
                Value::String(s) => Ok(Some(Data::String(s))),
                _ => Err(FormatError::DataNotString {
                    index: None,
                    content_type: content_type.unwrap_or_default().to_owned(),
                }),
            },
        },
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

mod encode;

pub use encode::{JsonBatch, JsonEvent, batch_to_vec, to_value, to_vec, write_batch, write_event};

#[cfg(test)]
mod tests;
