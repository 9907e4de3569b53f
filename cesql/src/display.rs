//! Canonical CESQL for a syntax tree: keywords and function names in upper case, attributes in
//! lower case, single-quoted strings where possible, and parentheses only where precedence needs
//! them (plus around an `AND`/`OR`/`XOR` operand of a different logical operator, which binds
//! the same but reads ambiguously).

use std::fmt::{self, Display, Formatter, Write};

use crate::ast::{BinaryOp, Expr, ExprKind, Literal, UnaryOp, prec};
use crate::value::string_literal;

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Integer(i) => write!(f, "{i}"),
            Literal::String(s) => f.write_str(&string_literal(s)),
            Literal::Boolean(true) => f.write_str("TRUE"),
            Literal::Boolean(false) => f.write_str("FALSE"),
        }
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Literal(lit) => lit.fmt(f),
            ExprKind::Attribute(name) => f.write_str(name),
            ExprKind::Exists(name) => write!(f, "EXISTS {name}"),
            ExprKind::Unary { op, operand } => {
                f.write_str(match op {
                    UnaryOp::Not => "NOT ",
                    UnaryOp::Negate => "-",
                })?;
                // `-5` would read back as a literal, so a negated non-negative literal keeps
                // parentheses.
                let literal =
                    matches!(operand.kind, ExprKind::Literal(Literal::Integer(i)) if i >= 0);
                let needs =
                    operand.kind.precedence() < prec::PREFIX || (*op == UnaryOp::Negate && literal);
                operand_fmt(f, operand, needs)
            }
            ExprKind::Binary { op, left, right } => {
                let p = op.precedence();
                operand_fmt(
                    f,
                    left,
                    left.kind.precedence() < p || mixes_logic(*op, left),
                )?;
                write!(f, " {} ", op.symbol())?;
                operand_fmt(
                    f,
                    right,
                    right.kind.precedence() <= p || mixes_logic(*op, right),
                )
            }
            ExprKind::Like {
                operand,
                pattern,
                negated,
            } => {
                operand_fmt(f, operand, operand.kind.precedence() < prec::LIKE)?;
                f.write_str(if *negated { " NOT LIKE " } else { " LIKE " })?;
                f.write_str(&string_literal(pattern))
            }
            ExprKind::In {
                operand,
                set,
                negated,
            } => {
                operand_fmt(f, operand, operand.kind.precedence() < prec::IN)?;
                f.write_str(if *negated { " NOT IN (" } else { " IN (" })?;
                list(f, set)?;
                f.write_char(')')
            }
            ExprKind::Call { name, args } => {
                write!(f, "{name}(")?;
                list(f, args)?;
                f.write_char(')')
            }
        }
    }
}

fn operand_fmt(f: &mut Formatter<'_>, e: &Expr, parens: bool) -> fmt::Result {
    if parens { write!(f, "({e})") } else { e.fmt(f) }
}

fn list(f: &mut Formatter<'_>, items: &[Expr]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        item.fmt(f)?;
    }
    Ok(())
}

fn is_logic(op: BinaryOp) -> bool {
    op.precedence() == prec::LOGIC
}

fn mixes_logic(parent: BinaryOp, child: &Expr) -> bool {
    matches!(&child.kind, ExprKind::Binary { op, .. } if is_logic(parent) && is_logic(*op) && *op != parent)
}

#[cfg(test)]
mod tests {
    use crate::parser::parse;

    fn canonical(src: &str) -> String {
        parse(src).unwrap().to_string()
    }

    #[test]
    fn keywords_functions_and_attributes_are_normalised() {
        assert_eq!(canonical("not exists Subject"), "NOT EXISTS subject");
        assert_eq!(
            canonical("concat_ws(',', a, \"b\")"),
            "CONCAT_WS(',', a, 'b')"
        );
        assert_eq!(
            canonical("x <> 1 and y not like 'a%'"),
            "x != 1 AND y NOT LIKE 'a%'"
        );
        assert_eq!(canonical("true in (false)"), "TRUE IN (FALSE)");
    }

    #[test]
    fn parentheses_appear_only_where_precedence_needs_them() {
        assert_eq!(canonical("(1 + 2) * 3"), "(1 + 2) * 3");
        assert_eq!(canonical("1 + (2 * 3)"), "1 + 2 * 3");
        assert_eq!(canonical("1 - (2 - 3)"), "1 - (2 - 3)");
        assert_eq!(canonical("(1 - 2) - 3"), "1 - 2 - 3");
        assert_eq!(canonical("NOT (a = b)"), "NOT (a = b)");
        assert_eq!(canonical("(a IN (1)) LIKE 'x'"), "(a IN (1)) LIKE 'x'");
        assert_eq!(canonical("a OR b AND c"), "(a OR b) AND c");
        assert_eq!(canonical("a OR (b AND c)"), "a OR (b AND c)");
        assert_eq!(canonical("a AND b AND c"), "a AND b AND c");
    }

    #[test]
    fn negation_of_literals_stays_distinct_from_negative_literals() {
        assert_eq!(canonical("-5"), "-5");
        assert_eq!(canonical("-(5)"), "-(5)");
        assert_eq!(canonical("--5"), "--5");
        assert_eq!(canonical("- x"), "-x");
        assert_eq!(canonical("-(-2147483648)"), "--2147483648");
    }
}
