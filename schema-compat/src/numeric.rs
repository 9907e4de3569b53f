//! Numbers: `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `multipleOf`.

use serde_json::{Number, Value};

use crate::check::Checker;
use crate::decimal::is_multiple;
use crate::finding::{Finding, FindingKind as K};
use crate::schema::Node;
use crate::types::TypeSet;

/// A bound the writer's numbers always satisfy.
#[derive(Debug, Clone, Copy)]
struct Limit {
    value: f64,
    exclusive: bool,
}

/// One bound keyword and its kinds: added, removed, narrowed, relaxed.
struct Keyword {
    name: &'static str,
    exclusive: bool,
    kinds: [K; 4],
}

const LOWER: [Keyword; 2] = [
    Keyword {
        name: "minimum",
        exclusive: false,
        kinds: [
            K::MinimumAdded,
            K::MinimumRemoved,
            K::MinimumIncreased,
            K::MinimumDecreased,
        ],
    },
    Keyword {
        name: "exclusiveMinimum",
        exclusive: true,
        kinds: [
            K::ExclusiveMinimumAdded,
            K::ExclusiveMinimumRemoved,
            K::ExclusiveMinimumIncreased,
            K::ExclusiveMinimumDecreased,
        ],
    },
];

const UPPER: [Keyword; 2] = [
    Keyword {
        name: "maximum",
        exclusive: false,
        kinds: [
            K::MaximumAdded,
            K::MaximumRemoved,
            K::MaximumDecreased,
            K::MaximumIncreased,
        ],
    },
    Keyword {
        name: "exclusiveMaximum",
        exclusive: true,
        kinds: [
            K::ExclusiveMaximumAdded,
            K::ExclusiveMaximumRemoved,
            K::ExclusiveMaximumDecreased,
            K::ExclusiveMaximumIncreased,
        ],
    },
];

/// The tightest bound among the writer's keywords; for integer-only writers rounded to an
/// inclusive integer bound (`exclusiveMinimum: 0` is `minimum: 1`).
fn writer_limit(
    writer: &Node<'_>,
    keywords: &[Keyword; 2],
    lower: bool,
    integers: bool,
) -> Option<Limit> {
    let tighter = |a: Limit, b: Limit| {
        let better = if lower {
            b.value > a.value
        } else {
            b.value < a.value
        };
        if better || (b.value == a.value && b.exclusive) {
            b
        } else {
            a
        }
    };
    let limit = keywords
        .iter()
        .filter_map(|k| {
            let value = writer.get(k.name)?.as_f64()?;
            Some(Limit {
                value,
                exclusive: k.exclusive,
            })
        })
        .reduce(tighter)?;
    if !integers {
        return Some(limit);
    }
    let value = match (lower, limit.exclusive) {
        (true, true) => limit.value.floor() + 1.0,
        (true, false) => limit.value.ceil(),
        (false, true) => limit.value.ceil() - 1.0,
        (false, false) => limit.value.floor(),
    };
    Some(Limit {
        value,
        exclusive: false,
    })
}

fn implies(writer: Limit, reader: f64, reader_exclusive: bool, lower: bool) -> bool {
    let beyond = if lower {
        writer.value > reader
    } else {
        writer.value < reader
    };
    beyond || (writer.value == reader && (writer.exclusive || !reader_exclusive))
}

/// Compares the numeric keywords of a reader node with a writer branch.
pub(crate) fn check(
    _ck: &mut Checker,
    reader: &Node<'_>,
    writer: &Node<'_>,
    writer_types: TypeSet,
    out: &mut Vec<Finding>,
) {
    let integers = writer_types.integers_only();
    for (keywords, lower) in [(&LOWER, true), (&UPPER, false)] {
        bound(reader, writer, keywords, lower, integers, out);
    }
    multiple_of(reader, writer, integers, out);
}

fn bound(
    reader: &Node<'_>,
    writer: &Node<'_>,
    keywords: &[Keyword; 2],
    lower: bool,
    integers: bool,
    out: &mut Vec<Finding>,
) {
    let limit = writer_limit(writer, keywords, lower, integers);
    let mut reader_bounded = false;
    for keyword in keywords {
        let [added, _, narrowed, relaxed] = keyword.kinds;
        let (r_ptr, w_ptr) = (reader.at(&[keyword.name]), writer.at(&[keyword.name]));
        let Some(value) = reader.get(keyword.name) else {
            continue;
        };
        reader_bounded = true;
        let Some(value) = value.as_f64() else {
            out.push(Finding::new(
                K::UnsupportedKeyword,
                r_ptr,
                w_ptr,
                format!("the reader's `{}` is not a number", keyword.name),
            ));
            continue;
        };
        let Some(limit) = limit else {
            out.push(Finding::new(
                added,
                r_ptr,
                w_ptr,
                format!(
                    "the reader added `{}: {value}`; the writer's numbers are not bounded there",
                    keyword.name
                ),
            ));
            continue;
        };
        let own = writer.get(keyword.name).and_then(Value::as_f64);
        if implies(limit, value, keyword.exclusive, lower) {
            if let Some(own) = own.filter(|own| *own != value) {
                out.push(Finding::new(
                    relaxed,
                    r_ptr,
                    w_ptr,
                    format!(
                        "`{}` goes from {own} (writer) to {value} (reader), which is looser",
                        keyword.name
                    ),
                ));
            }
        } else {
            let from = own.map_or_else(
                || format!("the writer's bound {}", limit.value),
                |own| own.to_string(),
            );
            out.push(Finding::new(
                narrowed,
                r_ptr,
                w_ptr,
                format!(
                    "`{}` goes from {from} to {value} (reader), refusing some writer numbers",
                    keyword.name
                ),
            ));
        }
    }
    if !reader_bounded {
        for keyword in keywords {
            if let Some(own) = writer.get(keyword.name).and_then(Value::as_f64) {
                out.push(Finding::new(
                    keyword.kinds[1],
                    reader.at(&[keyword.name]),
                    writer.at(&[keyword.name]),
                    format!(
                        "the reader dropped `{}` (the writer has {own})",
                        keyword.name
                    ),
                ));
            }
        }
    }
}

