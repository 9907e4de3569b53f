//! An HTTP request as a ready-to-paste `curl` command line: what `cectl build -o curl` prints
//! and what the gateway's console offers to copy, so both write the same line.

use http::HeaderMap;
use http::header::CONTENT_TYPE;

/// Quotes `text` for a POSIX shell: bare when it is made only of safe characters, else in
/// single quotes (a `'` inside becomes `'\''`).
pub fn shell_quote(text: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        return text.to_owned();
    }
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The body is binary: it cannot be a shell argument (structured mode carries such data as
/// `data_base64`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("binary data cannot be a shell argument")]
pub struct BinaryBody;

/// The curl command that POSTs `headers` and `body` to `url`: `Content-Type` and the required
/// attributes first, the other headers by name, so the same request gives the same line.
/// With `token_from_env` it sends `Authorization: Bearer $CECTL_TOKEN` (the token itself is
/// never written into the line).
///
/// # Errors
/// [`BinaryBody`] when the body is not UTF-8.
pub fn curl_line(
    url: &str,
    headers: &HeaderMap,
    body: &[u8],
    token_from_env: bool,
) -> Result<String, BinaryBody> {
    let mut names: Vec<&str> = headers.keys().map(http::HeaderName::as_str).collect();
    let rank = |name: &str| match name {
        "content-type" => 0,
        "ce-specversion" => 1,
        "ce-id" => 2,
        "ce-source" => 3,
        "ce-type" => 4,
        _ => 5,
    };
    names.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)));
    let mut line = format!("curl -i -X POST {}", shell_quote(url));
    for name in names {
        for value in headers.get_all(name) {
            let value = String::from_utf8_lossy(value.as_bytes());
            let header = if name == CONTENT_TYPE.as_str() {
                format!("Content-Type: {value}")
            } else {
                format!("{name}: {value}")
            };
            line.push_str(" -H ");
            line.push_str(&shell_quote(&header));
        }
    }
    if token_from_env {
        line.push_str(r#" -H "Authorization: Bearer $CECTL_TOKEN""#);
    }
    if !body.is_empty() {
        let text = std::str::from_utf8(body).map_err(|_| BinaryBody)?;
        line.push_str(" --data-binary ");
        line.push_str(&shell_quote(text));
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_leaves_safe_text_bare_and_quotes_the_rest() {
        assert_eq!(shell_quote("http://a:1/events"), "http://a:1/events");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("$HOME `x` \\ \"q\""), r#"'$HOME `x` \ "q"'"#);
    }

    #[test]
    fn a_binary_body_is_refused() {
        assert_eq!(
            curl_line("http://a/", &HeaderMap::new(), &[0xff, 0xfe], false),
            Err(BinaryBody)
        );
    }
}
