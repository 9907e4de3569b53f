use super::*;

/// The tree with every node parenthesised, to check grouping.
fn grouped(src: &str) -> String {
    fn go(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Literal(l) => l.to_string(),
            ExprKind::Attribute(a) => a.clone(),
            ExprKind::Exists(a) => format!("(EXISTS {a})"),
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => format!("(NOT {})", go(operand)),
            ExprKind::Unary {
                op: UnaryOp::Negate,
                operand,
            } => format!("(- {})", go(operand)),
            ExprKind::Binary { op, left, right } => {
                format!("({} {} {})", go(left), op.symbol(), go(right))
            }
            ExprKind::Like {
                operand,
                pattern,
                negated,
            } => {
                format!(
                    "({} {}LIKE '{pattern}')",
                    go(operand),
                    if *negated { "NOT " } else { "" }
                )
            }
            ExprKind::In {
                operand,
                set,
                negated,
            } => {
                let set: Vec<_> = set.iter().map(go).collect();
                format!(
                    "({} {}IN [{}])",
                    go(operand),
                    if *negated { "NOT " } else { "" },
                    set.join(", ")
                )
            }
            ExprKind::Call { name, args } => {
                let args: Vec<_> = args.iter().map(go).collect();
                format!("{name}({})", args.join(", "))
            }
        }
    }
    go(&parse(src).unwrap())
}

fn error(src: &str) -> ParseError {
    parse(src).unwrap_err()
}

#[test]
fn arithmetic_binds_tighter_than_comparison_which_binds_tighter_than_logic() {
    assert_eq!(grouped("4 * 2 + 4 / 2"), "((4 * 2) + (4 / 2))");
    assert_eq!(grouped("a + 1 = b AND c"), "(((a + 1) = b) AND c)");
    assert_eq!(grouped("1 - 2 - 3"), "((1 - 2) - 3)");
}

#[test]
fn and_or_xor_share_one_level_and_group_left_to_right() {
    assert_eq!(grouped("a OR b AND c"), "((a OR b) AND c)");
    assert_eq!(grouped("a AND b XOR c OR d"), "(((a AND b) XOR c) OR d)");
}

#[test]
fn prefix_operators_bind_tighter_than_like_and_in() {
    assert_eq!(grouped("NOT a LIKE 'x'"), "((NOT a) LIKE 'x')");
    assert_eq!(grouped("NOT EXISTS time"), "(NOT (EXISTS time))");
    assert_eq!(grouped("-a IN (1)"), "((- a) IN [1])");
    assert_eq!(grouped("NOT a = b"), "((NOT a) = b)");
}

#[test]
fn like_binds_tighter_than_in_which_binds_tighter_than_binary_operators() {
    assert_eq!(grouped("a + b LIKE 'x'"), "(a + (b LIKE 'x'))");
    assert_eq!(grouped("a LIKE 'x' IN (TRUE)"), "((a LIKE 'x') IN [TRUE])");
    assert_eq!(grouped("a = b IN (1, 2)"), "(a = (b IN [1, 2]))");
    assert_eq!(
        grouped("a NOT IN (1) NOT LIKE 'x'"),
        "((a NOT IN [1]) NOT LIKE 'x')"
    );
}

#[test]
fn a_sign_directly_before_digits_belongs_to_the_literal() {
    assert_eq!(grouped("-2147483648"), "-2147483648");
    assert_eq!(grouped("+5"), "5");
    assert_eq!(grouped("--10"), "(- -10)");
    assert_eq!(grouped("4-1"), "(4 - 1)");
    assert_eq!(grouped("4 - -1"), "(4 - -1)");
    assert_eq!(grouped("-(5)"), "(- 5)");
}

#[test]
fn keywords_functions_and_attributes_are_case_insensitive() {
    assert_eq!(
        grouped("int(hop) < int(TTL) and Not exists SOURCE"),
        grouped("INT(hop) < INT(ttl) AND NOT EXISTS source")
    );
    assert_eq!(grouped("tRuE"), "TRUE");
    assert_eq!(grouped("concat_ws(',')"), "CONCAT_WS(',')");
}

#[test]
fn integer_literals_must_fit_in_32_bits() {
    let e = error("2147483648");
    assert_eq!(e.position(), 0);
    assert!(e.message().contains("32-bit"), "{e}");
    assert!(parse("2147483647").is_ok());
    assert!(parse("-2147483649").is_err());
}

#[test]
fn errors_give_position_line_column_and_what_was_expected() {
    let e = error("ABC(");
    assert_eq!((e.position(), e.line(), e.column()), (4, 1, 5));
    assert_eq!(e.message(), "expected an expression, found end of input");

    let e = error("x LIKE 123");
    assert_eq!(e.position(), 7);
    assert_eq!(
        e.message(),
        "expected a string literal pattern after LIKE, found integer 123"
    );

    let e = error("a = 1\n  AND (b = 2\n  OR c");
    assert_eq!((e.line(), e.column()), (3, 7));
    assert_eq!(
        e.message(),
        "expected an operator or ')' to close the '(' at line 2, column 7, found end of input"
    );

    let e = error("a b");
    assert_eq!(e.position(), 2);
    assert_eq!(
        e.message(),
        "expected an operator or end of input, found identifier `b`"
    );

    let e = error("a NOT b");
    assert_eq!(e.position(), 6);
    assert_eq!(
        e.message(),
        "expected LIKE or IN after NOT, found identifier `b`"
    );

    assert_eq!(
        error("AND").message(),
        "expected an expression, found keyword AND"
    );
    assert_eq!(
        error("a IN ()").message(),
        "expected at least one value in the IN set, found ')'"
    );
    assert_eq!(
        error("a IN 1").message(),
        "expected '(' after IN, found integer 1"
    );
    assert_eq!(
        error("EXISTS 1").message(),
        "expected an attribute name after EXISTS, found integer 1"
    );
    assert_eq!(error("f(1 2)").position(), 4);
    assert_eq!(
        error("+a").message(),
        "expected digits after '+' (there is no unary plus), found identifier `a`"
    );
    assert_eq!(
        error("").message(),
        "expected an expression, found end of input"
    );
}

#[test]
fn names_are_checked_against_the_spec_grammar() {
    assert!(
        error("my_ext = 1")
            .message()
            .starts_with("invalid attribute name `my_ext`")
    );
    assert!(
        error("abc1(2)")
            .message()
            .starts_with("invalid function name `abc1`")
    );
    assert_eq!(grouped("1abc"), "1abc");
    assert_eq!(grouped("IS_INT(x)"), "IS_INT(x)");
}

#[test]
fn nesting_and_height_are_bounded() {
    let parens = |n: usize| format!("{}1{}", "(".repeat(n), ")".repeat(n));
    assert!(parse(&parens(MAX_NESTING - 1)).is_ok());
    let e = error(&parens(MAX_NESTING + 1));
    assert_eq!(
        e.message(),
        format!("expression nests more than {MAX_NESTING} levels deep")
    );
    assert_eq!(e.position(), MAX_NESTING);
    assert!(parse(&format!("{}TRUE", "NOT ".repeat(MAX_NESTING + 1))).is_err());

    let chain = |n: usize| vec!["a"; n].join(" OR ");
    assert!(parse(&chain(MAX_HEIGHT)).is_ok());
    let e = error(&chain(MAX_HEIGHT + 2));
    assert_eq!(
        e.message(),
        format!("expression is more than {MAX_HEIGHT} operators deep")
    );
}
