//! [`Expression`], the compiled form callers keep, and [`Evaluation`], what evaluating it gives.

use std::fmt;
use std::str::FromStr;

use crate::ast::Expr;
use crate::compile::Node;
use crate::error::{EvalError, Faults, ParseError};
use crate::event::EventView;
use crate::value::{Val, Value};

/// A compiled CESQL expression: parse it once, evaluate it against any number of events.
///
/// Evaluation borrows strings from the event and the expression and allocates only where a
/// function or cast builds a new string, or to list more than one error.
#[derive(Debug, Clone)]
pub struct Expression {
    ast: Expr,
    root: Node,
    diagnostics: Vec<EvalError>,
}

/// The outcome of evaluating an expression: a value, always, and the errors met on the way
/// (spec §3.3). When `errors` is not empty, `value` is what the spec defines for that case
/// (usually the zero value of the expression's type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// The primary output.
    pub value: Value,
    /// The error list; empty when evaluation met no error.
    pub errors: Vec<EvalError>,
}

impl Evaluation {
    /// Whether evaluation met no error.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// The value if there were no errors, else the errors.
    ///
    /// # Errors
    ///
    /// The error list, when it is not empty.
    pub fn into_result(self) -> Result<Value, Vec<EvalError>> {
        if self.errors.is_empty() {
            Ok(self.value)
        } else {
            Err(self.errors)
        }
    }
}

impl Expression {
    /// Parses and compiles `src`. Keywords, function names and attribute names are
    /// case-insensitive.
    ///
    /// A call to a function that does not exist is not a parse error (the spec makes it an
    /// evaluation error); [`diagnostics`](Self::diagnostics) lists such calls.
    ///
    /// # Errors
    ///
    /// A [`ParseError`] with the byte offset, line and column of the first token that does not
    /// fit, and what was expected there.
    ///
    /// ```
    /// use cesql::Expression;
    ///
    /// let expr = Expression::parse("type like 'com.example.%' and int(amount) > 100")?;
    /// assert_eq!(expr.to_string(), "type LIKE 'com.example.%' AND INT(amount) > 100");
    ///
    /// let err = Expression::parse("source = 'a' AND").unwrap_err();
    /// assert_eq!((err.position(), err.line(), err.column()), (16, 1, 17));
    /// assert_eq!(err.message(), "expected an expression, found end of input");
    /// # Ok::<(), cesql::ParseError>(())
    /// ```
    pub fn parse(src: &str) -> Result<Expression, ParseError> {
        let ast = crate::parser::parse(src)?;
        let root = Node::compile(&ast);
        let diagnostics = crate::typecheck::diagnose(&root);
        Ok(Expression {
            ast,
            root,
            diagnostics,
        })
    }

    /// Evaluates the expression against `event` in complete-evaluation mode (spec §4.1): a
    /// value, and every error met.
    ///
    /// ```
    /// use cesql::{ErrorKind, Expression, Value};
    ///
    /// let event = serde_json::json!({"specversion": "1.0", "id": "1", "source": "/s", "type": "t"});
    /// let eval = Expression::parse("LENGTH(source) + 1")?.evaluate(&event);
    /// assert_eq!(eval.value, Value::Integer(3));
    ///
    /// let eval = Expression::parse("sequence * 5")?.evaluate(&event);
    /// assert_eq!(eval.value, Value::Integer(0));
    /// assert_eq!(eval.errors[0].kind(), ErrorKind::MissingAttribute);
    /// # Ok::<(), cesql::ParseError>(())
    /// ```
    pub fn evaluate<E: EventView + ?Sized>(&self, event: &E) -> Evaluation {
        let mut faults = Faults::default();
        let value = self.root.eval(event, &mut faults).into_value();
        Evaluation {
            value,
            errors: faults.to_errors(),
        }
    }

    /// Whether `event` passes this expression used as a subscription filter: only when the
    /// value is Boolean `true` and evaluation raised no error. Per the CESQL / Subscriptions API
    /// rule (spec §1.2), a non-Boolean result or any error (a missing attribute, a failed cast,
    /// a division by zero, an unknown function, ...) means no match.
    ///
    /// ```
    /// use cesql::Expression;
    ///
    /// let filter = Expression::parse("type LIKE 'com.example.order.%' AND INT(amount) > 100")?;
    /// let big = serde_json::json!({"type": "com.example.order.placed", "amount": "250"});
    /// let small = serde_json::json!({"type": "com.example.order.placed", "amount": 20});
    /// let no_amount = serde_json::json!({"type": "com.example.order.placed"});
    /// assert!(filter.matches(&big));
    /// assert!(!filter.matches(&small));
    /// assert!(!filter.matches(&no_amount)); // a missing attribute error: no match
    /// assert!(!Expression::parse("'yes'")?.matches(&big)); // not a Boolean: no match
    /// # Ok::<(), cesql::ParseError>(())
    /// ```
    pub fn matches<E: EventView + ?Sized>(&self, event: &E) -> bool {
        let mut faults = Faults::default();
        let value = self.root.eval(event, &mut faults);
        faults.is_empty() && value == Val::Bool(true)
    }

    /// The syntax tree.
    pub fn ast(&self) -> &Expr {
        &self.ast
    }

    /// Errors found at compile time that evaluation will raise whenever it reaches the part
    /// concerned, whatever the event: calls to functions that do not exist, and literals cast
    /// to a type they cannot take. Empty for most expressions.
    pub fn diagnostics(&self) -> &[EvalError] {
        &self.diagnostics
    }
}

/// Canonical CESQL that parses back to the same syntax tree.
impl fmt::Display for Expression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.ast.fmt(f)
    }
}

impl FromStr for Expression {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Expression::parse(s)
    }
}

/// Two expressions are equal when their syntax trees are.
impl PartialEq for Expression {
    fn eq(&self, other: &Self) -> bool {
        self.ast == other.ast
    }
}

impl Eq for Expression {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_can_be_shared_between_threads() {
        fn assert_send_sync<T: Send + Sync + Clone + fmt::Debug>() {}
        assert_send_sync::<Expression>();
        assert_send_sync::<Evaluation>();
    }

    #[test]
    fn display_re_parses_to_an_equal_expression() {
        let expr: Expression = "a=1 or b<>'x' and not c".parse().unwrap();
        let again = Expression::parse(&expr.to_string()).unwrap();
        assert_eq!(expr, again);
    }
}
