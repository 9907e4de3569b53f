//! A precedence-climbing parser from tokens to the syntax tree (spec §2, precedence §3.6).
//!
//! From loosest to tightest: `AND`/`OR`/`XOR`; comparisons; `+ -`; `* / %`; `[NOT] IN (...)`;
//! `[NOT] LIKE 'pattern'`; prefix `NOT` and `-`; atoms (literals, attributes, `EXISTS name`,
//! calls, parenthesised expressions). Binary operators are left-associative. A `-` or `+` that
//! starts an operand and is directly followed by digits is the sign of an integer literal, so
//! `-2147483648` is in range; elsewhere `-` is subtraction.

use std::collections::VecDeque;

use crate::ast::{BinaryOp, Expr, ExprKind, Literal, UnaryOp, prec};
use crate::error::{ParseError, Span};
use crate::lexer::{Found, Lexer, Tok, Token};

/// How deeply sub-expressions may nest inside parentheses, calls and prefix operators.
///
/// This and [`MAX_HEIGHT`] keep parsing, evaluating, printing and dropping any expression well
/// inside a 1 MiB stack, even in a debug build.
pub const MAX_NESTING: usize = 64;

/// How many operators deep the syntax tree may be, counting chains such as
/// `a OR b OR c OR ...` (which nest to the left) as well.
pub const MAX_HEIGHT: usize = 256;

const KEYWORDS: [&str; 9] = [
    "AND", "OR", "XOR", "NOT", "LIKE", "IN", "EXISTS", "TRUE", "FALSE",
];

pub(crate) fn is_keyword(word: &str) -> bool {
    KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word))
}

/// Parses a whole expression.
pub(crate) fn parse(src: &str) -> Result<Expr, ParseError> {
    let mut parser = Parser {
        src,
        lexer: Lexer::new(src),
        ahead: VecDeque::new(),
        depth: 0,
    };
    let (expr, _) = parser.expr(0)?;
    let next = parser.next()?;
    if next.tok != Tok::Eof {
        return Err(parser.error(&next, "expected an operator or end of input"));
    }
    Ok(expr)
}

/// An expression and the height of its tree.
type Parsed = (Expr, usize);

enum Infix {
    Binary(BinaryOp),
    Like {
        negated: bool,
    },
    In {
        negated: bool,
    },
    /// `NOT` not followed by `LIKE` or `IN`.
    BadNot,
    End,
}

struct Parser<'s> {
    src: &'s str,
    lexer: Lexer<'s>,
    ahead: VecDeque<Token>,
    depth: usize,
}

impl<'s> Parser<'s> {
    fn peek(&mut self, n: usize) -> Result<&Token, ParseError> {
        while self.ahead.len() <= n {
            let token = self.lexer.next_token()?;
            self.ahead.push_back(token);
        }
        self.ahead
            .get(n)
            .ok_or_else(|| ParseError::new(self.src, self.src.len(), "lexer stalled"))
    }

    fn next(&mut self) -> Result<Token, ParseError> {
        match self.ahead.pop_front() {
            Some(token) => Ok(token),
            None => self.lexer.next_token(),
        }
    }

