use crate::{ErrorKind, Expression, Span, Value};

fn event() -> serde_json::Value {
    serde_json::json!({
        "specversion": "1.0", "id": "myId", "source": "/orders", "type": "com.example.order.placed",
        "amount": "250", "count": 3, "flag": true, "big": 4_294_967_296_i64, "word": "TRUE"
    })
}

fn eval(src: &str) -> (Value, Vec<ErrorKind>) {
    let e = Expression::parse(src).unwrap().evaluate(&event());
    (e.value, e.errors.iter().map(|e| e.kind()).collect())
}

fn int(i: i32) -> (Value, Vec<ErrorKind>) {
    (Value::Integer(i), vec![])
}

fn boolean(b: bool) -> (Value, Vec<ErrorKind>) {
    (Value::Boolean(b), vec![])
}

#[test]
fn division_and_modulo_truncate_toward_zero() {
    assert_eq!(eval("-7 / 2"), int(-3));
    assert_eq!(eval("-7 % 2"), int(-1));
    assert_eq!(eval("7 % -2"), int(1));
    assert_eq!(eval("-2147483648 % -1"), int(0));
}

#[test]
fn division_by_zero_is_zero_with_a_math_error() {
    assert_eq!(eval("5 / 0"), (Value::Integer(0), vec![ErrorKind::Math]));
    assert_eq!(
        eval("5 % (1 - 1)"),
        (Value::Integer(0), vec![ErrorKind::Math])
    );
}

#[test]
fn integer_overflow_saturates_with_a_math_error() {
    let max = (Value::Integer(i32::MAX), vec![ErrorKind::Math]);
    let min = (Value::Integer(i32::MIN), vec![ErrorKind::Math]);
    assert_eq!(eval("2147483647 + 1"), max);
    assert_eq!(eval("-2147483648 - 1"), min);
    assert_eq!(eval("65536 * 65536"), max);
    assert_eq!(eval("65536 * -65536"), min);
    assert_eq!(eval("-2147483648 / -1"), max);
    assert_eq!(eval("-(-2147483648)"), max);
    assert_eq!(eval("2147483647 + 0"), int(i32::MAX));
}

#[test]
fn an_operand_error_makes_the_parent_return_its_zero_value() {
    assert_eq!(
        eval("missing / 0"),
        (Value::Integer(0), vec![ErrorKind::MissingAttribute])
    );
    assert_eq!(
        eval("NOT (1 / 0 = 0)"),
        (Value::Boolean(false), vec![ErrorKind::Math])
    );
    assert_eq!(
        eval("LENGTH(missing)"),
        (Value::Integer(0), vec![ErrorKind::MissingAttribute])
    );
    assert_eq!(
        eval("missing IN (1)"),
        (Value::Boolean(false), vec![ErrorKind::MissingAttribute])
    );
    assert_eq!(
        eval("1 IN (missing, 1)"),
        (Value::Boolean(false), vec![ErrorKind::MissingAttribute])
    );
    assert_eq!(
        eval("1 IN (1, missing)"),
        boolean(true),
        "IN stops at the first match"
    );
}

#[test]
fn a_failed_cast_yields_the_zero_value_and_the_operator_goes_on() {
    assert_eq!(
        eval("NOT 10"),
        (Value::Boolean(true), vec![ErrorKind::Cast])
    );
    assert_eq!(eval("'x' + 1"), (Value::Integer(1), vec![ErrorKind::Cast]));
    assert_eq!(
        eval("'x' = 0"),
        (Value::Boolean(true), vec![ErrorKind::Cast])
    );
    assert_eq!(
        eval("1 AND TRUE"),
        (Value::Boolean(false), vec![ErrorKind::Cast])
    );
}

#[test]
fn and_or_short_circuit_but_xor_does_not() {
    assert_eq!(eval("FALSE AND missing"), boolean(false));
    assert_eq!(eval("TRUE OR 1 / 0 = 0"), boolean(true));
    assert_eq!(
        eval("TRUE XOR missing"),
        (Value::Boolean(false), vec![ErrorKind::MissingAttribute])
    );
    assert_eq!(
        eval("missing OR TRUE"),
        (Value::Boolean(false), vec![ErrorKind::MissingAttribute])
    );
}

#[test]
fn equality_casts_the_left_operand_to_the_type_of_the_right() {
    assert_eq!(eval("amount = 250"), boolean(true));
    assert_eq!(eval("250 = amount"), boolean(true));
    assert_eq!(eval("count = '3'"), boolean(true));
    assert_eq!(eval("word = TRUE"), boolean(true));
    assert_eq!(eval("TRUE = word"), boolean(false));
    assert_eq!(eval("flag = 'true'"), boolean(true));
    assert_eq!(eval("'abc' = 'ABC'"), boolean(false));
    assert_eq!(eval("1 <> 1"), boolean(false));
}

