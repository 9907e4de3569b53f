//! The type system (spec §3.1) and the casts between its types (spec §3.7).

use std::borrow::Cow;
use std::fmt;

use crate::event::AttrValue;

/// One of the three primitive CESQL types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    /// A 32-bit signed integer.
    Integer,
    /// A sequence of Unicode characters.
    String,
    /// `true` or `false`.
    Boolean,
}

impl Type {
    /// The type's zero value: `0`, `""` or `false` (spec §3.1).
    pub fn zero(self) -> Value {
        Val::zero(self).into_value()
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Type::Integer => "Integer",
            Type::String => "String",
            Type::Boolean => "Boolean",
        })
    }
}

/// The primary output of an evaluation: a Boolean, an Integer or a String.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// A 32-bit signed integer.
    Integer(i32),
    /// A string.
    String(String),
    /// A boolean.
    Boolean(bool),
}

impl Value {
    /// The value's type.
    pub fn ty(&self) -> Type {
        match self {
            Value::Integer(_) => Type::Integer,
            Value::String(_) => Type::String,
            Value::Boolean(_) => Type::Boolean,
        }
    }

    /// The boolean, if this is a Boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// The integer, if this is an Integer.
    pub fn as_int(&self) -> Option<i32> {
        match self {
            Value::Integer(i) => Some(*i),
            _ => None,
        }
    }

    /// The string, if this is a String.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

/// Prints the value plainly: `42`, `true`, `abc` (no quotes).
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Integer(i) => write!(f, "{i}"),
            Value::String(s) => f.write_str(s),
            Value::Boolean(b) => write!(f, "{b}"),
        }
    }
}

/// A value during evaluation; strings borrow from the event or the expression when they can.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Val<'a> {
    Int(i32),
    Bool(bool),
    Str(Cow<'a, str>),
}

impl<'a> Val<'a> {
    pub(crate) const FALSE: Val<'static> = Val::Bool(false);

    pub(crate) fn zero(ty: Type) -> Val<'static> {
        match ty {
            Type::Integer => Val::Int(0),
            Type::String => Val::Str(Cow::Borrowed("")),
            Type::Boolean => Val::Bool(false),
        }
    }

    pub(crate) fn ty(&self) -> Type {
        match self {
            Val::Int(_) => Type::Integer,
            Val::Bool(_) => Type::Boolean,
            Val::Str(_) => Type::String,
        }
    }

    /// An attribute's value. Integers outside the 32-bit range are not CESQL Integers, so they
    /// are represented as Strings (spec §3.2).
    pub(crate) fn from_attr(attr: AttrValue<'a>) -> Self {
        match attr {
            AttrValue::String(s) => Val::Str(s),
            AttrValue::Boolean(b) => Val::Bool(b),
            AttrValue::Integer(i) => match i32::try_from(i) {
                Ok(i) => Val::Int(i),
                Err(_) => Val::Str(Cow::Owned(i.to_string())),
            },
        }
    }

    pub(crate) fn into_value(self) -> Value {
        match self {
            Val::Int(i) => Value::Integer(i),
            Val::Bool(b) => Value::Boolean(b),
            Val::Str(s) => Value::String(s.into_owned()),
        }
    }

    /// The value written as a CESQL literal, for error messages.
    pub(crate) fn as_literal(&self) -> String {
        match self {
            Val::Int(i) => i.to_string(),
            Val::Bool(true) => "TRUE".into(),
            Val::Bool(false) => "FALSE".into(),
            Val::Str(s) => string_literal(s),
        }
    }
}

/// `Integer -> Boolean` is a cast the spec table allows, but the TCK (`NOT 10` is `true` with a
/// cast error) forbids it where it would be implicit; only `BOOL(x)` performs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CastMode {
    Implicit,
    Explicit,
}

/// `String -> Integer`: base 10, optional leading sign, within 32 bits.
pub(crate) fn parse_int(s: &str) -> Option<i32> {
    s.parse().ok()
}

/// `String -> Boolean`: `true` or `false` in any case.
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Casts to Integer; `None` when the cast fails.
pub(crate) fn to_int(v: &Val<'_>) -> Option<i32> {
    match v {
        Val::Int(i) => Some(*i),
        Val::Bool(b) => Some(i32::from(*b)),
        Val::Str(s) => parse_int(s),
    }
}

