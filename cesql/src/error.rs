//! Error types: [`ParseError`] for expressions that do not compile, [`EvalError`] for the
//! error list an evaluation returns beside its value, and [`ErrorKind`], the spec's error types.

use std::fmt;

use crate::value::{Type, Val};

/// A byte range `start..end` in the expression source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// The span `start..end`.
    pub const fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    /// The smallest span covering both `self` and `other`.
    pub const fn to(self, other: Span) -> Span {
        let start = if self.start < other.start {
            self.start
        } else {
            other.start
        };
        let end = if self.end > other.end {
            self.end
        } else {
            other.end
        };
        Span { start, end }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// The error types every CESQL engine must support (spec §3.3).
///
/// [`ErrorKind::as_str`] gives the names the CESQL TCK uses in its `error:` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The expression does not parse (_ParseError_).
    Parse,
    /// Division or modulo by zero, or an integer overflow (_MathError_).
    Math,
    /// A value could not be cast to the type an operator or function needs (_CastError_).
    Cast,
    /// The expression addresses an attribute the event does not have (_MissingAttributeError_).
    MissingAttribute,
    /// A call to a function that does not exist with that many arguments (_MissingFunctionError_).
    MissingFunction,
    /// A built-in function was called with arguments outside its domain (_FunctionEvaluationError_).
    FunctionEvaluation,
    /// Any other error (_GenericError_).
    Generic,
}

impl ErrorKind {
    /// The TCK name of this kind: `parse`, `math`, `cast`, `missingAttribute`, `missingFunction`,
    /// `functionEvaluation` or `generic`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Parse => "parse",
            ErrorKind::Math => "math",
            ErrorKind::Cast => "cast",
            ErrorKind::MissingAttribute => "missingAttribute",
            ErrorKind::MissingFunction => "missingFunction",
            ErrorKind::FunctionEvaluation => "functionEvaluation",
            ErrorKind::Generic => "generic",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An expression that does not parse: where, and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at line {line}, column {column}")]
pub struct ParseError {
    position: usize,
    line: usize,
    column: usize,
    message: String,
}

impl ParseError {
    /// An error at byte offset `position` of `src`; line and column are computed from it.
    pub(crate) fn new(src: &str, position: usize, message: impl Into<String>) -> Self {
        let position = position.min(src.len());
        let before = src.get(..position).unwrap_or(src);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |l| l.chars().count()) + 1;
        Self {
            position,
            line,
            column,
            message: message.into(),
        }
    }

    /// Byte offset in the source where the error was found.
    pub fn position(&self) -> usize {
        self.position
    }

    /// 1-based line of [`position`](Self::position).
    pub fn line(&self) -> usize {
        self.line
    }

    /// 1-based column of [`position`](Self::position), counted in characters.
    pub fn column(&self) -> usize {
        self.column
    }

    /// What was wrong, e.g. `expected an expression, found end of input`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Always [`ErrorKind::Parse`].
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Parse
    }
}

/// One entry of the error list an evaluation returns beside its value (spec §3.3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} error at {span}: {message}")]
pub struct EvalError {
    kind: ErrorKind,
    span: Span,
    message: String,
}

impl EvalError {
    /// The spec's error type.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The part of the expression source that raised the error.
    pub fn span(&self) -> Span {
        self.span
    }

    /// A human-readable description.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// An error raised during evaluation, kept cheap (borrowed names, no formatting) until the
/// caller asks for an [`EvalError`].
#[derive(Debug, Clone)]
pub(crate) enum Fault<'a> {
    MissingAttribute {
        name: &'a str,
        span: Span,
    },
    MissingFunction {
        name: &'a str,
        arity: usize,
        span: Span,
    },
    DivisionByZero {
        span: Span,
    },
    Overflow {
        span: Span,
    },
    Cast {
        value: Val<'a>,
        to: Type,
        span: Span,
    },
    Function {
        function: &'static str,
        reason: &'static str,
        span: Span,
    },
}

impl Fault<'_> {
    /// The public, owned form of this fault.
    pub(crate) fn to_error(&self) -> EvalError {
        let (kind, span, message) = match self {
            Fault::MissingAttribute { name, span } => (
                ErrorKind::MissingAttribute,
                *span,
                format!("the event has no attribute `{name}`"),
            ),
            Fault::MissingFunction { name, arity, span } => (
                ErrorKind::MissingFunction,
                *span,
                format!("no function {name} takes {arity} argument(s)"),
            ),
            Fault::DivisionByZero { span } => (ErrorKind::Math, *span, "division by zero".into()),
            Fault::Overflow { span } => (
                ErrorKind::Math,
                *span,
                "integer overflow (result outside the 32-bit range)".into(),
            ),
            Fault::Cast { value, to, span } => (
                ErrorKind::Cast,
                *span,
                format!("cannot cast {} {} to {to}", value.ty(), value.as_literal()),
            ),
            Fault::Function {
                function,
                reason,
                span,
            } => (
                ErrorKind::FunctionEvaluation,
                *span,
                format!("{function}: {reason}"),
            ),
        };
        EvalError {
            kind,
            span,
            message,
        }
    }
}

/// The error list of one evaluation. The first fault is stored inline, so an evaluation with at
/// most one error does not allocate for it.
#[derive(Debug, Default)]
pub(crate) struct Faults<'a> {
    first: Option<Fault<'a>>,
    rest: Vec<Fault<'a>>,
}

impl<'a> Faults<'a> {
    pub(crate) fn push(&mut self, fault: Fault<'a>) {
        if self.first.is_none() {
            self.first = Some(fault);
        } else {
            self.rest.push(fault);
        }
    }

    /// How many faults were raised so far; a sub-expression raised one iff this grew.
    pub(crate) fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    pub(crate) fn to_errors(&self) -> Vec<EvalError> {
        self.first
            .iter()
            .chain(&self.rest)
            .map(Fault::to_error)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_error_positions_count_lines_and_characters() {
        let src = "a = 1 AND\n  é = ";
        let err = ParseError::new(src, src.len(), "expected an expression");
        assert_eq!(err.position(), src.len());
        assert_eq!(err.line(), 2);
        assert_eq!(err.column(), 7);
        assert_eq!(
            err.to_string(),
            "expected an expression at line 2, column 7"
        );
    }

    #[test]
    fn error_kinds_use_the_tck_names() {
        assert_eq!(ErrorKind::MissingAttribute.as_str(), "missingAttribute");
        assert_eq!(
            ErrorKind::FunctionEvaluation.to_string(),
            "functionEvaluation"
        );
    }

    #[test]
    fn the_first_fault_is_stored_inline() {
        let mut faults = Faults::default();
        assert!(faults.is_empty());
        faults.push(Fault::DivisionByZero {
            span: Span::new(0, 1),
        });
        assert_eq!(faults.len(), 1);
        assert_eq!(faults.rest.capacity(), 0);
        faults.push(Fault::Overflow {
            span: Span::new(1, 2),
        });
        assert_eq!(faults.len(), 2);
        let kinds: Vec<_> = faults.to_errors().iter().map(EvalError::kind).collect();
        assert_eq!(kinds, [ErrorKind::Math, ErrorKind::Math]);
    }
}
