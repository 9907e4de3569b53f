//! Evaluates a compiled tree against one event (spec §3.3–§3.7).
//!
//! Error semantics, which the TCK pins down:
//! - An operator or function whose operand raised an error (a missing attribute included)
//!   does not compute: it returns the zero value of its return type, and the error stays in
//!   the list. So `1 / missing` is `0` with only a missing attribute error, and
//!   `true AND (1 != 1 / 0)` is `false` with a math error.
//! - An error an operator raises itself comes with the value the spec gives it: a failed cast
//!   yields the target type's zero value and the operator goes on (`NOT 10` is `true` with a
//!   cast error), division by zero yields `0`, `LEFT('abc', -2)` yields `'abc'`.
//! - An attribute the event lacks evaluates to `false` with a missing attribute error, which is
//!   what the whole expression returns when it is just that attribute.
//! - `AND` and `OR` short-circuit; `IN` stops at the first element that matches.
//! - Integer overflow (`+ - * /`, unary `-`) saturates at the 32-bit bounds and raises a math
//!   error, as `ABS(-2147483648)` does in the spec.

use std::borrow::Cow;

use crate::compile::{Arith, Const, Logic, Node, Op, Order};
use crate::error::{Fault, Faults, Span};
use crate::event::EventView;
use crate::functions::{self, Builtin, MAX_FIXED_ARITY, Param};
use crate::value::{CastMode, Type, Val, to_bool, to_int, to_str};

impl Node {
    pub(crate) fn eval<'a, E: EventView + ?Sized>(
        &'a self,
        event: &'a E,
        faults: &mut Faults<'a>,
    ) -> Val<'a> {
        match &self.op {
            Op::Const(c) => match c {
                Const::Int(i) => Val::Int(*i),
                Const::Bool(b) => Val::Bool(*b),
                Const::Str(s) => Val::Str(Cow::Borrowed(s)),
            },
            Op::Attribute(name) => match event.attribute(name) {
                Some(value) => Val::from_attr(value),
                None => {
                    faults.push(Fault::MissingAttribute {
                        name,
                        span: self.span,
                    });
                    Val::FALSE
                }
            },
            Op::Exists(name) => Val::Bool(event.attribute(name).is_some()),
            Op::Not(x) => match x.sub(event, faults) {
                Some(v) => Val::Bool(!want_bool(v, x.span, faults)),
                None => Val::FALSE,
            },
            Op::Negate(x) => match x.sub(event, faults) {
                Some(v) => Val::Int(want_int(v, x.span, faults).checked_neg().unwrap_or_else(
                    || {
                        faults.push(Fault::Overflow { span: self.span });
                        i32::MAX
                    },
                )),
                None => Val::Int(0),
            },
            Op::Logic(op, l, r) => Val::Bool(self.logic(*op, l, r, event, faults).unwrap_or(false)),
            Op::Equal {
                negated,
                left,
                right,
            } => {
                let Some((a, b)) = both(left, right, event, faults) else {
                    return Val::FALSE;
                };
                Val::Bool(equal(&b, a, left.span, faults) != *negated)
            }
            Op::Order(op, l, r) => {
                let Some((a, b)) = both(l, r, event, faults) else {
                    return Val::FALSE;
                };
                let (x, y) = (want_int(a, l.span, faults), want_int(b, r.span, faults));
                Val::Bool(match op {
                    Order::Lt => x < y,
                    Order::Le => x <= y,
                    Order::Gt => x > y,
                    Order::Ge => x >= y,
                })
            }
            Op::Arith(op, l, r) => {
                let Some((a, b)) = both(l, r, event, faults) else {
                    return Val::Int(0);
                };
                let (x, y) = (want_int(a, l.span, faults), want_int(b, r.span, faults));
                Val::Int(arith(*op, x, y, self.span, faults))
            }
            Op::Like {
                operand,
                pattern,
                negated,
            } => match operand.sub(event, faults) {
                Some(v) => Val::Bool(pattern.matches(&to_str(v)) != *negated),
                None => Val::FALSE,
            },
            Op::In {
                operand,
                set,
                negated,
            } => {
                let Some(x) = operand.sub(event, faults) else {
                    return Val::FALSE;
                };
                for element in set.iter() {
                    let Some(y) = element.sub(event, faults) else {
                        return Val::FALSE;
                    };
                    if equal(&x, y, element.span, faults) {
                        return Val::Bool(!*negated);
                    }
                }
                Val::Bool(*negated)
            }
            Op::Call { func, args } => self.call(*func, args, event, faults),
            Op::MissingFunction { name, arity } => {
                faults.push(Fault::MissingFunction {
                    name,
                    arity: *arity,
                    span: self.span,
                });
                Val::FALSE
            }
        }
    }

    /// Evaluates a sub-expression; `None` when it raised an error, so its parent returns its
    /// own zero value without computing.
    fn sub<'a, E: EventView + ?Sized>(
        &'a self,
        event: &'a E,
        faults: &mut Faults<'a>,
    ) -> Option<Val<'a>> {
        let before = faults.len();
        let v = self.eval(event, faults);
        (faults.len() == before).then_some(v)
    }

    fn logic<'a, E: EventView + ?Sized>(
        &'a self,
        op: Logic,
        l: &'a Node,
        r: &'a Node,
        event: &'a E,
        faults: &mut Faults<'a>,
    ) -> Option<bool> {
        let x = want_bool(l.sub(event, faults)?, l.span, faults);
        match (op, x) {
            (Logic::And, false) => return Some(false),
            (Logic::Or, true) => return Some(true),
            _ => {}
        }
        let y = want_bool(r.sub(event, faults)?, r.span, faults);
        Some(match op {
            Logic::And => x && y,
            Logic::Or => x || y,
            Logic::Xor => x != y,
        })
    }

    fn call<'a, E: EventView + ?Sized>(
        &'a self,
        func: Builtin,
        args: &'a [Node],
        event: &'a E,
        faults: &mut Faults<'a>,
    ) -> Val<'a> {
        let zero = Val::zero(func.signature().returns);
        if matches!(func, Builtin::Concat | Builtin::ConcatWs) {
            let mut out = String::new();
            let mut separator: Option<Cow<'a, str>> = None;
            for (i, arg) in args.iter().enumerate() {
                let Some(v) = arg.sub(event, faults) else {
                    return zero;
                };
                let s = to_str(v);
                if func == Builtin::ConcatWs && i == 0 {
                    separator = Some(s);
                    continue;
                }
                if let Some(sep) = separator.as_deref().filter(|_| i > 1) {
                    out.push_str(sep);
                }
                out.push_str(&s);
            }
            return Val::Str(Cow::Owned(out));
        }
        let mut values = [Val::FALSE, Val::FALSE, Val::FALSE];
        for (i, (arg, slot)) in args
            .iter()
            .zip(values.iter_mut())
            .enumerate()
            .take(MAX_FIXED_ARITY)
        {
            let Some(v) = arg.sub(event, faults) else {
                return zero;
            };
            *slot = match func.param(i) {
                Param::Any => v,
                Param::Of(Type::Integer) => Val::Int(want_int(v, arg.span, faults)),
                Param::Of(Type::Boolean) => Val::Bool(want_bool(v, arg.span, faults)),
                Param::Of(Type::String) => Val::Str(to_str(v)),
            };
        }
        functions::call(func, values, self.span, faults)
    }
}

