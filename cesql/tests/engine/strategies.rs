//! Generators for property tests.

use cesql::Span;
use cesql::ast::{BinaryOp, Expr, ExprKind, Literal, UnaryOp};
use proptest::prelude::*;

const KEYWORDS: [&str; 9] = [
    "and", "or", "xor", "not", "like", "in", "exists", "true", "false",
];

const BINARY_OPS: [BinaryOp; 14] = [
    BinaryOp::And,
    BinaryOp::Or,
    BinaryOp::Xor,
    BinaryOp::Eq,
    BinaryOp::NotEq,
    BinaryOp::Lt,
    BinaryOp::Le,
    BinaryOp::Gt,
    BinaryOp::Ge,
    BinaryOp::Add,
    BinaryOp::Sub,
    BinaryOp::Mul,
    BinaryOp::Div,
    BinaryOp::Mod,
];

const FUNCTIONS: [&str; 13] = [
    "LENGTH",
    "CONCAT",
    "CONCAT_WS",
    "LOWER",
    "UPPER",
    "TRIM",
    "LEFT",
    "RIGHT",
    "SUBSTRING",
    "ABS",
    "INT",
    "BOOL",
    "STRING",
];

fn node(kind: ExprKind) -> Expr {
    Expr::new(kind, Span::default())
}

/// Attribute names: lower-case letters and digits, not a keyword, not all digits.
pub fn attribute_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec!["id", "source", "type", "subject", "time", "myint", "mybool", "missing"])
            .prop_map(String::from),
        1 => "[a-z0-9]{1,20}",
    ]
    .prop_filter("keyword or integer", |s: &String| {
        !KEYWORDS.contains(&s.as_str()) && !s.bytes().all(|b| b.is_ascii_digit())
    })
}

/// String values the lexer can produce: any characters, where each backslash is paired with
/// the next character (and never with a `"`, so that the value fits one of the delimiters).
pub fn string_value() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        6 => any::<char>().prop_filter("backslash", |c| *c != '\\').prop_map(String::from),
        2 => prop::sample::select(vec!["%", "_", "'", "\"", " ", "a", "é"]).prop_map(String::from),
        1 => prop::sample::select(vec!['%', '_', '\\', '\'', 'x', 'é']).prop_map(|c| format!("\\{c}")),
    ];
    prop::collection::vec(piece, 0..8).prop_map(|pieces| pieces.concat())
}

fn function_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(FUNCTIONS.to_vec()).prop_map(String::from),
        1 => "[A-Z][A-Z_]{0,8}".prop_filter("keyword", |s: &String| {
            !KEYWORDS.contains(&s.to_ascii_lowercase().as_str())
        }),
    ]
}

fn leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        any::<i32>().prop_map(|i| node(ExprKind::Literal(Literal::Integer(i)))),
        (-3i32..300).prop_map(|i| node(ExprKind::Literal(Literal::Integer(i)))),
        string_value().prop_map(|s| node(ExprKind::Literal(Literal::String(s)))),
        any::<bool>().prop_map(|b| node(ExprKind::Literal(Literal::Boolean(b)))),
        attribute_name().prop_map(|a| node(ExprKind::Attribute(a))),
        attribute_name().prop_map(|a| node(ExprKind::Exists(a))),
    ]
}

/// Syntax trees of every kind, a few levels deep.
pub fn expr() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(5, 48, 4, |inner| {
        let boxed = |e: Expr| Box::new(e);
        prop_oneof![
            (
                prop::sample::select(vec![UnaryOp::Not, UnaryOp::Negate]),
                inner.clone()
            )
                .prop_map(move |(op, e)| node(ExprKind::Unary {
                    op,
                    operand: boxed(e)
                })),
            (
                prop::sample::select(BINARY_OPS.to_vec()),
                inner.clone(),
                inner.clone()
            )
                .prop_map(move |(op, l, r)| node(ExprKind::Binary {
                    op,
                    left: boxed(l),
                    right: boxed(r)
                })),
            (inner.clone(), string_value(), any::<bool>()).prop_map(
                move |(e, pattern, negated)| {
                    node(ExprKind::Like {
                        operand: boxed(e),
                        pattern,
                        negated,
                    })
                }
            ),
            (
                inner.clone(),
                prop::collection::vec(inner.clone(), 1..4),
                any::<bool>()
            )
                .prop_map(move |(e, set, negated)| node(ExprKind::In {
                    operand: boxed(e),
                    set,
                    negated
                })),
            (function_name(), prop::collection::vec(inner, 0..4))
                .prop_map(|(name, args)| node(ExprKind::Call { name, args })),
        ]
    })
}

/// A JSON-format event with a random mix of optional attributes and extensions.
pub fn event() -> impl Strategy<Value = serde_json::Value> {
    let value = prop_oneof![
        any::<i64>().prop_map(serde_json::Value::from),
        (-5i64..200).prop_map(serde_json::Value::from),
        any::<bool>().prop_map(serde_json::Value::from),
        string_value().prop_map(serde_json::Value::from),
        prop::sample::select(vec!["true", "FALSE", "42", "-7", "", "2147483648"])
            .prop_map(serde_json::Value::from),
        Just(serde_json::Value::Null),
        Just(serde_json::json!(1.5)),
    ];
    prop::collection::vec((attribute_name(), value), 0..6).prop_map(|attrs| {
        let mut event = serde_json::json!({
            "specversion": "1.0", "id": "1", "source": "/s", "type": "com.example.t"
        });
        for (name, value) in attrs {
            event[name] = value;
        }
        event
    })
}

/// Sequences of CESQL tokens (and a few non-tokens) with random spacing: mostly invalid
/// expressions that get past the lexer.
pub fn token_soup() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "(",
        ")",
        ",",
        "+",
        "-",
        "*",
        "/",
        "%",
        "=",
        "!=",
        "<>",
        "<",
        "<=",
        ">",
        ">=",
        "AND",
        "or",
        "Xor",
        "NOT",
        "LIKE",
        "IN",
        "EXISTS",
        "TRUE",
        "false",
        "0",
        "1",
        "2147483647",
        "2147483648",
        "-2147483648",
        "'a%_\\%'",
        "\"x\\\"y\"",
        "''",
        "source",
        "myint",
        "missing",
        "LENGTH(",
        "SUBSTRING(",
        "ABS(",
        "CONCAT_WS(",
        "NOPE(",
        "INT(",
        "BOOL(",
        "!",
        "'",
        "\\",
        "é",
        "my_ext",
    ]);
    let space = prop::sample::select(vec!["", " ", "\n", "\t"]);
    prop::collection::vec((token, space), 0..24)
        .prop_map(|parts| parts.into_iter().map(|(t, s)| format!("{t}{s}")).collect())
}
