//! Compile-time checks (spec §3.3: "some error checks SHOULD be done at compile time"): the
//! errors an expression raises whenever the offending part is evaluated, whatever the event.
//!
//! Found: calls that no built-in matches, and literals cast implicitly to a type they cannot
//! be cast to (`NOT 10`, `'abc' + 1`, `x = 1` with a literal `x`, `LEFT('a', 'b')`). The
//! expression still compiles and evaluates as the spec says; these are for callers that want to
//! refuse such an expression up front (a subscription API, say).

use std::borrow::Cow;

use crate::compile::{Const, Node, Op};
use crate::error::{EvalError, Fault, Faults};
use crate::functions::{Builtin, Param};
use crate::value::{CastMode, Type, Val, can_cast};

/// The errors certain to be raised when the parts of `root` they concern are evaluated.
pub(crate) fn diagnose(root: &Node) -> Vec<EvalError> {
    let mut faults = Faults::default();
    visit(root, &mut faults);
    faults.to_errors()
}

fn visit<'a>(node: &'a Node, faults: &mut Faults<'a>) {
    match &node.op {
        Op::MissingFunction { name, arity } => {
            faults.push(Fault::MissingFunction {
                name,
                arity: *arity,
                span: node.span,
            });
        }
        Op::Not(x) => check(x, Type::Boolean, CastMode::Implicit, faults),
        Op::Negate(x) => check(x, Type::Integer, CastMode::Implicit, faults),
        Op::Logic(_, l, r) => {
            check(l, Type::Boolean, CastMode::Implicit, faults);
            check(r, Type::Boolean, CastMode::Implicit, faults);
        }
        Op::Order(_, l, r) | Op::Arith(_, l, r) => {
            check(l, Type::Integer, CastMode::Implicit, faults);
            check(r, Type::Integer, CastMode::Implicit, faults);
        }
        Op::Equal { left, right, .. } => {
            if let Some(ty) = right.static_type() {
                check(left, ty, CastMode::Implicit, faults);
            }
        }
        Op::In { operand, set, .. } => {
            if let Some(ty) = operand.static_type() {
                for element in set.iter() {
                    check(element, ty, CastMode::Implicit, faults);
                }
            }
        }
        Op::Call { func, args } => {
            for (i, arg) in args.iter().enumerate() {
                match (func, func.param(i)) {
                    (_, Param::Of(ty)) => check(arg, ty, CastMode::Implicit, faults),
                    (Builtin::Int, Param::Any) => {
                        check(arg, Type::Integer, CastMode::Explicit, faults)
                    }
                    (Builtin::Bool, Param::Any) => {
                        check(arg, Type::Boolean, CastMode::Explicit, faults)
                    }
                    (_, Param::Any) => {}
                }
            }
        }
        Op::Const(_) | Op::Attribute(_) | Op::Exists(_) | Op::Like { .. } => {}
    }
    for child in node.children() {
        visit(child, faults);
    }
}

/// A cast error if `node` is a literal that cannot be cast to `to`.
fn check<'a>(node: &'a Node, to: Type, mode: CastMode, faults: &mut Faults<'a>) {
    let Op::Const(c) = &node.op else { return };
    let value = match c {
        Const::Int(i) => Val::Int(*i),
        Const::Bool(b) => Val::Bool(*b),
        Const::Str(s) => Val::Str(Cow::Borrowed(s)),
    };
    if !can_cast(&value, to, mode) {
        faults.push(Fault::Cast {
            value,
            to,
            span: node.span,
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::{ErrorKind, Expression};

    fn diagnostics(src: &str) -> Vec<(ErrorKind, String)> {
        let expr = Expression::parse(src).unwrap();
        expr.diagnostics()
            .iter()
            .map(|e| (e.kind(), e.message().to_owned()))
            .collect()
    }

    #[test]
    fn unknown_functions_and_impossible_literal_casts_are_reported_up_front() {
        assert_eq!(
            diagnostics("CONCATWS(',', a)"),
            [(
                ErrorKind::MissingFunction,
                "no function CONCATWS takes 2 argument(s)".into()
            )]
        );
        assert_eq!(
            diagnostics("NOT 10"),
            [(ErrorKind::Cast, "cannot cast Integer 10 to Boolean".into())]
        );
        assert_eq!(diagnostics("'abc' + 1").len(), 1);
        assert_eq!(diagnostics("INT('x') = 1 AND BOOL(2)").len(), 1);
        assert_eq!(
            diagnostics("x IN (1, 'a')").len(),
            0,
            "the type of x is the event's"
        );
        assert_eq!(diagnostics("1 IN (1, 'a')").len(), 1);
    }

    #[test]
    fn well_typed_expressions_have_no_diagnostics() {
        assert!(diagnostics("type LIKE 'a%' AND INT(amount) > 100 AND '5' + 3 = 8").is_empty());
        assert!(diagnostics("TRUE = 'true' AND SUBSTRING('abc', 1, 2) = 'ab'").is_empty());
    }
}
