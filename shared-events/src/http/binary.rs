//! Binary content mode (§3.1): attributes in `ce-` headers, `datacontenttype` in Content-Type,
//! data as the body.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use cloudevents::{AttributesReader, AttributesWriter, Data, Event};
use http::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};

use super::error::BindingError;
use super::media_type::{self, MediaType};
use super::percent;
use crate::attributes::{self, AttributeError};

/// The header that carries an attribute in binary mode: `ce-<name>`, or Content-Type for
/// `datacontenttype`.
pub fn header_name(attribute: &str) -> String {
    if attribute == "datacontenttype" {
        CONTENT_TYPE.as_str().to_owned()
    } else {
        format!("ce-{attribute}")
    }
}

/// Reads a binary-mode message. Header names are case-insensitive (they arrive lower-cased);
/// headers without the `ce-` prefix, such as `user-agent`, are transport metadata, not
/// attributes.
pub(super) fn decode(headers: &HeaderMap, body: Bytes) -> Result<Event, BindingError> {
    let mut event = Event::default();
    event.set_time(None::<DateTime<Utc>>);
    let (mut specversion, mut id, mut source, mut ty) = (None, None, None, None);
    for name in headers.keys() {
        let Some(attribute) = name.as_str().strip_prefix("ce-") else {
            continue;
        };
        let header = || name.as_str().to_owned();
        let mut values = headers.get_all(name).iter();
        let (Some(raw), None) = (values.next(), values.next()) else {
            return Err(BindingError::DuplicateHeader { header: header() });
        };
        let value =
            percent::decode(raw.as_bytes()).map_err(|source| BindingError::HeaderEncoding {
                header: header(),
                source,
            })?;
        let invalid = |source| BindingError::Header {
            header: header(),
            source,
        };
        match attribute {
            "specversion" => specversion = Some(value),
            "id" => id = Some(value),
            "source" => source = Some(value),
            "type" => ty = Some(value),
            "subject" => {
                event.set_subject(Some(value));
            }
            "time" => {
                event.set_time(Some(attributes::parse_time(&value).map_err(invalid)?));
            }
            "dataschema" => {
                event.set_dataschema(Some(attributes::parse_dataschema(&value).map_err(invalid)?));
            }
            "datacontenttype" => return Err(BindingError::DataContentTypeHeader),
            extension => {
                attributes::check_extension_name(extension).map_err(invalid)?;
                event.set_extension(extension, value);
            }
        }
    }

    let specversion = specversion.ok_or(BindingError::MissingSpecVersion)?;
    if specversion != "1.0" {
        return Err(header_error(AttributeError::UnsupportedSpecVersion(
            specversion,
        )));
    }
    event.set_id(id.ok_or_else(|| header_error(AttributeError::Missing("id")))?);
    event.set_source(source.ok_or_else(|| header_error(AttributeError::Missing("source")))?);
    event.set_type(ty.ok_or_else(|| header_error(AttributeError::Missing("type")))?);

    let content_type = match headers.get(CONTENT_TYPE) {
        None => None,
        Some(value) => {
            let text = value.to_str().map_err(|_| {
                header_error(AttributeError::InvalidDataContentType(
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                ))
            })?;
            Some(text.trim().to_owned()).filter(|text| !text.is_empty())
        }
    };
    if !body.is_empty() {
        event.set_data_unchecked(decode_data(content_type.as_deref(), body)?);
    }
    event.set_datacontenttype(content_type);
    attributes::validate(&event).map_err(header_error)?;
    Ok(event)
}

fn header_error(source: AttributeError) -> BindingError {
    BindingError::Header {
        header: header_name(source.attribute()),
        source,
    }
}

/// JSON content types keep their data as JSON; UTF-8 text (a `text/*` type or a UTF-8/ASCII
/// `charset`) becomes a string; anything else, or no Content-Type at all, is bytes.
fn decode_data(content_type: Option<&str>, body: Bytes) -> Result<Data, BindingError> {
    let Some(content_type) = content_type else {
        return Ok(Data::Binary(body.into()));
    };
    if media_type::is_json(content_type) {
        return serde_json::from_slice(&body)
            .map(Data::Json)
            .map_err(|source| BindingError::InvalidJsonData {
                content_type: content_type.to_owned(),
                source,
            });
    }
    if MediaType::parse(content_type).is_some_and(|mt| mt.is_utf8_text()) {
        return Ok(match String::from_utf8(body.into()) {
            Ok(text) => Data::String(text),
            Err(not_utf8) => Data::Binary(not_utf8.into_bytes()),
        });
    }
    Ok(Data::Binary(body.into()))
}

