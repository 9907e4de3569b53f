//! Printing an expression gives canonical CESQL that parses back to the same tree.

use cesql::Expression;
use proptest::prelude::*;

use crate::strategies::{event, expr};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn printed_syntax_trees_parse_back_to_the_same_tree(ast in expr()) {
        let printed = ast.to_string();
        let parsed = Expression::parse(&printed)
            .map_err(|e| TestCaseError::fail(format!("`{printed}` does not parse: {e}")))?;
        prop_assert_eq!(parsed.ast(), &ast, "printed as `{}`", printed);
        prop_assert_eq!(parsed.to_string(), printed, "printing is not stable");
    }

    #[test]
    fn an_expression_and_its_reprint_evaluate_alike(ast in expr(), event in event()) {
        let printed = ast.to_string();
        let a = Expression::parse(&printed).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let b = Expression::parse(&a.to_string()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let (x, y) = (a.evaluate(&event), b.evaluate(&event));
        prop_assert_eq!(&x.value, &y.value);
        let kinds = |e: &cesql::Evaluation| e.errors.iter().map(|e| e.kind()).collect::<Vec<_>>();
        prop_assert_eq!(kinds(&x), kinds(&y));
        prop_assert_eq!(a.matches(&event), x.is_ok() && x.value == cesql::Value::Boolean(true));
    }
}