    fn text(&self, span: Span) -> &'s str {
        self.src.get(span.start..span.end).unwrap_or("")
    }

    fn error(&self, found: &Token, expected: &str) -> ParseError {
        let message = format!("{expected}, found {}", Found(found, self.src));
        ParseError::new(self.src, found.span.start, message)
    }

    fn keyword(&self, token: &Token) -> Option<&'static str> {
        if token.tok != Tok::Word {
            return None;
        }
        let text = self.text(token.span);
        KEYWORDS.into_iter().find(|k| k.eq_ignore_ascii_case(text))
    }

    /// A new node, unless the tree would grow taller than [`MAX_HEIGHT`].
    fn node(&self, kind: ExprKind, span: Span, height: usize) -> Result<Parsed, ParseError> {
        if height > MAX_HEIGHT {
            let message = format!("expression is more than {MAX_HEIGHT} operators deep");
            return Err(ParseError::new(self.src, span.start, message));
        }
        Ok((Expr::new(kind, span), height))
    }

    fn expr(&mut self, min_prec: u8) -> Result<Parsed, ParseError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            let at = self.peek(0)?.span.start;
            let message = format!("expression nests more than {MAX_NESTING} levels deep");
            return Err(ParseError::new(self.src, at, message));
        }
        let result = self.expr_inner(min_prec);
        self.depth -= 1;
        result
    }

    fn expr_inner(&mut self, min_prec: u8) -> Result<Parsed, ParseError> {
        let (mut lhs, mut height) = self.prefix()?;
        loop {
            match self.infix()? {
                Infix::End => break,
                Infix::BadNot if min_prec > prec::IN => break,
                Infix::BadNot => {
                    let found = self.peek(1)?.clone();
                    return Err(self.error(&found, "expected LIKE or IN after NOT"));
                }
                Infix::Binary(op) => {
                    let p = op.precedence();
                    if p < min_prec {
                        break;
                    }
                    self.next()?;
                    let (rhs, rh) = self.expr(p + 1)?;
                    let span = lhs.span.to(rhs.span);
                    let kind = ExprKind::Binary {
                        op,
                        left: Box::new(lhs),
                        right: Box::new(rhs),
                    };
                    (lhs, height) = self.node(kind, span, height.max(rh) + 1)?;
                }
                Infix::Like { negated } => {
                    if prec::LIKE < min_prec {
                        break;
                    }
                    self.skip(1 + usize::from(negated))?;
                    let token = self.next()?;
                    let Tok::Str(pattern) = token.tok else {
                        return Err(
                            self.error(&token, "expected a string literal pattern after LIKE")
                        );
                    };
                    let span = lhs.span.to(token.span);
                    let kind = ExprKind::Like {
                        operand: Box::new(lhs),
                        pattern,
                        negated,
                    };
                    (lhs, height) = self.node(kind, span, height + 1)?;
                }
                Infix::In { negated } => {
                    if prec::IN < min_prec {
                        break;
                    }
                    self.skip(1 + usize::from(negated))?;
                    let (set, set_height, end) = self.set()?;
                    let span = lhs.span.to(end);
                    let kind = ExprKind::In {
                        operand: Box::new(lhs),
                        set,
                        negated,
                    };
                    (lhs, height) = self.node(kind, span, height.max(set_height) + 1)?;
                }
            }
        }
        Ok((lhs, height))
    }

    fn skip(&mut self, n: usize) -> Result<(), ParseError> {
        for _ in 0..n {
            self.next()?;
        }
        Ok(())
    }

    /// What the next token does after an operand.
    fn infix(&mut self) -> Result<Infix, ParseError> {
        let token = self.peek(0)?;
        let op = match token.tok {
            Tok::Eq => BinaryOp::Eq,
            Tok::NotEq | Tok::LtGt => BinaryOp::NotEq,
            Tok::Lt => BinaryOp::Lt,
            Tok::Le => BinaryOp::Le,
            Tok::Gt => BinaryOp::Gt,
            Tok::Ge => BinaryOp::Ge,
            Tok::Plus => BinaryOp::Add,
            Tok::Minus => BinaryOp::Sub,
            Tok::Star => BinaryOp::Mul,
            Tok::Slash => BinaryOp::Div,
            Tok::Percent => BinaryOp::Mod,
            Tok::Word => {
                let token = token.clone();
                return Ok(match self.keyword(&token) {
                    Some("AND") => Infix::Binary(BinaryOp::And),
                    Some("OR") => Infix::Binary(BinaryOp::Or),
                    Some("XOR") => Infix::Binary(BinaryOp::Xor),
                    Some("LIKE") => Infix::Like { negated: false },
                    Some("IN") => Infix::In { negated: false },
                    Some("NOT") => {
                        let second = self.peek(1)?.clone();
                        match self.keyword(&second) {
                            Some("LIKE") => Infix::Like { negated: true },
                            Some("IN") => Infix::In { negated: true },
                            _ => Infix::BadNot,
                        }
                    }
                    _ => Infix::End,
                });
            }
            _ => return Ok(Infix::End),
        };
        Ok(Infix::Binary(op))
    }

    /// `( expr, ... )` after `IN`; returns the set, its height and the span of the `)`.
    fn set(&mut self) -> Result<(Vec<Expr>, usize, Span), ParseError> {
        let open = self.next()?;
        if open.tok != Tok::LParen {
            return Err(self.error(&open, "expected '(' after IN"));
        }
        if self.peek(0)?.tok == Tok::RParen {
            let found = self.next()?;
            return Err(self.error(&found, "expected at least one value in the IN set"));
        }
        self.list(open.span, "the IN set")
    }

    /// Comma-separated expressions up to a `)`, the `(` already consumed.
    fn list(&mut self, open: Span, what: &str) -> Result<(Vec<Expr>, usize, Span), ParseError> {
        let mut items = Vec::new();
        let mut height = 0;
        loop {
            let (item, h) = self.expr(0)?;
            items.push(item);
            height = height.max(h);
            let token = self.next()?;
            match token.tok {
                Tok::Comma => {}
                Tok::RParen => return Ok((items, height, token.span)),
                _ => {
                    let (line, column) = self.line_column(open.start);
                    let expected = format!(
                        "expected an operator, ',' or ')' in {what} opened at line {line}, column {column}"
                    );
                    return Err(self.error(&token, &expected));
                }
            }
        }
    }

    fn line_column(&self, at: usize) -> (usize, usize) {
        let e = ParseError::new(self.src, at, "");
        (e.line(), e.column())
    }

    /// An operand: literal, attribute, `EXISTS`, call, prefix operator or parenthesised.
    fn prefix(&mut self) -> Result<Parsed, ParseError> {
        let token = self.next()?;
        let span = token.span;
        match token.tok {
            Tok::Int(magnitude) => self.integer(magnitude, false, span),
            Tok::Minus | Tok::Plus => {
                if let Tok::Int(magnitude) = self.peek(0)?.tok {
                    let digits = self.next()?;
                    return self.integer(magnitude, token.tok == Tok::Minus, span.to(digits.span));
                }
                if token.tok == Tok::Plus {
                    let found = self.peek(0)?.clone();
                    return Err(
                        self.error(&found, "expected digits after '+' (there is no unary plus)")
                    );
                }
                let (operand, h) = self.expr(prec::PREFIX)?;
                let span = span.to(operand.span);
                let kind = ExprKind::Unary {
                    op: UnaryOp::Negate,
                    operand: Box::new(operand),
                };
                self.node(kind, span, h + 1)
            }
            Tok::Str(s) => Ok((Expr::new(ExprKind::Literal(Literal::String(s)), span), 1)),
            Tok::LParen => {
                let (mut inner, height) = self.expr(0)?;
                let close = self.next()?;
                if close.tok != Tok::RParen {
                    let (line, column) = self.line_column(span.start);
                    let expected = format!(
                        "expected an operator or ')' to close the '(' at line {line}, column {column}"
                    );
                    return Err(self.error(&close, &expected));
                }
                inner.span = span.to(close.span);
                Ok((inner, height))
            }
            Tok::Word => self.word(token),
            _ => Err(self.error(&token, "expected an expression")),
        }
    }

    fn integer(&self, magnitude: u64, negative: bool, span: Span) -> Result<Parsed, ParseError> {
        let value = if negative {
            i64::try_from(magnitude)
                .ok()
                .and_then(|m| i32::try_from(-m).ok())
        } else {
            i32::try_from(magnitude).ok()
        };
        match value {
            Some(i) => Ok((Expr::new(ExprKind::Literal(Literal::Integer(i)), span), 1)),
            None => Err(ParseError::new(
                self.src,
                span.start,
                format!(
                    "integer literal {} is outside the 32-bit range [-2147483648, 2147483647]",
                    self.text(span)
                ),
            )),
        }
    }

    fn word(&mut self, token: Token) -> Result<Parsed, ParseError> {
        let span = token.span;
        let text = self.text(span);
        match self.keyword(&token) {
            Some("TRUE") => Ok((
                Expr::new(ExprKind::Literal(Literal::Boolean(true)), span),
                1,
            )),
            Some("FALSE") => Ok((
                Expr::new(ExprKind::Literal(Literal::Boolean(false)), span),
                1,
            )),
            Some("NOT") => {
                let (operand, h) = self.expr(prec::PREFIX)?;
                let span = span.to(operand.span);
                let kind = ExprKind::Unary {
                    op: UnaryOp::Not,
                    operand: Box::new(operand),
                };
                self.node(kind, span, h + 1)
            }
            Some("EXISTS") => {
                let name = self.next()?;
                if name.tok != Tok::Word || self.keyword(&name).is_some() {
                    return Err(self.error(&name, "expected an attribute name after EXISTS"));
                }
                let attribute = self.attribute_name(name.span)?;
                Ok((
                    Expr::new(ExprKind::Exists(attribute), span.to(name.span)),
                    1,
                ))
            }
            Some(_) => Err(self.error(&token, "expected an expression")),
            None if self.peek(0)?.tok == Tok::LParen => {
                let valid = text.starts_with(|c: char| c.is_ascii_alphabetic())
                    && text.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_');
                if !valid {
                    let message = format!(
                        "invalid function name `{text}`: function names are letters and underscores, starting with a letter"
                    );
                    return Err(ParseError::new(self.src, span.start, message));
                }
                let open = self.next()?;
                let (args, height, end) = if self.peek(0)?.tok == Tok::RParen {
                    (Vec::new(), 0, self.next()?.span)
                } else {
                    let what = format!("the arguments of {}", text.to_ascii_uppercase());
                    self.list(open.span, &what)?
                };
                let kind = ExprKind::Call {
                    name: text.to_ascii_uppercase(),
                    args,
                };
                self.node(kind, span.to(end), height + 1)
            }
            None => {
                let name = self.attribute_name(span)?;
                Ok((Expr::new(ExprKind::Attribute(name), span), 1))
            }
        }
    }

    fn attribute_name(&self, span: Span) -> Result<String, ParseError> {
        let text = self.text(span);
        if text.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(text.to_ascii_lowercase())
        } else {
            let message =
                format!("invalid attribute name `{text}`: attribute names are letters and digits");
            Err(ParseError::new(self.src, span.start, message))
        }
    }
}
#[cfg(test)]
mod tests;