/// Casts to Boolean; `None` when the cast fails.
pub(crate) fn to_bool(v: &Val<'_>, mode: CastMode) -> Option<bool> {
    match v {
        Val::Bool(b) => Some(*b),
        Val::Int(i) => (mode == CastMode::Explicit).then_some(*i != 0),
        Val::Str(s) => parse_bool(s),
    }
}

/// Casts to String; never fails.
pub(crate) fn to_str(v: Val<'_>) -> Cow<'_, str> {
    match v {
        Val::Str(s) => s,
        Val::Int(i) => Cow::Owned(i.to_string()),
        Val::Bool(true) => Cow::Borrowed("true"),
        Val::Bool(false) => Cow::Borrowed("false"),
    }
}

/// Whether `v` can be cast to `ty`.
pub(crate) fn can_cast(v: &Val<'_>, ty: Type, mode: CastMode) -> bool {
    match ty {
        Type::Integer => to_int(v).is_some(),
        Type::Boolean => to_bool(v, mode).is_some(),
        Type::String => true,
    }
}

/// `s` as a CESQL string literal that lexes back to `s`.
///
/// Inside a literal, a backslash followed by the delimiter stands for the delimiter, and any
/// other backslash pair is kept as written (so `'a\_b'` reaches `LIKE` as `a\_b`). Hence a
/// string can be written with a delimiter unless, read in backslash pairs, it holds a backslash
/// followed by that delimiter or ends in an unpaired backslash. Strings that come from the
/// lexer always fit one delimiter; for others the single-quoted form is a best effort.
pub(crate) fn string_literal(s: &str) -> String {
    let quote = if fits(s, '\'') || !fits(s, '"') {
        '\''
    } else {
        '"'
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.push('\\');
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            if c == quote {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out.push(quote);
    out
}

fn fits(s: &str, quote: char) -> bool {
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                None => return false,
                Some(next) if next == quote => return false,
                Some(_) => {}
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Val<'_> {
        Val::Str(Cow::Borrowed(v))
    }

    #[test]
    fn strings_cast_to_integers_in_base_ten_with_an_optional_sign() {
        assert_eq!(to_int(&s("42")), Some(42));
        assert_eq!(to_int(&s("+42")), Some(42));
        assert_eq!(to_int(&s("-2147483648")), Some(i32::MIN));
        assert_eq!(to_int(&s("2147483648")), None);
        assert_eq!(to_int(&s(" 1")), None);
        assert_eq!(to_int(&s("1.0")), None);
        assert_eq!(to_int(&s("")), None);
        assert_eq!(to_int(&s("٣")), None);
    }

    #[test]
    fn strings_cast_to_booleans_case_insensitively() {
        assert_eq!(to_bool(&s("TRUE"), CastMode::Implicit), Some(true));
        assert_eq!(to_bool(&s("fAlSe"), CastMode::Implicit), Some(false));
        assert_eq!(to_bool(&s("yes"), CastMode::Implicit), None);
        assert_eq!(to_bool(&s("1"), CastMode::Explicit), None);
    }

    #[test]
    fn integers_cast_to_booleans_only_explicitly() {
        assert_eq!(to_bool(&Val::Int(10), CastMode::Explicit), Some(true));
        assert_eq!(to_bool(&Val::Int(0), CastMode::Explicit), Some(false));
        assert_eq!(to_bool(&Val::Int(10), CastMode::Implicit), None);
    }

    #[test]
    fn booleans_and_integers_cast_to_their_canonical_strings() {
        assert_eq!(to_str(Val::Bool(true)), "true");
        assert_eq!(to_str(Val::Int(-7)), "-7");
        assert_eq!(to_int(&Val::Bool(true)), Some(1));
    }

    #[test]
    fn out_of_range_integer_attributes_become_strings() {
        assert_eq!(
            Val::from_attr(AttrValue::Integer(1 << 40)),
            s("1099511627776")
        );
        assert_eq!(Val::from_attr(AttrValue::Integer(-5)), Val::Int(-5));
    }

    #[test]
    fn string_literals_pick_a_delimiter_that_round_trips() {
        assert_eq!(string_literal("abc"), "'abc'");
        assert_eq!(string_literal("it's"), r"'it\'s'");
        assert_eq!(string_literal(r"a\_b"), r"'a\_b'");
        assert_eq!(string_literal(r"a\'"), r#""a\'""#);
        assert_eq!(string_literal(r"a\\"), r"'a\\'");
    }
}