/// Evaluates `l` then, if it raised no error, `r`.
fn both<'a, E: EventView + ?Sized>(
    l: &'a Node,
    r: &'a Node,
    event: &'a E,
    faults: &mut Faults<'a>,
) -> Option<(Val<'a>, Val<'a>)> {
    let a = l.sub(event, faults)?;
    Some((a, r.sub(event, faults)?))
}

/// Implicit cast to Integer: `0` and a cast error when it fails.
fn want_int<'a>(v: Val<'a>, span: Span, faults: &mut Faults<'a>) -> i32 {
    to_int(&v).unwrap_or_else(|| {
        faults.push(Fault::Cast {
            value: v,
            to: Type::Integer,
            span,
        });
        0
    })
}

/// Implicit cast to Boolean: `false` and a cast error when it fails.
fn want_bool<'a>(v: Val<'a>, span: Span, faults: &mut Faults<'a>) -> bool {
    to_bool(&v, CastMode::Implicit).unwrap_or_else(|| {
        faults.push(Fault::Cast {
            value: v,
            to: Type::Boolean,
            span,
        });
        false
    })
}

/// `target = v` after casting `v` to the type of `target` (spec §3.7: `=` casts its left
/// operand to the type of the right one; `IN` casts the set elements to the type of the left
/// operand). `span` is `v`'s.
fn equal<'a>(target: &Val<'_>, v: Val<'a>, span: Span, faults: &mut Faults<'a>) -> bool {
    match target {
        Val::Int(t) => want_int(v, span, faults) == *t,
        Val::Bool(t) => want_bool(v, span, faults) == *t,
        Val::Str(t) => to_str(v) == **t,
    }
}

fn arith<'a>(op: Arith, x: i32, y: i32, span: Span, faults: &mut Faults<'a>) -> i32 {
    if matches!(op, Arith::Div | Arith::Mod) && y == 0 {
        faults.push(Fault::DivisionByZero { span });
        return 0;
    }
    let exact = match op {
        Arith::Add => x.checked_add(y),
        Arith::Sub => x.checked_sub(y),
        Arith::Mul => x.checked_mul(y),
        Arith::Div => x.checked_div(y),
        // i32::MIN % -1 overflows in hardware but is 0 in arithmetic.
        Arith::Mod => Some(x.checked_rem(y).unwrap_or(0)),
    };
    exact.unwrap_or_else(|| {
        faults.push(Fault::Overflow { span });
        let wide = match op {
            Arith::Add => i64::from(x) + i64::from(y),
            Arith::Sub => i64::from(x) - i64::from(y),
            Arith::Mul => i64::from(x) * i64::from(y),
            Arith::Div | Arith::Mod => i64::from(i32::MAX),
        };
        i32::try_from(wide.clamp(i64::from(i32::MIN), i64::from(i32::MAX))).unwrap_or(0)
    })
}

#[cfg(test)]
mod tests;