#[test]
fn comparisons_cast_both_operands_to_integers() {
    assert_eq!(eval("amount > 100 AND '10' > '9'"), boolean(true));
    assert_eq!(eval("TRUE > FALSE"), boolean(true));
}

#[test]
fn in_casts_the_set_to_the_type_of_the_left_operand() {
    assert_eq!(eval("count IN ('1', '3')"), boolean(true));
    assert_eq!(eval("amount NOT IN (250, 'x')"), boolean(false));
    assert_eq!(
        eval("3 IN ('x', 3)"),
        (Value::Boolean(true), vec![ErrorKind::Cast])
    );
}

#[test]
fn like_reads_event_attributes_as_strings() {
    assert_eq!(eval("type LIKE 'com.example.%.placed'"), boolean(true));
    assert_eq!(eval("count LIKE '3'"), boolean(true));
    assert_eq!(eval("flag NOT LIKE 't%'"), boolean(false));
}

#[test]
fn attributes_keep_their_json_types_and_wide_integers_are_strings() {
    assert_eq!(eval("count"), int(3));
    assert_eq!(eval("flag"), boolean(true));
    assert_eq!(eval("big"), (Value::String("4294967296".into()), vec![]));
    assert_eq!(eval("big + 1"), (Value::Integer(1), vec![ErrorKind::Cast]));
    assert_eq!(eval("EXISTS big AND NOT EXISTS nothing"), boolean(true));
}

#[test]
fn missing_attributes_evaluate_to_false_with_an_error_naming_them() {
    let eval = Expression::parse("a = 1 OR subject")
        .unwrap()
        .evaluate(&event());
    assert_eq!(eval.value, Value::Boolean(false));
    assert_eq!(
        eval.errors.len(),
        1,
        "the OR stops at its failed left operand"
    );
    let error = &eval.errors[0];
    assert_eq!(error.kind(), ErrorKind::MissingAttribute);
    assert_eq!(error.span(), Span::new(0, 1));
    assert_eq!(error.message(), "the event has no attribute `a`");
}

#[test]
fn error_spans_point_at_the_offending_operand_or_operator() {
    let errors = |src: &str| Expression::parse(src).unwrap().evaluate(&event()).errors;
    let cast = &errors("1 + 'abc'")[0];
    assert_eq!(
        (cast.span(), cast.message()),
        (Span::new(4, 9), "cannot cast String 'abc' to Integer")
    );
    let math = &errors("count / (1 - 1)")[0];
    assert_eq!(
        (math.span(), math.message()),
        (Span::new(0, 15), "division by zero")
    );
    let func = &errors("LEFT('abc', -1)")[0];
    assert_eq!(func.message(), "LEFT: the length must not be negative");
}

#[test]
fn matches_requires_boolean_true_without_errors() {
    let matches = |src: &str| Expression::parse(src).unwrap().matches(&event());
    assert!(matches("source = '/orders' AND INT(amount) > 100"));
    assert!(!matches("source = '/other'"));
    assert!(!matches("count"), "an Integer is not a match");
    assert!(!matches("'true'"), "a String is not a match");
    assert!(!matches("NOT 10"), "true, but with a cast error");
    assert!(!matches("NOT missing = 'x'"));
    assert!(!matches("NOPE()"));
}

#[test]
fn expressions_evaluate_against_any_event_view() {
    struct Fixed;
    impl crate::EventView for Fixed {
        fn attribute(&self, name: &str) -> Option<crate::AttrValue<'_>> {
            (name == "tier").then(|| crate::AttrValue::str("gold"))
        }
    }
    let expr = Expression::parse("TIER = 'gold'").unwrap();
    assert!(expr.matches(&Fixed));
    let dynamic: &dyn crate::EventView = &Fixed;
    assert!(expr.matches(dynamic));
}

#[test]
fn the_deepest_expressions_evaluate_and_print_on_a_1_mib_stack() {
    let (nesting, height) = (crate::MAX_NESTING - 1, crate::MAX_HEIGHT);
    let sources = [
        vec!["count"; height].join(" + "),
        vec!["flag"; height].join(" AND "),
        format!("{}TRUE", "NOT ".repeat(nesting)),
        format!("{}1{}", "ABS(".repeat(nesting), ")".repeat(nesting)),
        format!("{}1{}", "-(".repeat(nesting / 2), ")".repeat(nesting / 2)),
    ];
    let handle = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            for src in sources {
                let expr = Expression::parse(&src).unwrap();
                let _ = expr.evaluate(&event());
                let again = Expression::parse(&expr.to_string()).unwrap();
                assert_eq!(expr, again);
                drop((expr, again));
            }
        })
        .unwrap();
    handle.join().unwrap();
}
