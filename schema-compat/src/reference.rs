//! Local `$ref` resolution and JSON pointer escaping.

use std::borrow::Cow;

use serde_json::Value;

pub(crate) fn step<'v>(value: &'v Value, segment: &str) -> Option<&'v Value> {
    match value {
        Value::Object(map) => map.get(segment),
        Value::Array(items) => items.get(segment.parse::<usize>().ok()?),
        _ => None,
    }
}

/// Escapes one JSON pointer segment (RFC 6901).
pub(crate) fn escape(segment: &str) -> Cow<'_, str> {
    if segment.contains(['~', '/']) {
        Cow::Owned(segment.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(segment)
    }
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(byte);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Resolves `reference`, found at `from` in `doc`, to a pointer and node of `doc`.
///
/// Supported: `#`, `#/json/pointer` (percent-encoded or not), `#anchor` (`$anchor`), and the
/// same prefixed with the root `$id`. A `$ref` under a nested `$id` (another base URI) and any
/// other URI are not resolved: the caller fails closed.
pub(crate) fn resolve<'a>(
    doc: &'a Value,
    from: &str,
    reference: &str,
) -> Result<(String, &'a Value), String> {
    if has_nested_id(doc, from) {
        return Err(format!(
            "`{reference}` sits under a nested `$id`; only references against the root resolve"
        ));
    }
    let fragment = match reference.split_once('#') {
        Some(("", fragment)) => fragment,
        Some((base, fragment)) if Some(base) == root_id(doc) => fragment,
        None if Some(reference) == root_id(doc) => "",
        _ => {
            return Err(format!(
                "`{reference}` is not a reference inside this schema"
            ));
        }
    };
    let fragment =
        percent_decode(fragment).ok_or_else(|| format!("`{reference}` is badly encoded"))?;
    if fragment.is_empty() {
        return Ok((String::new(), doc));
    }
    if let Some(pointer) = fragment.strip_prefix('/') {
        let mut current = doc;
        let mut ptr = String::new();
        for raw in pointer.split('/') {
            let segment = unescape(raw);
            current = step(current, &segment)
                .ok_or_else(|| format!("`{reference}` points at nothing"))?;
            ptr.push('/');
            ptr.push_str(&escape(&segment));
        }
        return Ok((ptr, current));
    }
    find_anchor(doc, &fragment, String::new(), 0)
        .ok_or_else(|| format!("no `$anchor` named `{fragment}`"))
}

fn root_id(doc: &Value) -> Option<&str> {
    doc.get("$id")
        .and_then(Value::as_str)
        .map(|id| id.trim_end_matches('#'))
}

fn has_nested_id(doc: &Value, ptr: &str) -> bool {
    let mut current = doc;
    for raw in ptr.split('/').skip(1) {
        match step(current, &unescape(raw)) {
            Some(next) => current = next,
            None => return false,
        }
        if current.get("$id").is_some() {
            return true;
        }
    }
    false
}

fn find_anchor<'a>(
    value: &'a Value,
    anchor: &str,
    ptr: String,
    depth: usize,
) -> Option<(String, &'a Value)> {
    if depth > 64 {
        return None;
    }
    match value {
        Value::Object(map) => {
            if map.get("$anchor").and_then(Value::as_str) == Some(anchor) {
                return Some((ptr, value));
            }
            map.iter().find_map(|(key, child)| {
                find_anchor(child, anchor, format!("{ptr}/{}", escape(key)), depth + 1)
            })
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, child)| find_anchor(child, anchor, format!("{ptr}/{i}"), depth + 1)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn refs_resolve_by_pointer_anchor_and_root_id() {
        let doc = json!({
            "$id": "https://example.com/s",
            "$defs": {"a/b": {"type": "string"}, "c": {"$anchor": "cee", "type": "null"}},
        });
        assert_eq!(
            resolve(&doc, "", "#/$defs/a~1b").map(|(p, _)| p),
            Ok("/$defs/a~1b".to_owned())
        );
        assert_eq!(
            resolve(&doc, "", "#cee").map(|(p, _)| p),
            Ok("/$defs/c".to_owned())
        );
        assert!(resolve(&doc, "", "https://example.com/s#/$defs/c").is_ok());
        assert!(resolve(&doc, "", "https://elsewhere.example/s").is_err());
        assert!(resolve(&doc, "", "#/$defs/missing").is_err());
    }

    #[test]
    fn refs_under_a_nested_id_are_not_resolved() {
        let doc = json!({"$defs": {"x": {"$id": "other", "properties": {"p": {"$ref": "#"}}}}});
        assert!(resolve(&doc, "/$defs/x/properties/p", "#").is_err());
    }
}
