//! Media types (RFC 2046 / RFC 9110 §8.3.1), compared case-insensitively, with parameters.

/// A parsed media type: `type/subtype` lower-cased, parameters with lower-cased names and
/// unquoted values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaType {
    essence: String,
    slash: usize,
    params: Vec<(String, String)>,
}

impl MediaType {
    /// Parses `type/subtype *(OWS ";" OWS name=value)`, values a token or a quoted-string.
    /// `None` when the text is not a media type.
    pub fn parse(text: &str) -> Option<Self> {
        let mut p = Parser {
            s: text.trim_matches(is_ows).as_bytes(),
            at: 0,
        };
        let ty = p.token()?;
        p.expect(b'/')?;
        let subtype = p.token()?;
        let essence = format!("{ty}/{subtype}").to_ascii_lowercase();
        let mut params = Vec::new();
        loop {
            p.skip_ows();
            if p.at == p.s.len() {
                break;
            }
            p.expect(b';')?;
            p.skip_ows();
            if p.at == p.s.len() {
                break; // a trailing ";" is tolerated, as most parsers do
            }
            let name = p.token()?.to_ascii_lowercase();
            p.expect(b'=')?;
            let value = if p.peek() == Some(b'"') {
                p.quoted_string()?
            } else {
                p.token()?.to_owned()
            };
            params.push((name, value));
        }
        Some(Self {
            slash: ty.len(),
            essence,
            params,
        })
    }

    /// `type/subtype`, lower case, without parameters.
    pub fn essence(&self) -> &str {
        &self.essence
    }

    /// The top-level type, lower case (`application`).
    pub fn type_(&self) -> &str {
        &self.essence[..self.slash]
    }

    /// The subtype, lower case (`cloudevents+json`).
    pub fn subtype(&self) -> &str {
        &self.essence[self.slash + 1..]
    }

    /// A parameter's value by case-insensitive name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether this declares JSON: subtype `json` or ending in `+json`.
    pub fn is_json(&self) -> bool {
        let subtype = self.subtype();
        subtype == "json" || subtype.ends_with("+json")
    }

    /// Whether this declares text in a charset we read as UTF-8: a `text/*` type or a
    /// `charset` parameter, where the charset (if any) is `utf-8` or `us-ascii`.
    pub fn is_utf8_text(&self) -> bool {
        match self.param("charset") {
            Some(charset) => {
                charset.eq_ignore_ascii_case("utf-8") || charset.eq_ignore_ascii_case("us-ascii")
            }
            None => self.type_() == "text",
        }
    }
}

/// Whether a `datacontenttype` declares JSON (`*/json` or `*/*+json`, any case, parameters
/// ignored), without allocating. Unparsable text is not JSON.
pub fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default();
    let Some((_, subtype)) = essence.trim_matches(is_ows).split_once('/') else {
        return false;
    };
    let n = subtype.len();
    subtype.eq_ignore_ascii_case("json")
        || (n > 5
            && subtype.is_char_boundary(n - 5)
            && subtype[n - 5..].eq_ignore_ascii_case("+json"))
}

fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn expect(&mut self, b: u8) -> Option<()> {
        (self.peek() == Some(b)).then(|| self.at += 1)
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.at += 1;
        }
    }

    fn token(&mut self) -> Option<&'a str> {
        let start = self.at;
        while self.peek().is_some_and(is_tchar) {
            self.at += 1;
        }
        let token = &self.s[start..self.at];
        // tchar bytes are ASCII, so this cannot fail.
        (!token.is_empty()).then(|| std::str::from_utf8(token).ok())?
    }

    fn quoted_string(&mut self) -> Option<String> {
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            match self.peek()? {
                b'"' => {
                    self.at += 1;
                    return String::from_utf8(out).ok();
                }
                b'\\' => {
                    self.at += 1;
                    out.push(self.peek()?);
                }
                b => out.push(b),
            }
            self.at += 1;
        }
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_matched_case_insensitively_with_parameters() {
        let mt = MediaType::parse("Application/CloudEvents+JSON ; Charset=\"UTF-8\"")
            .expect("a media type");
        assert_eq!(mt.essence(), "application/cloudevents+json");
        assert_eq!(mt.subtype(), "cloudevents+json");
        assert_eq!(mt.param("charset"), Some("UTF-8"));
        assert!(mt.is_json());
    }

    #[test]
    fn json_is_any_json_subtype_or_suffix() {
        for json in [
            "application/json",
            "text/json",
            "application/vnd.api+json; charset=utf-8",
            "APPLICATION/JSON",
        ] {
            assert!(is_json(json), "{json}");
            assert!(
                MediaType::parse(json).is_some_and(|m| m.is_json()),
                "{json}"
            );
        }
        for not_json in ["text/plain", "application/jsonx", "json", "application/xml"] {
            assert!(!is_json(not_json), "{not_json}");
        }
    }

    #[test]
    fn malformed_types_are_rejected() {
        for bad in [
            "",
            "text",
            "text/",
            "/plain",
            "text/plain; charset",
            "a b/c",
        ] {
            assert_eq!(MediaType::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn text_is_read_as_utf8_only_for_utf8_charsets() {
        let text = |s| MediaType::parse(s).is_some_and(|m| m.is_utf8_text());
        assert!(text("text/plain"));
        assert!(text("application/xml; charset=utf-8"));
        assert!(text("text/plain; charset=us-ascii"));
        assert!(!text("text/plain; charset=iso-8859-1"));
        assert!(!text("application/octet-stream"));
    }
}
