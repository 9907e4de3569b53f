use super::*;
use crate::{ErrorKind, Expression, Value};

fn eval(src: &str) -> (Value, Vec<ErrorKind>) {
    let event = serde_json::json!({"specversion": "1.0", "id": "1", "source": "/s", "type": "t"});
    let e = Expression::parse(src).unwrap().evaluate(&event);
    (e.value, e.errors.iter().map(|e| e.kind()).collect())
}

fn s(v: &str) -> (Value, Vec<ErrorKind>) {
    (Value::String(v.into()), vec![])
}

#[test]
fn the_builtin_table_obeys_the_spec_overloading_rules() {
    // No two overloads share a name and an arity; a variadic overload needs more fixed
    // parameters than any other overload of its name has (spec §3.5).
    for a in Builtin::ALL {
        for b in Builtin::ALL {
            let (x, y) = (a.signature(), b.signature());
            if a == b || x.name != y.name {
                continue;
            }
            assert_ne!(
                x.params.len(),
                y.params.len(),
                "{} has two overloads of one arity",
                x.name
            );
            if x.variadic.is_some() {
                assert!(
                    y.variadic.is_none() && x.params.len() > y.params.len(),
                    "{}",
                    x.name
                );
            }
        }
        assert!(a.signature().params.len() <= MAX_FIXED_ARITY);
        assert_eq!(
            Builtin::resolve(
                &a.signature().name.to_lowercase(),
                a.signature().params.len()
            ),
            Some(a)
        );
    }
    assert_eq!(Builtin::resolve("CONCAT", 0), Some(Builtin::Concat));
    assert_eq!(Builtin::resolve("CONCAT_WS", 0), None);
    assert_eq!(Builtin::resolve("SUBSTRING", 4), None);
}

#[test]
fn string_functions_count_unicode_characters() {
    assert_eq!(eval("LENGTH('héllo')"), (Value::Integer(5), vec![]));
    assert_eq!(eval("LEFT('héllo', 2)"), s("hé"));
    assert_eq!(eval("RIGHT('héllo', 4)"), s("éllo"));
    assert_eq!(eval("SUBSTRING('héllo', 2, 2)"), s("él"));
    assert_eq!(eval("SUBSTRING('héllo', -4)"), s("éllo"));
    assert_eq!(eval("UPPER('straße')"), s("STRASSE"));
    assert_eq!(eval("LOWER('ÀB')"), s("àb"));
    assert_eq!(eval("TRIM('\u{2003} a b \t')"), s("a b"));
    assert_eq!(eval("TRIM('   ')"), s(""));
}

#[test]
fn substring_bounds_follow_the_spec() {
    assert_eq!(eval("SUBSTRING('abc', 3)"), s("c"));
    assert_eq!(eval("SUBSTRING('abc', -3)"), s("abc"));
    assert_eq!(eval("SUBSTRING('abc', 2, 100)"), s("bc"));
    assert_eq!(eval("SUBSTRING('abc', 2, 0)"), s(""));
    assert_eq!(eval("SUBSTRING('abc', 1, 2147483647)"), s("abc"));
    let error = (
        Value::String(String::new()),
        vec![ErrorKind::FunctionEvaluation],
    );
    assert_eq!(eval("SUBSTRING('abc', 4)"), error);
    assert_eq!(eval("SUBSTRING('abc', -4)"), error);
    assert_eq!(eval("SUBSTRING('abc', 1, -1)"), error);
    assert_eq!(eval("SUBSTRING('', 1)"), error);
    assert_eq!(eval("SUBSTRING('', 0)"), s(""));
}

#[test]
fn concat_ws_puts_the_delimiter_only_between_values() {
    assert_eq!(eval("CONCAT_WS('-', 1, TRUE, 'x')"), s("1-true-x"));
    assert_eq!(eval("CONCAT_WS('-', 'a')"), s("a"));
    assert_eq!(eval("CONCAT(1, 2)"), s("12"));
    assert_eq!(
        eval("CONCAT_WS('-', 'a', missing)"),
        (
            Value::String(String::new()),
            vec![ErrorKind::MissingAttribute]
        )
    );
}

#[test]
fn casting_functions_cast_explicitly() {
    assert_eq!(eval("INT('+7')"), (Value::Integer(7), vec![]));
    assert_eq!(
        eval("INT(' 7')"),
        (Value::Integer(0), vec![ErrorKind::Cast])
    );
    assert_eq!(eval("BOOL(-3)"), (Value::Boolean(true), vec![]));
    assert_eq!(
        eval("BOOL('yes')"),
        (Value::Boolean(false), vec![ErrorKind::Cast])
    );
    assert_eq!(eval("STRING(-12)"), s("-12"));
    assert_eq!(eval("IS_INT('-12')"), (Value::Boolean(true), vec![]));
    assert_eq!(eval("IS_INT('1.5')"), (Value::Boolean(false), vec![]));
    assert_eq!(eval("IS_INT(TRUE)"), (Value::Boolean(false), vec![]));
    assert_eq!(eval("IS_BOOL('False')"), (Value::Boolean(true), vec![]));
    assert_eq!(eval("IS_BOOL(1)"), (Value::Boolean(false), vec![]));
}

#[test]
fn arguments_are_cast_to_parameter_types() {
    assert_eq!(eval("LEFT(12345, '2')"), s("12"));
    assert_eq!(eval("ABS('-5')"), (Value::Integer(5), vec![]));
    assert_eq!(
        eval("LEFT('abc', 'x')"),
        (Value::String(String::new()), vec![ErrorKind::Cast])
    );
}

#[test]
fn abs_of_the_smallest_integer_saturates_with_a_math_error() {
    assert_eq!(
        eval("ABS(-2147483648)"),
        (Value::Integer(i32::MAX), vec![ErrorKind::Math])
    );
}

#[test]
fn unknown_functions_return_false_with_a_missing_function_error() {
    assert_eq!(
        eval("NOPE(1)"),
        (Value::Boolean(false), vec![ErrorKind::MissingFunction])
    );
    assert_eq!(
        eval("LENGTH('a', 'b')"),
        (Value::Boolean(false), vec![ErrorKind::MissingFunction])
    );
    assert_eq!(
        eval("NOT NOPE()"),
        (Value::Boolean(false), vec![ErrorKind::MissingFunction])
    );
}