fn positive(value: Option<&Value>) -> Option<&Number> {
    value
        .and_then(Value::as_number)
        .filter(|n| n.as_f64().is_some_and(|f| f > 0.0))
}

fn multiple_of(reader: &Node<'_>, writer: &Node<'_>, integers: bool, out: &mut Vec<Finding>) {
    let (r_ptr, w_ptr) = (reader.at(&["multipleOf"]), writer.at(&["multipleOf"]));
    let own = positive(writer.get("multipleOf"));
    let Some(value) = reader.get("multipleOf") else {
        if let Some(own) = own {
            out.push(Finding::new(
                K::MultipleOfRemoved,
                r_ptr,
                w_ptr,
                format!("the reader dropped `multipleOf` (the writer has {own})"),
            ));
        }
        return;
    };
    let Some(divisor) = positive(Some(value)) else {
        out.push(Finding::new(
            K::UnsupportedKeyword,
            r_ptr,
            w_ptr,
            "the reader's `multipleOf` is not a positive number",
        ));
        return;
    };
    let one = Number::from(1);
    let (step, implicit) = match own {
        Some(own) => (own, false),
        None if integers => (&one, true),
        None => {
            out.push(Finding::new(
                K::MultipleOfAdded,
                r_ptr,
                w_ptr,
                format!("the reader added `multipleOf: {divisor}`"),
            ));
            return;
        }
    };
    let finding =
        |kind: K, message: String| Finding::new(kind, r_ptr.clone(), w_ptr.clone(), message);
    match is_multiple(step, divisor) {
        Some(true) if implicit => out.push(
            finding(
                K::MultipleOfAdded,
                format!("the reader added `multipleOf: {divisor}`, which every integer satisfies"),
            )
            .with_breaking(false),
        ),
        Some(true) if step.as_f64() != divisor.as_f64() => out.push(finding(
            K::MultipleOfReduced,
            format!(
                "`multipleOf` goes from {step} (writer) to {divisor} (reader), which divides it"
            ),
        )),
        Some(true) => {}
        Some(false) if implicit => out.push(finding(
            K::MultipleOfAdded,
            format!("the reader added `multipleOf: {divisor}`, which not every integer satisfies"),
        )),
        Some(false) if is_multiple(divisor, step) == Some(true) => out.push(finding(
            K::MultipleOfExpanded,
            format!(
                "`multipleOf` goes from {step} (writer) to {divisor} (reader), a multiple of it"
            ),
        )),
        Some(false) => out.push(finding(
            K::MultipleOfChanged,
            format!("`multipleOf` goes from {step} (writer) to {divisor} (reader)"),
        )),
        None => out.push(finding(
            K::MultipleOfChanged,
            format!(
                "`multipleOf` {step} (writer) and {divisor} (reader) cannot be compared exactly"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Side;
    use serde_json::json;

    #[test]
    fn integer_writers_round_their_bounds_inward() {
        let doc = json!({"exclusiveMinimum": 0.5, "maximum": 9.5});
        let node = Node::root(&doc, Side::Writer);
        let lower = writer_limit(&node, &LOWER, true, true).map(|l| (l.value, l.exclusive));
        assert_eq!(lower, Some((1.0, false)));
        let upper = writer_limit(&node, &UPPER, false, true).map(|l| (l.value, l.exclusive));
        assert_eq!(upper, Some((9.0, false)));
    }

    #[test]
    fn the_tighter_of_minimum_and_exclusive_minimum_wins() {
        let doc = json!({"minimum": 3, "exclusiveMinimum": 3});
        let node = Node::root(&doc, Side::Writer);
        let limit = writer_limit(&node, &LOWER, true, false).map(|l| (l.value, l.exclusive));
        assert_eq!(limit, Some((3.0, true)));
        let exclusive_three = Limit {
            value: 3.0,
            exclusive: true,
        };
        assert!(implies(exclusive_three, 3.0, true, true));
        assert!(!implies(
            Limit {
                value: 3.0,
                exclusive: false
            },
            3.0,
            true,
            true
        ));
    }
}
