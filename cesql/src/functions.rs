//! Built-in functions (spec §3.5, and the casting functions the TCK exercises): their
//! signatures, resolution by name and arity at compile time, and their bodies.
//!
//! Every body is total: on bad input it returns the value the spec names (or its return type's
//! zero value) and records a fault.

use std::borrow::Cow;

use crate::error::{Fault, Faults, Span};
use crate::value::{CastMode, Type, Val, can_cast, to_bool, to_int, to_str};

/// A built-in function overload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Builtin {
    Length,
    Concat,
    ConcatWs,
    Lower,
    Upper,
    Trim,
    Left,
    Right,
    Substring,
    SubstringLen,
    Abs,
    Int,
    Bool,
    String,
    IsInt,
    IsBool,
}

/// What an argument is cast to before the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Param {
    /// Implicitly cast to this type.
    Of(Type),
    /// Passed as it is (the casting functions cast explicitly).
    Any,
}

/// A function's parameter list and return type.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Signature {
    pub(crate) name: &'static str,
    pub(crate) params: &'static [Param],
    /// The type of further arguments, for variadic functions.
    pub(crate) variadic: Option<Param>,
    pub(crate) returns: Type,
}

const S: Param = Param::Of(Type::String);
const I: Param = Param::Of(Type::Integer);

/// The largest fixed arity of any built-in.
pub(crate) const MAX_FIXED_ARITY: usize = 3;

impl Builtin {
    pub(crate) const ALL: [Builtin; 16] = [
        Builtin::Length,
        Builtin::Concat,
        Builtin::ConcatWs,
        Builtin::Lower,
        Builtin::Upper,
        Builtin::Trim,
        Builtin::Left,
        Builtin::Right,
        Builtin::Substring,
        Builtin::SubstringLen,
        Builtin::Abs,
        Builtin::Int,
        Builtin::Bool,
        Builtin::String,
        Builtin::IsInt,
        Builtin::IsBool,
    ];

    pub(crate) fn signature(self) -> Signature {
        let sig = |name, params, variadic, returns| Signature {
            name,
            params,
            variadic,
            returns,
        };
        match self {
            Builtin::Length => sig("LENGTH", &[S], None, Type::Integer),
            Builtin::Concat => sig("CONCAT", &[], Some(S), Type::String),
            Builtin::ConcatWs => sig("CONCAT_WS", &[S], Some(S), Type::String),
            Builtin::Lower => sig("LOWER", &[S], None, Type::String),
            Builtin::Upper => sig("UPPER", &[S], None, Type::String),
            Builtin::Trim => sig("TRIM", &[S], None, Type::String),
            Builtin::Left => sig("LEFT", &[S, I], None, Type::String),
            Builtin::Right => sig("RIGHT", &[S, I], None, Type::String),
            Builtin::Substring => sig("SUBSTRING", &[S, I], None, Type::String),
            Builtin::SubstringLen => sig("SUBSTRING", &[S, I, I], None, Type::String),
            Builtin::Abs => sig("ABS", &[I], None, Type::Integer),
            Builtin::Int => sig("INT", &[Param::Any], None, Type::Integer),
            Builtin::Bool => sig("BOOL", &[Param::Any], None, Type::Boolean),
            Builtin::String => sig("STRING", &[Param::Any], None, Type::String),
            Builtin::IsInt => sig("IS_INT", &[S], None, Type::Boolean),
            Builtin::IsBool => sig("IS_BOOL", &[S], None, Type::Boolean),
        }
    }

    /// The overload of `name` (any case) that takes `arity` arguments.
    pub(crate) fn resolve(name: &str, arity: usize) -> Option<Builtin> {
        Builtin::ALL.into_iter().find(|b| {
            let sig = b.signature();
            sig.name.eq_ignore_ascii_case(name)
                && (sig.params.len() == arity
                    || (sig.variadic.is_some() && arity >= sig.params.len()))
        })
    }

    /// The type argument `i` is cast to.
    pub(crate) fn param(self, i: usize) -> Param {
        let sig = self.signature();
        sig.params
            .get(i)
            .copied()
            .or(sig.variadic)
            .unwrap_or(Param::Any)
    }
}

