//! Header values as the HTTP binding (§3.1.3.2) encodes them: percent-encoding of every byte
//! outside printable ASCII plus space, `"` and `%`; on receipt, quoted-string unescaping, one
//! round of percent-decoding and a UTF-8 check.

use std::borrow::Cow;

/// Why a header value could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PercentError {
    /// The decoded bytes are not UTF-8 (an overlong form such as `%C0%A0` included).
    #[error("its percent-decoded bytes are not valid UTF-8")]
    InvalidUtf8,
}

/// Percent-encodes a canonical string for an HTTP header: space (U+0020), `"` (U+0022),
/// `%` (U+0025) and every byte outside U+0021–U+007E become `%XY` (upper-case hex) of the
/// character's UTF-8 bytes. Borrowed when nothing needs encoding.
pub fn encode(value: &str) -> Cow<'_, str> {
    let needs = |b: u8| !(0x21..=0x7E).contains(&b) || b == b'"' || b == b'%';
    let Some(first) = value.bytes().position(needs) else {
        return Cow::Borrowed(value);
    };
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(value.len() + 16);
    out.push_str(&value[..first]);
    for b in value.bytes().skip(first) {
        if needs(b) {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0F)]));
        } else {
            out.push(char::from(b));
        }
    }
    Cow::Owned(out)
}

/// Decodes a received header value: a value that is one RFC 9110 quoted-string is unquoted
/// (backslash escapes processed), then `%XY` sequences (either case) are decoded once, and the
/// result must be UTF-8.
///
/// Lenient where the binding's older versions and other SDKs differ: a `%` not followed by two
/// hex digits is kept as it is (senders that do not percent-encode, such as the Python SDK, send
/// `50% off` verbatim), double quotes inside a value that is not one quoted-string are kept
/// (the conformance suite sends `{"othervalue": 5}` unencoded), and raw UTF-8 bytes are accepted.
///
/// # Errors
///
/// [`PercentError::InvalidUtf8`] when the decoded bytes are not UTF-8.
pub fn decode(raw: &[u8]) -> Result<String, PercentError> {
    let raw = trim_ows(raw);
    let unquoted = unquote(raw);
    let bytes = unquoted.as_deref().unwrap_or(raw);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes.get(i..i + 3) {
            Some([b'%', hi, lo]) => hex(*hi).zip(hex(*lo)).map(|(h, l)| (h << 4) | l),
            _ => None,
        };
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| PercentError::InvalidUtf8)
}

fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// The content of `s` if the whole of it is one quoted-string.
fn unquote(s: &[u8]) -> Option<Vec<u8>> {
    let inner = s.strip_prefix(b"\"")?;
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        match inner[i] {
            b'\\' => {
                out.push(*inner.get(i + 1)?);
                i += 2;
            }
            b'"' => return (i + 1 == inner.len()).then_some(out),
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    None
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specification_example_is_encoded_exactly() {
        assert_eq!(
            encode("Euro \u{20AC} \u{1F600}"),
            "Euro%20%E2%82%AC%20%F0%9F%98%80"
        );
        assert_eq!(encode("a\"b%c\n\u{7f}"), "a%22b%25c%0A%7F");
        assert!(matches!(encode("/mycontext/subcontext"), Cow::Borrowed(_)));
    }

    #[test]
    fn decoding_accepts_lower_case_and_unnecessary_escapes() {
        assert_eq!(
            decode(b"Euro%20%e2%82%ac%20%F0%9F%98%80"),
            Ok("Euro \u{20AC} \u{1F600}".to_owned())
        );
        assert_eq!(decode(b"%41bc"), Ok("Abc".to_owned()));
    }

    #[test]
    fn invalid_utf8_after_decoding_is_rejected() {
        assert_eq!(decode(b"%C0%A0"), Err(PercentError::InvalidUtf8));
        assert_eq!(decode(b"%FF"), Err(PercentError::InvalidUtf8));
    }

    #[test]
    fn quoted_strings_are_unescaped_before_percent_decoding() {
        assert_eq!(decode(b"\"hello world\""), Ok("hello world".to_owned()));
        assert_eq!(decode(b"\"a\\\"b\""), Ok("a\"b".to_owned()));
        assert_eq!(decode(b"\"100%25\""), Ok("100%".to_owned()));
        assert_eq!(
            decode(b"{\"othervalue\": 5}"),
            Ok("{\"othervalue\": 5}".to_owned())
        );
        assert_eq!(decode(b"\"a\" \"b\""), Ok("\"a\" \"b\"".to_owned()));
    }

    #[test]
    fn stray_percent_signs_and_raw_utf8_are_kept() {
        assert_eq!(decode(b"50% off"), Ok("50% off".to_owned()));
        assert_eq!(decode(b"%"), Ok("%".to_owned()));
        assert_eq!(decode("caf\u{e9}".as_bytes()), Ok("caf\u{e9}".to_owned()));
    }

    #[test]
    fn every_string_survives_a_round_trip() {
        for s in [
            "",
            " ",
            "%",
            "%%41",
            "\"",
            "Euro \u{20AC} \u{1F600}",
            "a\u{0}b",
        ] {
            assert_eq!(decode(encode(s).as_bytes()).as_deref(), Ok(s));
        }
    }
}