/// Writes a binary-mode message: every attribute percent-encoded in its `ce-` header,
/// `datacontenttype` as Content-Type (`application/json` for JSON data without one, as the JSON
/// format implies), the data as the body.
pub(super) fn encode(event: &Event) -> Result<(HeaderMap, Bytes), AttributeError> {
    attributes::validate(event)?;
    let mut headers = HeaderMap::with_capacity(8 + event.iter_extensions().count());
    let mut put = |name: HeaderName, value: &str| {
        // Percent-encoding leaves only printable ASCII, which is always a valid header value.
        if let Ok(value) = HeaderValue::from_str(&percent::encode(value)) {
            headers.insert(name, value);
        }
    };
    put(HeaderName::from_static("ce-specversion"), "1.0");
    put(HeaderName::from_static("ce-id"), event.id());
    put(HeaderName::from_static("ce-source"), event.source());
    put(HeaderName::from_static("ce-type"), event.ty());
    if let Some(subject) = event.subject() {
        put(HeaderName::from_static("ce-subject"), subject);
    }
    if let Some(time) = event.time() {
        put(
            HeaderName::from_static("ce-time"),
            &attributes::format_time(time),
        );
    }
    if let Some(schema) = event.dataschema() {
        put(HeaderName::from_static("ce-dataschema"), schema.as_str());
    }
    for (name, value) in event.iter_extensions() {
        let header = HeaderName::try_from(format!("ce-{name}"))
            .map_err(|_| AttributeError::InvalidName(name.to_owned()))?;
        put(header, &attributes::extension_string(value));
    }
    let content_type = match (event.datacontenttype(), event.data()) {
        (Some(content_type), _) => Some(content_type),
        (None, Some(Data::Json(_))) => Some("application/json"),
        (None, _) => None,
    };
    if let Some(content_type) = content_type {
        let value = HeaderValue::from_str(content_type)
            .map_err(|_| AttributeError::InvalidDataContentType(content_type.to_owned()))?;
        headers.insert(CONTENT_TYPE, value);
    }
    let body = match event.data() {
        None => Bytes::new(),
        Some(Data::Binary(bytes)) => Bytes::copy_from_slice(bytes),
        Some(Data::String(text)) => Bytes::copy_from_slice(text.as_bytes()),
        Some(Data::Json(value)) => Bytes::from(serde_json::to_vec(value).unwrap_or_default()),
    };
    Ok((headers, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let required = [
            ("ce-specversion", "1.0"),
            ("ce-id", "1"),
            ("ce-source", "/s"),
            ("ce-type", "t"),
        ];
        for (name, value) in required.iter().chain(pairs) {
            headers.insert(
                HeaderName::from_static(name),
                HeaderValue::from_str(value).expect("a header value"),
            );
        }
        headers
    }

    fn data(content_type: Option<&'static str>, body: &'static [u8]) -> Option<Data> {
        let pairs: Vec<_> = content_type
            .map(|ct| ("content-type", ct))
            .into_iter()
            .collect();
        let event = decode(&headers(&pairs), Bytes::from_static(body)).expect("decodes");
        event.data().cloned()
    }

    #[test]
    fn data_is_json_text_or_bytes_by_content_type() {
        assert_eq!(
            data(Some("Application/JSON"), b"[1]"),
            Some(Data::Json(json!([1])))
        );
        assert_eq!(
            data(Some("text/plain"), b"hi"),
            Some(Data::String("hi".into()))
        );
        assert_eq!(
            data(Some("text/plain"), b"\xff"),
            Some(Data::Binary(vec![0xff]))
        );
        assert_eq!(
            data(Some("image/png"), b"hi"),
            Some(Data::Binary(b"hi".to_vec()))
        );
        assert_eq!(data(None, b"{}"), Some(Data::Binary(b"{}".to_vec())));
        assert_eq!(data(Some("application/json"), b""), None);
    }

    #[test]
    fn transport_headers_are_not_attributes_and_extensions_are_strings() {
        let event = decode(
            &headers(&[("user-agent", "foo"), ("ce-count", "5")]),
            Bytes::new(),
        )
        .expect("decodes");
        let names: Vec<_> = event.iter_extensions().map(|(name, _)| name).collect();
        assert_eq!(names, ["count"]);
        assert_eq!(
            event.extension("count"),
            Some(&cloudevents::event::ExtensionValue::String("5".into()))
        );
    }

    #[test]
    fn json_data_without_a_content_type_is_labelled_application_json() {
        let mut event = decode(&headers(&[]), Bytes::new()).expect("decodes");
        event.set_data_unchecked(json!({"a": 1}));
        let (headers, body) = encode(&event).expect("encodes");
        assert_eq!(headers[CONTENT_TYPE], "application/json");
        assert_eq!(&body[..], br#"{"a":1}"#);
    }
}
