//! Cheap, sound relations between regular expressions (`pattern`, `patternProperties`): when
//! one pattern certainly covers another, and when two certainly share no string. Anything
//! cleverer would need regex-language inclusion, so the answer is "not known" (false).

/// The literal every match of an anchored pattern starts with, and whether the pattern is just
/// `^literal` (so it matches every string that starts with it). `None` when not anchored or
/// when it has alternatives.
fn anchored_prefix(pattern: &str) -> Option<(String, bool)> {
    let rest = pattern.strip_prefix('^')?;
    if rest.contains('|') {
        return None;
    }
    let mut literal = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        let next = match c {
            '\\' => match chars.next() {
                Some(escaped) if !escaped.is_ascii_alphanumeric() => escaped,
                _ => return Some((literal, false)),
            },
            '.' | '[' | ']' | '(' | ')' | '{' | '}' | '*' | '+' | '?' | '^' | '$' => {
                // `*`, `?` and `{` make the previous character optional or repeated.
                if matches!(c, '*' | '?' | '{') {
                    literal.pop();
                }
                return Some((literal, false));
            }
            other => other,
        };
        if matches!(chars.peek(), Some('*' | '?' | '{')) {
            return Some((literal, false));
        }
        literal.push(next);
    }
    Some((literal, true))
}

/// Whether every string matching `inner` certainly matches `outer`.
pub(crate) fn covers(outer: &str, inner: &str) -> bool {
    if outer == inner || outer.is_empty() || outer == "^" {
        return true;
    }
    match (anchored_prefix(outer), anchored_prefix(inner)) {
        (Some((outer_literal, true)), Some((inner_literal, _))) => {
            inner_literal.starts_with(&outer_literal)
        }
        _ => false,
    }
}

/// Whether no string can match both patterns.
pub(crate) fn disjoint(a: &str, b: &str) -> bool {
    match (anchored_prefix(a), anchored_prefix(b)) {
        (Some((x, _)), Some((y, _))) => !x.starts_with(&y) && !y.starts_with(&x),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_patterns_cover_longer_prefixes() {
        assert!(covers("^x_", "^x_[a-z]+$"));
        assert!(covers("^x_", "^x_"));
        assert!(!covers("^x_[a-z]", "^x_"));
        assert!(!covers("^xa?", "^xb"));
        assert!(covers("", "anything"));
        assert!(!covers("^a|^b", "^a"));
    }

    #[test]
    fn different_literal_prefixes_are_disjoint() {
        assert!(disjoint("^a_", "^b_"));
        assert!(!disjoint("^a", "^ab"));
        assert!(!disjoint("a_", "^b_"));
        assert!(disjoint("^a\\.b", "^a-b"));
        assert!(!disjoint("^ab*c", "^ac"));
    }
}
