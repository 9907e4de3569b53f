//! The headers of a document response: the HTTP binding's `xRegistry-` metadata headers.

use super::SCHEMA_CONTENT_TYPE;
use http::{HeaderMap, HeaderName, HeaderValue, header};
use serde_json::Value;

/// The headers of a document response: its media type, `Content-Disposition`, and every
/// top-level scalar attribute as an `xRegistry-` header (values percent-encoded as the HTTP
/// binding requires).
pub(super) fn document_headers(value: &Value, id: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(SCHEMA_CONTENT_TYPE),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{id}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    let Some(object) = value.as_object() else {
        return headers;
    };
    for (name, attribute) in object {
        let text = match attribute {
            Value::String(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            _ => continue,
        };
        if name == "contenttype" {
            continue;
        }
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(format!("xregistry-{name}").as_bytes()),
            HeaderValue::from_str(&encode_value(&text)),
        ) else {
            continue;
        };
        headers.insert(name, value);
    }
    headers
}

/// Percent-encodes space, `"`, `%` and everything outside printable ASCII.
fn encode_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if (0x21..=0x7e).contains(&byte) && byte != b'"' && byte != b'%' {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_encode_spaces_quotes_percent_and_non_ascii() {
        assert_eq!(encode_value("a b\"c%d€"), "a%20b%22c%25d%E2%82%AC");
    }
}
