//! Turns source text into tokens, on demand, each with its byte span.
//!
//! Words (`[A-Za-z0-9_]+` that are not all digits) are not classified here: the parser decides
//! whether one is a keyword, an attribute or a function name, all case-insensitively.

use std::fmt;

use crate::error::{ParseError, Span};

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    LParen,
    RParen,
    Comma,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Eq,
    NotEq,
    LtGt,
    Lt,
    Le,
    Gt,
    Ge,
    /// Unsigned digits; the value saturates at `u64::MAX` (range checks are the parser's).
    Int(u64),
    /// A string literal's value, escapes resolved.
    Str(String),
    /// A keyword, attribute or function name, as written.
    Word,
    Eof,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) span: Span,
}

/// A token described for "found ..." in error messages.
pub(crate) struct Found<'a>(pub(crate) &'a Token, pub(crate) &'a str);

impl fmt::Display for Found<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.1.get(self.0.span.start..self.0.span.end).unwrap_or("");
        match &self.0.tok {
            Tok::Eof => f.write_str("end of input"),
            Tok::Int(_) => write!(f, "integer {text}"),
            Tok::Str(_) => write!(f, "string {text}"),
            Tok::Word if crate::parser::is_keyword(text) => {
                write!(f, "keyword {}", text.to_ascii_uppercase())
            }
            Tok::Word => write!(f, "identifier `{text}`"),
            _ => write!(f, "'{text}'"),
        }
    }
}

pub(crate) struct Lexer<'s> {
    src: &'s str,
    pos: usize,
}

impl<'s> Lexer<'s> {
    pub(crate) fn new(src: &'s str) -> Self {
        Self { src, pos: 0 }
    }

    fn rest(&self) -> &'s str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn error(&self, at: usize, message: impl Into<String>) -> ParseError {
        ParseError::new(self.src, at, message)
    }

    /// The next token; `Tok::Eof` (repeatedly) at the end.
    pub(crate) fn next_token(&mut self) -> Result<Token, ParseError> {
        let trimmed = self
            .rest()
            .trim_start_matches([' ', '\t', '\n', '\r', '\x0c']);
        self.pos = self.src.len() - trimmed.len();
        let start = self.pos;
        let Some(c) = trimmed.chars().next() else {
            return Ok(Token {
                tok: Tok::Eof,
                span: Span::new(start, start),
            });
        };
        let two =
            |a: char, b: char| trimmed.starts_with(a) && trimmed[a.len_utf8()..].starts_with(b);
        let (tok, len) = match c {
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            ',' => (Tok::Comma, 1),
            '+' => (Tok::Plus, 1),
            '-' => (Tok::Minus, 1),
            '*' => (Tok::Star, 1),
            '/' => (Tok::Slash, 1),
            '%' => (Tok::Percent, 1),
            '=' => (Tok::Eq, 1),
            '!' if two('!', '=') => (Tok::NotEq, 2),
            '!' => return Err(self.error(start, "expected '=' after '!' (the operator is '!=')")),
            '<' if two('<', '>') => (Tok::LtGt, 2),
            '<' if two('<', '=') => (Tok::Le, 2),
            '<' => (Tok::Lt, 1),
            '>' if two('>', '=') => (Tok::Ge, 2),
            '>' => (Tok::Gt, 1),
            '\'' | '"' => return self.string(c),
            c if c.is_ascii_alphanumeric() || c == '_' => {
                let len = trimmed
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(trimmed.len());
                let word = &trimmed[..len];
                if word.bytes().all(|b| b.is_ascii_digit()) {
                    let value = word.bytes().fold(0u64, |acc, d| {
                        acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
                    });
                    (Tok::Int(value), len)
                } else {
                    (Tok::Word, len)
                }
            }
            other => {
                return Err(self.error(start, format!("unexpected character {other:?}")));
            }
        };
        self.pos = start + len;
        Ok(Token {
            tok,
            span: Span::new(start, self.pos),
        })
    }

    /// A string literal delimited by `quote`: a backslash followed by the delimiter stands for
    /// the delimiter; any other backslash pair is kept as written (spec §2.2; `LIKE` gives
    /// `\%` and `\_` their meaning).
    fn string(&mut self, quote: char) -> Result<Token, ParseError> {
        let start = self.pos;
        let mut value = String::new();
        let mut chars = self.rest().char_indices().skip(1);
        while let Some((i, c)) = chars.next() {
            if c == quote {
                self.pos = start + i + 1;
                return Ok(Token {
                    tok: Tok::Str(value),
                    span: Span::new(start, self.pos),
                });
            }
            if c == '\\' {
                match chars.next() {
                    Some((_, next)) if next == quote => value.push(quote),
                    Some((_, next)) => {
                        value.push('\\');
                        value.push(next);
                    }
                    None => break,
                }
            } else {
                value.push(c);
            }
        }
        Err(self.error(
            start,
            format!("unterminated string literal: expected a closing {quote}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(src: &str) -> Result<Vec<Tok>, ParseError> {
        let mut lexer = Lexer::new(src);
        let mut out = Vec::new();
        loop {
            let token = lexer.next_token()?;
            if token.tok == Tok::Eof {
                return Ok(out);
            }
            out.push(token.tok);
        }
    }

    #[test]
    fn operators_take_the_longest_match() {
        assert_eq!(
            lex("<><=<>=!==").unwrap(),
            [Tok::LtGt, Tok::Le, Tok::LtGt, Tok::Eq, Tok::NotEq, Tok::Eq]
        );
    }

    #[test]
    fn digits_are_integers_and_anything_with_a_letter_is_a_word() {
        assert_eq!(
            lex("12 a1 1a a_b").unwrap(),
            [Tok::Int(12), Tok::Word, Tok::Word, Tok::Word]
        );
        assert_eq!(
            lex("99999999999999999999999").unwrap(),
            [Tok::Int(u64::MAX)]
        );
    }

    #[test]
    fn string_escapes_resolve_only_the_delimiter() {
        assert_eq!(lex(r#"'a"b\'c'"#).unwrap(), [Tok::Str(r#"a"b'c"#.into())]);
        assert_eq!(lex(r#""a'b\"c""#).unwrap(), [Tok::Str(r#"a'b"c"#.into())]);
        assert_eq!(lex(r"'a\_b\%\\'").unwrap(), [Tok::Str(r"a\_b\%\\".into())]);
        assert_eq!(lex(r#"'\"'"#).unwrap(), [Tok::Str(r#"\""#.into())]);
    }

    #[test]
    fn errors_point_at_the_offending_character() {
        let err = lex("a = 'abc").unwrap_err();
        assert_eq!((err.position(), err.column()), (4, 5));
        assert!(err.message().contains("unterminated"), "{err}");
        let err = lex("a ! b").unwrap_err();
        assert_eq!(err.position(), 2);
        let err = lex("a = é").unwrap_err();
        assert_eq!(err.position(), 4);
        assert_eq!(lex(r"'ends in \").unwrap_err().position(), 0);
    }
}
