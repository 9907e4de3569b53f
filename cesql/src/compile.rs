//! Lowers the syntax tree to the tree that is evaluated: functions resolved by name and arity,
//! `LIKE` patterns compiled, operators grouped by the types they cast their operands to, and
//! each node's static type inferred (spec §3.7 needs a type wherever it is known up front).

use crate::ast::{BinaryOp, Expr, ExprKind, Literal, UnaryOp};
use crate::error::Span;
use crate::functions::Builtin;
use crate::like::LikePattern;
use crate::value::Type;

/// An evaluable node and the span its errors report.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) op: Op,
    pub(crate) span: Span,
}

#[derive(Debug, Clone)]
pub(crate) enum Const {
    Int(i32),
    Bool(bool),
    Str(Box<str>),
}

/// `AND`, `OR`, `XOR`: Boolean x Boolean -> Boolean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Logic {
    And,
    Or,
    Xor,
}

/// `< <= > >=`: Integer x Integer -> Boolean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    Lt,
    Le,
    Gt,
    Ge,
}

/// `+ - * / %`: Integer x Integer -> Integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

#[derive(Debug, Clone)]
pub(crate) enum Op {
    Const(Const),
    Attribute(Box<str>),
    Exists(Box<str>),
    Not(Box<Node>),
    Negate(Box<Node>),
    Logic(Logic, Box<Node>, Box<Node>),
    /// `=` (or `!=`/`<>` when negated); the ambiguous operator that casts its left operand to
    /// the type of its right one.
    Equal {
        negated: bool,
        left: Box<Node>,
        right: Box<Node>,
    },
    Order(Order, Box<Node>, Box<Node>),
    Arith(Arith, Box<Node>, Box<Node>),
    Like {
        operand: Box<Node>,
        pattern: LikePattern,
        negated: bool,
    },
    In {
        operand: Box<Node>,
        set: Box<[Node]>,
        negated: bool,
    },
    Call {
        func: Builtin,
        args: Box<[Node]>,
    },
    /// A call no built-in matches: `false` and a missing function error.
    MissingFunction {
        name: Box<str>,
        arity: usize,
    },
}

impl Node {
    pub(crate) fn compile(expr: &Expr) -> Node {
        let b = |e: &Expr| Box::new(Node::compile(e));
        let op = match &expr.kind {
            ExprKind::Literal(Literal::Integer(i)) => Op::Const(Const::Int(*i)),
            ExprKind::Literal(Literal::Boolean(v)) => Op::Const(Const::Bool(*v)),
            ExprKind::Literal(Literal::String(s)) => Op::Const(Const::Str(s.as_str().into())),
            ExprKind::Attribute(name) => Op::Attribute(name.as_str().into()),
            ExprKind::Exists(name) => Op::Exists(name.as_str().into()),
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => Op::Not(b(operand)),
            ExprKind::Unary {
                op: UnaryOp::Negate,
                operand,
            } => Op::Negate(b(operand)),
            ExprKind::Binary { op, left, right } => {
                let (l, r) = (b(left), b(right));
                match op {
                    BinaryOp::And => Op::Logic(Logic::And, l, r),
                    BinaryOp::Or => Op::Logic(Logic::Or, l, r),
                    BinaryOp::Xor => Op::Logic(Logic::Xor, l, r),
                    BinaryOp::Eq => Op::Equal {
                        negated: false,
                        left: l,
                        right: r,
                    },
                    BinaryOp::NotEq => Op::Equal {
                        negated: true,
                        left: l,
                        right: r,
                    },
                    BinaryOp::Lt => Op::Order(Order::Lt, l, r),
                    BinaryOp::Le => Op::Order(Order::Le, l, r),
                    BinaryOp::Gt => Op::Order(Order::Gt, l, r),
                    BinaryOp::Ge => Op::Order(Order::Ge, l, r),
                    BinaryOp::Add => Op::Arith(Arith::Add, l, r),
                    BinaryOp::Sub => Op::Arith(Arith::Sub, l, r),
                    BinaryOp::Mul => Op::Arith(Arith::Mul, l, r),
                    BinaryOp::Div => Op::Arith(Arith::Div, l, r),
                    BinaryOp::Mod => Op::Arith(Arith::Mod, l, r),
                }
            }
            ExprKind::Like {
                operand,
                pattern,
                negated,
            } => Op::Like {
                operand: b(operand),
                pattern: LikePattern::compile(pattern),
                negated: *negated,
            },
            ExprKind::In {
                operand,
                set,
                negated,
            } => Op::In {
                operand: b(operand),
                set: set.iter().map(Node::compile).collect(),
                negated: *negated,
            },
            ExprKind::Call { name, args } => match Builtin::resolve(name, args.len()) {
                Some(func) => Op::Call {
                    func,
                    args: args.iter().map(Node::compile).collect(),
                },
                None => Op::MissingFunction {
                    name: name.as_str().into(),
                    arity: args.len(),
                },
            },
        };
        Node {
            op,
            span: expr.span,
        }
    }

    /// The type every evaluation of this node returns, when that does not depend on the event.
    /// Attributes are typed by the event, so they have none.
    pub(crate) fn static_type(&self) -> Option<Type> {
        match &self.op {
            Op::Const(Const::Int(_)) | Op::Negate(_) | Op::Arith(..) => Some(Type::Integer),
            Op::Const(Const::Str(_)) => Some(Type::String),
            Op::Const(Const::Bool(_))
            | Op::Exists(_)
            | Op::Not(_)
            | Op::Logic(..)
            | Op::Equal { .. }
            | Op::Order(..)
            | Op::Like { .. }
            | Op::In { .. }
            | Op::MissingFunction { .. } => Some(Type::Boolean),
            Op::Call { func, .. } => Some(func.signature().returns),
            Op::Attribute(_) => None,
        }
    }

    /// The node's children, in evaluation order.
    pub(crate) fn children(&self) -> Vec<&Node> {
        match &self.op {
            Op::Const(_) | Op::Attribute(_) | Op::Exists(_) | Op::MissingFunction { .. } => {
                Vec::new()
            }
            Op::Not(x) | Op::Negate(x) | Op::Like { operand: x, .. } => vec![x],
            Op::Logic(_, l, r) | Op::Order(_, l, r) | Op::Arith(_, l, r) => vec![l, r],
            Op::Equal { left, right, .. } => vec![left, right],
            Op::In { operand, set, .. } => std::iter::once(&**operand).chain(set.iter()).collect(),
            Op::Call { args, .. } => args.iter().collect(),
        }
    }
}
