//! `LIKE` patterns (spec §3.4.3), compiled once: `%` matches any run of characters, `_` exactly
//! one character, `\%` and `\_` match themselves, and every other character (a backslash not
//! followed by `%` or `_` included) matches itself, case-sensitively.
//!
//! Common shapes (`abc`, `abc%`, `%abc`, `%abc%`) become plain string tests; anything else runs
//! a linear-space wildcard matcher that backtracks only to the last `%` (so in O(n·m) time).

/// A compiled `LIKE` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LikePattern {
    Exact(Box<str>),
    Prefix(Box<str>),
    Suffix(Box<str>),
    Contains(Box<str>),
    /// Only `%`s: matches everything.
    Any,
    General(Box<[Piece]>),
}

/// One element of a general pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    Literal(Box<str>),
    /// `_`.
    One,
    /// `%` (runs of them are merged).
    Many,
}

impl LikePattern {
    pub(crate) fn compile(pattern: &str) -> Self {
        let pieces = pieces(pattern);
        let literal = |p: &Piece| match p {
            Piece::Literal(s) => Some(s.clone()),
            _ => None,
        };
        match pieces.as_slice() {
            [] => LikePattern::Exact("".into()),
            [Piece::Many] => LikePattern::Any,
            [a] => match literal(a) {
                Some(s) => LikePattern::Exact(s),
                None => LikePattern::General(pieces.into()),
            },
            [a, Piece::Many] if literal(a).is_some() => {
                LikePattern::Prefix(literal(a).unwrap_or_default())
            }
            [Piece::Many, a] if literal(a).is_some() => {
                LikePattern::Suffix(literal(a).unwrap_or_default())
            }
            [Piece::Many, a, Piece::Many] if literal(a).is_some() => {
                LikePattern::Contains(literal(a).unwrap_or_default())
            }
            _ => LikePattern::General(pieces.into()),
        }
    }

    pub(crate) fn matches(&self, text: &str) -> bool {
        match self {
            LikePattern::Exact(s) => text == &**s,
            LikePattern::Prefix(s) => text.starts_with(&**s),
            LikePattern::Suffix(s) => text.ends_with(&**s),
            LikePattern::Contains(s) => text.contains(&**s),
            LikePattern::Any => true,
            LikePattern::General(pieces) => general(pieces, text),
        }
    }
}

fn pieces(pattern: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut chars = pattern.chars().peekable();
    let flush = |literal: &mut String, pieces: &mut Vec<Piece>| {
        if !literal.is_empty() {
            pieces.push(Piece::Literal(std::mem::take(literal).into()));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&next @ ('%' | '_')) => {
                    literal.push(next);
                    chars.next();
                }
                _ => literal.push('\\'),
            },
            '%' => {
                flush(&mut literal, &mut pieces);
                if pieces.last() != Some(&Piece::Many) {
                    pieces.push(Piece::Many);
                }
            }
            '_' => {
                flush(&mut literal, &mut pieces);
                pieces.push(Piece::One);
            }
            c => literal.push(c),
        }
    }
    flush(&mut literal, &mut pieces);
    pieces
}

/// Wildcard matching remembering only the most recent `%`: when a later piece fails, that `%`
/// swallows one more character and matching resumes after it.
fn general(pieces: &[Piece], text: &str) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    loop {
        let step = match pieces.get(p) {
            Some(Piece::Literal(lit)) => text
                .get(t..)
                .filter(|r| r.starts_with(&**lit))
                .map(|_| lit.len()),
            Some(Piece::One) => text
                .get(t..)
                .and_then(|r| r.chars().next())
                .map(char::len_utf8),
            Some(Piece::Many) => {
                star = Some((p, t));
                p += 1;
                continue;
            }
            None if t == text.len() => return true,
            None => None,
        };
        match (step, star) {
            (Some(len), _) => {
                p += 1;
                t += len;
            }
            (None, Some((star_p, star_t))) => {
                let Some(c) = text.get(star_t..).and_then(|r| r.chars().next()) else {
                    return false;
                };
                star = Some((star_p, star_t + c.len_utf8()));
                p = star_p + 1;
                t = star_t + c.len_utf8();
            }
            (None, None) => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn like(text: &str, pattern: &str) -> bool {
        LikePattern::compile(pattern).matches(text)
    }

    #[test]
    fn percent_matches_any_run_and_underscore_one_character() {
        assert!(like("abc", "a%b%c"));
        assert!(like("azzzbzzzc", "a%b%c"));
        assert!(!like("ab.cde", ".%.%."));
        assert!(like("azbzc", "a_b_c"));
        assert!(!like("abzc", "a_b_c"));
        assert!(like("é", "_"));
        assert!(!like("", "_"));
        assert!(like("", "%"));
        assert!(like("", ""));
        assert!(!like("a", ""));
    }

    #[test]
    fn backslash_escapes_only_wildcards() {
        assert!(like("a_b_c", r"a\_b\_c"));
        assert!(!like("azbzc", r"a\_b\_c"));
        assert!(like("a%b", r"a\%b"));
        assert!(!like("axb", r"a\%b"));
        assert!(like(r"ab\c", r"ab\c"));
        assert!(like(r"a\", r"a\"));
        assert!(
            like(r"a\%", r"a\\%"),
            "`\\\\%` is a literal backslash then an escaped %"
        );
        assert!(!like(r"a\x", r"a\\%"));
    }

    #[test]
    fn matching_is_case_sensitive() {
        assert!(!like("aBc", "_b%"));
        assert!(like("abc", "_b%"));
    }

    #[test]
    fn common_shapes_compile_to_string_tests() {
        assert_eq!(
            LikePattern::compile("com.example.%"),
            LikePattern::Prefix("com.example.".into())
        );
        assert_eq!(
            LikePattern::compile("%.error"),
            LikePattern::Suffix(".error".into())
        );
        assert_eq!(
            LikePattern::compile("%mid%%"),
            LikePattern::Contains("mid".into())
        );
        assert_eq!(
            LikePattern::compile(r"100\%"),
            LikePattern::Exact("100%".into())
        );
        assert_eq!(LikePattern::compile("%%"), LikePattern::Any);
    }

    #[test]
    fn pathological_patterns_stay_polynomial() {
        let text = "a".repeat(5_000);
        let pattern = format!("{}b", "%a".repeat(50));
        assert!(!like(&text, &pattern));
    }
}