/// Calls a fixed-arity built-in on arguments already cast to its parameter types.
pub(crate) fn call<'a>(
    func: Builtin,
    args: [Val<'a>; MAX_FIXED_ARITY],
    span: Span,
    faults: &mut Faults<'a>,
) -> Val<'a> {
    let [a, b, c] = args;
    // `eval` has cast each argument to its parameter type; these read the values back.
    let int = |v: &Val<'_>| to_int(v).unwrap_or(0);
    let string = to_str;
    let fail = |faults: &mut Faults<'a>, reason| {
        faults.push(Fault::Function {
            function: func.signature().name,
            reason,
            span,
        });
    };
    match func {
        Builtin::Length => {
            let n = string(a).chars().count();
            Val::Int(i32::try_from(n).unwrap_or(i32::MAX))
        }
        Builtin::Lower => Val::Str(Cow::Owned(string(a).to_lowercase())),
        Builtin::Upper => Val::Str(Cow::Owned(string(a).to_uppercase())),
        Builtin::Trim => {
            let s = string(a);
            let start = s.len() - s.trim_start().len();
            let end = s.trim_end().len().max(start);
            Val::Str(slice(s, start, end))
        }
        Builtin::Left | Builtin::Right => {
            let (s, n) = (string(a), int(&b));
            let Ok(n) = usize::try_from(n) else {
                fail(faults, "the length must not be negative");
                return Val::Str(s);
            };
            let len = s.chars().count();
            if n >= len {
                return Val::Str(s);
            }
            let (from, to) = if func == Builtin::Left {
                (0, n)
            } else {
                (len - n, len)
            };
            Val::Str(char_slice(s, from, to))
        }
        Builtin::Substring | Builtin::SubstringLen => {
            let s = string(a);
            let len = i64::try_from(s.chars().count()).unwrap_or(i64::MAX);
            let pos = i64::from(int(&b));
            let count = (func == Builtin::SubstringLen).then(|| i64::from(int(&c)));
            if pos > len || pos < -len {
                fail(faults, "the position is outside the string");
                return Val::zero(Type::String);
            }
            if count.is_some_and(|n| n < 0) {
                fail(faults, "the length must not be negative");
                return Val::zero(Type::String);
            }
            if pos == 0 {
                return Val::zero(Type::String);
            }
            let start = if pos > 0 { pos - 1 } else { len + pos };
            let end = count.map_or(len, |n| start.saturating_add(n).min(len));
            let (start, end) = (
                usize::try_from(start).unwrap_or(0),
                usize::try_from(end).unwrap_or(0),
            );
            Val::Str(char_slice(s, start, end))
        }
        Builtin::Abs => {
            let i = int(&a);
            Val::Int(i.checked_abs().unwrap_or_else(|| {
                faults.push(Fault::Overflow { span });
                i32::MAX
            }))
        }
        Builtin::Int => cast_call(a, Type::Integer, span, faults),
        Builtin::Bool => cast_call(a, Type::Boolean, span, faults),
        Builtin::String => Val::Str(string(a)),
        Builtin::IsInt => Val::Bool(can_cast(&a, Type::Integer, CastMode::Explicit)),
        Builtin::IsBool => Val::Bool(can_cast(&a, Type::Boolean, CastMode::Explicit)),
        Builtin::Concat | Builtin::ConcatWs => Val::zero(Type::String),
    }
}

/// `INT(x)` and `BOOL(x)`: an explicit cast, a cast error on failure.
fn cast_call<'a>(v: Val<'a>, to: Type, span: Span, faults: &mut Faults<'a>) -> Val<'a> {
    let cast = match to {
        Type::Integer => to_int(&v).map(Val::Int),
        Type::Boolean => to_bool(&v, CastMode::Explicit).map(Val::Bool),
        Type::String => Some(Val::Str(to_str(v.clone()))),
    };
    cast.unwrap_or_else(|| {
        faults.push(Fault::Cast { value: v, to, span });
        Val::zero(to)
    })
}

/// Characters `from..to` of `s`, borrowing when `s` does.
fn char_slice(s: Cow<'_, str>, from: usize, to: usize) -> Cow<'_, str> {
    let byte = |n: usize| s.char_indices().nth(n).map_or(s.len(), |(i, _)| i);
    let (start, end) = (byte(from), byte(to));
    slice(s, start, end)
}

fn slice(s: Cow<'_, str>, start: usize, end: usize) -> Cow<'_, str> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(b.get(start..end).unwrap_or("")),
        Cow::Owned(o) => Cow::Owned(o.get(start..end).unwrap_or("").to_owned()),
    }
}

#[cfg(test)]
mod tests;
