//! The syntax tree the parser builds. Its `Display` (in `display.rs`) prints canonical CESQL
//! that parses back to an equal tree.
//!
//! Names are normalised while parsing: attribute names to lower case, function names to upper
//! case. Parentheses leave no node behind. `!=` and `<>` are both [`BinaryOp::NotEq`].

use crate::error::Span;

/// A node of the syntax tree and the part of the source it came from.
///
/// Equality compares structure only and ignores spans, so an expression and its canonical
/// re-print compare equal.
#[derive(Debug, Clone)]
pub struct Expr {
    /// What the node is.
    pub kind: ExprKind,
    /// Where it is in the source.
    pub span: Span,
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}

impl Eq for Expr {}

impl Expr {
    /// A node with the given kind and span.
    pub fn new(kind: ExprKind, span: Span) -> Self {
        Self { kind, span }
    }
}

/// The kinds of syntax tree nodes (spec §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExprKind {
    /// An integer, string or boolean literal.
    Literal(Literal),
    /// A context attribute or extension, by its lower-case name.
    Attribute(String),
    /// `EXISTS name`.
    Exists(String),
    /// `NOT x` or `-x`.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// Its operand.
        operand: Box<Expr>,
    },
    /// `x op y`.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
    },
    /// `x [NOT] LIKE 'pattern'`.
    Like {
        /// The value matched.
        operand: Box<Expr>,
        /// The pattern, as the string literal's value (escapes for `%` and `_` still in it).
        pattern: String,
        /// `NOT LIKE`.
        negated: bool,
    },
    /// `x [NOT] IN (y1, y2, ...)`.
    In {
        /// The value looked for.
        operand: Box<Expr>,
        /// The set; never empty.
        set: Vec<Expr>,
        /// `NOT IN`.
        negated: bool,
    },
    /// `NAME(arg, ...)`.
    Call {
        /// The function name in upper case.
        name: String,
        /// The arguments.
        args: Vec<Expr>,
    },
}

/// A literal value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    /// A 32-bit integer.
    Integer(i32),
    /// A string.
    String(String),
    /// `TRUE` or `FALSE`.
    Boolean(bool),
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `NOT x: Boolean -> Boolean`.
    Not,
    /// `-x: Integer -> Integer`.
    Negate,
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `AND`, short-circuit.
    And,
    /// `OR`, short-circuit.
    Or,
    /// `XOR`.
    Xor,
    /// `=`, for two Booleans, Integers or Strings.
    Eq,
    /// `!=` or `<>`.
    NotEq,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`, truncating.
    Div,
    /// `%`, with the sign of the dividend.
    Mod,
}

impl BinaryOp {
    /// The operator as written in canonical CESQL.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::And => "AND",
            BinaryOp::Or => "OR",
            BinaryOp::Xor => "XOR",
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
        }
    }

    /// Binding power; higher binds tighter (spec §3.6). All binary operators are
    /// left-associative, and `AND`, `OR` and `XOR` share one level.
    pub(crate) fn precedence(self) -> u8 {
        match self {
            BinaryOp::And | BinaryOp::Or | BinaryOp::Xor => prec::LOGIC,
            BinaryOp::Eq
            | BinaryOp::NotEq
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => prec::COMPARISON,
            BinaryOp::Add | BinaryOp::Sub => prec::ADDITIVE,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => prec::MULTIPLICATIVE,
        }
    }
}

/// Binding powers shared by the parser and the printer.
pub(crate) mod prec {
    pub(crate) const LOGIC: u8 = 1;
    pub(crate) const COMPARISON: u8 = 2;
    pub(crate) const ADDITIVE: u8 = 3;
    pub(crate) const MULTIPLICATIVE: u8 = 4;
    pub(crate) const IN: u8 = 5;
    pub(crate) const LIKE: u8 = 6;
    pub(crate) const PREFIX: u8 = 7;
    pub(crate) const ATOM: u8 = 8;
}

impl ExprKind {
    /// How tightly this node binds as an operand.
    pub(crate) fn precedence(&self) -> u8 {
        match self {
            ExprKind::Binary { op, .. } => op.precedence(),
            ExprKind::In { .. } => prec::IN,
            ExprKind::Like { .. } => prec::LIKE,
            ExprKind::Unary { .. } => prec::PREFIX,
            ExprKind::Literal(Literal::Integer(i)) if *i < 0 => prec::PREFIX,
            _ => prec::ATOM,
        }
    }
}
