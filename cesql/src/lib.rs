//! CloudEvents SQL (CESQL) v1: parse an expression once, then evaluate it against CloudEvents,
//! as a value with its error list or as a subscription filter's yes/no. Everything the v1
//! specification defines is here: literals, attributes and extensions, `EXISTS`, `LIKE`, `IN`,
//! logical, comparison and arithmetic operators, the built-in functions, implicit casts, and
//! the spec's error types, with evaluation errors reported beside a value rather than instead
//! of one. The CESQL TCK passes in full (`tests/tck.rs`).
//!
//! ```
//! use cesql::{Expression, Value};
//!
//! let filter = Expression::parse("source = '/orders' AND (tier = 'gold' OR INT(amount) > 100)")?;
//! let event = serde_json::json!({
//!     "specversion": "1.0", "id": "1", "source": "/orders", "type": "order.placed",
//!     "tier": "silver", "amount": 250
//! });
//! assert!(filter.matches(&event));
//! assert_eq!(filter.evaluate(&event).value, Value::Boolean(true));
//! # Ok::<(), cesql::ParseError>(())
//! ```
//!
//! Events are read through [`EventView`], implemented here for JSON-format events
//! (`serde_json::Map` and `serde_json::Value`) and, with the `cloudevents` feature, for
//! `cloudevents::Event`.
//!
//! # Semantics worth knowing
//!
//! - **Precedence** is the spec's (§3.6): prefix `NOT` and `-` bind tightest, then `LIKE`, `IN`,
//!   `* / %`, `+ -`, comparisons, and last `AND`, `OR` and `XOR` on one level, left to right.
//!   So `NOT a = b` is `(NOT a) = b` and `a OR b AND c` is `(a OR b) AND c`; write the
//!   parentheses you mean. [`Expression`]'s `Display` always prints them where they matter.
//! - **Errors** come beside a value ([`Evaluation`]). An operator whose operand raised an error
//!   returns the zero value of its type (`false`, `0`, `''`); a missing attribute is such an
//!   error. [`Expression::matches`] is `true` only for Boolean `true` with no error at all.
//! - **Casts** are implicit where an operator needs a type (`'5' + 3` is `8`, `sequence = 5`
//!   casts `sequence` to Integer). A failed cast gives the zero value and a cast error. An
//!   implicit Integer to Boolean cast fails (`NOT 10`, as the TCK requires); `BOOL(10)` is
//!   `true`.
//! - **Integer overflow** saturates at the 32-bit bounds with a math error, as `ABS` does.
//! - **String literals**: a backslash before the delimiter escapes it; other backslashes stay,
//!   so `LIKE 'a\_b'` matches the text `a_b` (`\%` and `\_` are the `LIKE` escapes).
//! - **Limits**: expressions nest at most [`MAX_NESTING`] levels and [`MAX_HEIGHT`] operators
//!   deep, so no input can exhaust the stack; deeper ones are parse errors.
//!
//! # Layout
//!
//! - `lexer`: source text to tokens with byte spans.
//! - `parser`: tokens to the syntax tree, by precedence climbing, with positioned errors.
//! - [`ast`]: the syntax tree; `display` prints it back as canonical CESQL.
//! - `compile`: syntax tree to the evaluated tree (functions resolved, patterns compiled).
//! - `typecheck`: errors certain at compile time ([`Expression::diagnostics`]).
//! - `eval`: evaluation and the spec's error semantics.
//! - `functions`: built-in function signatures and bodies.
//! - `like`: `LIKE` pattern compilation and matching.
//! - `value`: the type system and casts.
//! - `event`: [`EventView`] and its JSON implementation; `sdk` the `cloudevents` one.
//! - `error`: [`ParseError`], [`EvalError`], [`ErrorKind`].
//! - `expression`: [`Expression`] and [`Evaluation`], the API.

pub mod ast;
mod compile;
mod display;
mod error;
mod eval;
mod event;
mod expression;
mod functions;
mod lexer;
mod like;
mod parser;
#[cfg(feature = "cloudevents")]
mod sdk;
mod typecheck;
mod value;

pub use error::{ErrorKind, EvalError, ParseError, Span};
pub use event::{AttrValue, EventView};
pub use expression::{Evaluation, Expression};
pub use parser::{MAX_HEIGHT, MAX_NESTING};
pub use value::{Type, Value};
