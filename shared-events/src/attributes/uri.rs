//! RFC 3986 syntax checks for `source` (URI-reference) and `dataschema` (absolute URI).
//!
//! A grammar check only, without allocation or normalisation: `url::Url` follows the WHATWG
//! URL standard, which accepts and rewrites strings RFC 3986 rejects (spaces, backslashes) and
//! cannot represent relative references at all.

/// Whether `s` is an RFC 3986 `URI-reference` (§4.1): a URI or a relative reference.
pub fn is_uri_reference(s: &str) -> bool {
    parse(s).is_some()
}

/// Whether `s` is an RFC 3986 URI with a scheme (§3), fragment allowed.
pub fn is_absolute_uri(s: &str) -> bool {
    parse(s) == Some(true)
}

/// `None` if `s` is not a URI-reference, otherwise whether it has a scheme.
fn parse(s: &str) -> Option<bool> {
    let (rest, fragment) = split(s, b'#');
    if let Some(fragment) = fragment {
        check(fragment, is_query_char)?;
    }
    let (rest, query) = split(rest, b'?');
    if let Some(query) = query {
        check(query, is_query_char)?;
    }
    // A colon before any slash ends a scheme; a relative reference's first segment has none.
    let (scheme, rest) = match rest.bytes().position(|b| b == b':' || b == b'/') {
        Some(i) if rest.as_bytes()[i] == b':' => (Some(&rest[..i]), &rest[i + 1..]),
        _ => (None, rest),
    };
    if let Some(scheme) = scheme {
        let mut bytes = scheme.bytes();
        let first_is_alpha = bytes.next().is_some_and(|b| b.is_ascii_alphabetic());
        if !first_is_alpha
            || !bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        {
            return None;
        }
    }
    let path = match rest.strip_prefix("//") {
        Some(after) => {
            let end = after.find('/').unwrap_or(after.len());
            check_authority(&after[..end])?;
            &after[end..]
        }
        None => rest,
    };
    check(path, |b| is_pchar(b) || b == b'/')?;
    Some(scheme.is_some())
}

fn split(s: &str, at: u8) -> (&str, Option<&str>) {
    match s.bytes().position(|b| b == at) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    }
}

/// `authority = [ userinfo "@" ] host [ ":" port ]`
fn check_authority(authority: &str) -> Option<()> {
    let (userinfo, host_port) = match authority.split_once('@') {
        Some((userinfo, host_port)) => (Some(userinfo), host_port),
        None => (None, authority),
    };
    if let Some(userinfo) = userinfo {
        check(userinfo, |b| {
            is_unreserved(b) || is_sub_delim(b) || b == b':'
        })?;
    }
    let port = if let Some(literal) = host_port.strip_prefix('[') {
        let (inside, after) = literal.split_once(']')?;
        let ip_char = |b: u8| is_unreserved(b) || is_sub_delim(b) || b == b':';
        if inside.is_empty() || !inside.bytes().all(ip_char) {
            return None;
        }
        match after {
            "" => "",
            _ => after.strip_prefix(':')?,
        }
    } else {
        let (host, port) = match host_port.rsplit_once(':') {
            Some((host, port)) => (host, port),
            None => (host_port, ""),
        };
        check(host, |b| is_unreserved(b) || is_sub_delim(b))?;
        port
    };
    port.bytes().all(|b| b.is_ascii_digit()).then_some(())
}

/// Every byte allowed by `allowed` or part of a `%XX` escape.
fn check(s: &str, allowed: impl Fn(u8) -> bool) -> Option<()> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            i += 3;
        } else if allowed(bytes[i]) {
            i += 1;
        } else {
            return None;
        }
    }
    Some(())
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn is_sub_delim(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
    )
}

fn is_pchar(b: u8) -> bool {
    is_unreserved(b) || is_sub_delim(b) || matches!(b, b':' | b'@')
}

fn is_query_char(b: u8) -> bool {
    is_pchar(b) || matches!(b, b'/' | b'?')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specification_examples_are_uri_references() {
        for ok in [
            "https://github.com/cloudevents",
            "mailto:cncf-wg-serverless@lists.cncf.io",
            "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66",
            "cloudevents/spec/pull/123",
            "/sensors/tn-1234567/alerts",
            "1-555-123-4567",
            "//github.com/cloudevents/cloudeventsconformance/yaml/v1.yaml",
            "/order-service",
            "http://[::1]:8080/a?b=c#d",
            "http://user:pw@example.com:80/",
            "a%20b",
            ".",
            "",
        ] {
            assert!(is_uri_reference(ok), "{ok}");
        }
    }

    #[test]
    fn malformed_references_are_rejected() {
        for bad in [
            "has space",
            "1:2",
            "a#b#c",
            "50%",
            "%zz",
            "http://exa mple.com",
            "http://host:port/",
            "http://[::1/",
            "caf\u{e9}",
            "/path[1]",
            "\"quoted\"",
        ] {
            assert!(!is_uri_reference(bad), "{bad}");
        }
    }

    #[test]
    fn absolute_uris_need_a_scheme() {
        assert!(is_absolute_uri("https://example.com/schema.json"));
        assert!(is_absolute_uri("urn:example:schema"));
        assert!(!is_absolute_uri("/schema.json"));
        assert!(!is_absolute_uri("//example.com/schema.json"));
    }
}
