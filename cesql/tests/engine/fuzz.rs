//! Nothing panics: arbitrary text and token soup go through the parser, and whatever parses
//! is evaluated, printed and re-parsed; a parse error always points inside the input.

use cesql::Expression;
use proptest::prelude::*;

use crate::strategies::{event, expr, token_soup};

fn exercise(src: &str, event: &serde_json::Value) -> Result<(), TestCaseError> {
    match Expression::parse(src) {
        Ok(expr) => {
            let evaluation = expr.evaluate(event);
            let _ = expr.matches(event);
            for error in &evaluation.errors {
                let span = error.span();
                prop_assert!(
                    span.start <= span.end && span.end <= src.len(),
                    "{error} in `{src}`"
                );
            }
            let printed = expr.to_string();
            let again = Expression::parse(&printed)
                .map_err(|e| TestCaseError::fail(format!("`{src}` printed as `{printed}`: {e}")))?;
            prop_assert_eq!(&again, &expr, "`{}` printed as `{}`", src, printed);
        }
        Err(e) => {
            prop_assert!(e.position() <= src.len(), "{e} for `{src}`");
            prop_assert!(src.is_char_boundary(e.position()));
            prop_assert!(e.line() >= 1 && e.column() >= 1);
            prop_assert!(!e.message().is_empty());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn arbitrary_strings_never_panic(src in any::<String>(), event in event()) {
        exercise(&src, &event)?;
    }

    #[test]
    fn token_soup_never_panics(src in token_soup(), event in event()) {
        exercise(&src, &event)?;
    }

    #[test]
    fn valid_expressions_evaluate_against_any_event_without_panicking(ast in expr(), event in event()) {
        exercise(&ast.to_string(), &event)?;
    }
}

#[test]
fn hostile_inputs_are_rejected_or_bounded() {
    let event = serde_json::json!({"specversion": "1.0", "id": "1", "source": "/s", "type": "t"});
    let inputs = [
        "(".repeat(100_000),
        "NOT ".repeat(100_000),
        "-".repeat(100_000) + "1",
        vec!["1"; 100_000].join("+"),
        format!("'{}", "\\".repeat(10_001)),
        format!("{}1", "ABS(".repeat(10_000)),
        format!("x IN ({})", vec!["1"; 50_000].join(",")),
        format!("'{}' LIKE '{}b'", "a".repeat(20_000), "%a".repeat(200)),
        "9".repeat(1000),
    ];
    for src in inputs {
        exercise(&src, &event).unwrap();
    }
}
