//! Reader-side `$ref`, `allOf`, `anyOf` and `oneOf`.
//!
//! A reader node is the conjunction of its plain keywords, its `$ref` target, each `allOf`
//! part, one of its `anyOf` branches and exactly one of its `oneOf` branches: the writer must
//! satisfy each conjunct. An `anyOf`/`oneOf` identical to the writer's at the same place is
//! satisfied as a whole. For `oneOf`, the branch the writer data matches must be provably
//! disjoint from the others (by type, by value, or by a required property whose schemas are
//! disjoint — a discriminator); otherwise the writer data might match two branches.

use serde_json::Value;

use crate::check::Checker;
use crate::finding::{Finding, FindingKind as K};
use crate::merge::{finite_values, flatten, split, split_types};
use crate::same::same_keyword;
use crate::schema::{COMBINATORS, Node};
use crate::types::TypeSet;

const MAX_DISJOINT_DEPTH: usize = 8;

/// Compares a reader node that has combinators with one writer branch (`whole` is the writer
/// node before splitting, for identity with the reader's `anyOf`/`oneOf`).
pub(crate) fn check_reader<'a>(
    ck: &mut Checker,
    reader: &Node<'a>,
    writer: &Node<'a>,
    whole: &Node<'a>,
    out: &mut Vec<Finding>,
) {
    let Some(map) = reader.map() else {
        return;
    };
    let base: serde_json::Map<String, Value> = map
        .iter()
        .filter(|(k, _)| !COMBINATORS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let base = reader.synthetic(Value::Object(base), reader.ptr.clone(), "~base");
    if !base.is_true() {
        ck.subsume(&base, writer, out);
    }
    match reader.resolve_ref() {
        Some(Ok(target)) => ck.subsume(&target, writer, out),
        Some(Err(why))
            if !same_keyword(reader, whole, "$ref") && !same_keyword(reader, writer, "$ref") =>
        {
            out.push(Finding::new(
                K::UnresolvedReference,
                reader.at(&["$ref"]),
                writer.ptr.clone(),
                format!("the reader's {why}; accepted only where the writer has the same `$ref`"),
            ));
        }
        None | Some(Err(_)) => {}
    }
    if let Some(parts) = reader.get("allOf") {
        match parts.as_array() {
            Some(parts) => {
                for i in 0..parts.len() {
                    if let Some(part) = reader.child(&["allOf", &i.to_string()]) {
                        ck.subsume(&part, writer, out);
                    }
                }
            }
            None => malformed(reader, "allOf", out),
        }
    }
    for keyword in ["anyOf", "oneOf"] {
        match reader.get(keyword).map(Value::as_array) {
            None => {}
            Some(None) => malformed(reader, keyword, out),
            Some(Some(_)) if same_keyword(reader, whole, keyword) => {}
            Some(Some(branches)) => sum(ck, reader, keyword, branches.len(), writer, whole, out),
        }
    }
}

fn malformed(reader: &Node<'_>, keyword: &str, out: &mut Vec<Finding>) {
    out.push(Finding::new(
        K::UnsupportedKeyword,
        reader.at(&[keyword]),
        String::new(),
        format!("the reader's `{keyword}` is not an array"),
    ));
}

fn sum<'a>(
    ck: &mut Checker,
    reader: &Node<'a>,
    keyword: &str,
    count: usize,
    writer: &Node<'a>,
    whole: &Node<'a>,
    out: &mut Vec<Finding>,
) {
    let branches: Vec<Node<'a>> = (0..count)
        .filter_map(|i| reader.child(&[keyword, &i.to_string()]))
        .collect();
    let writer_branches = ["anyOf", "oneOf"]
        .iter()
        .find_map(|k| whole.get(k).and_then(Value::as_array).map(Vec::len));
    let mut all_matched = true;
    for piece in split_types(writer) {
        let mut matched = Vec::new();
        let mut closest: Option<Finding> = None;
        for (i, branch) in branches.iter().enumerate() {
            match ck.first_break(branch, &piece) {
                None => matched.push(i),
                Some(why) => {
                    closest.get_or_insert(why);
                }
            }
            if keyword == "anyOf" && !matched.is_empty() {
                break;
            }
        }
        let Some(&chosen) = matched.first() else {
            all_matched = false;
            let why =
                closest.map_or_else(String::new, |f| format!(" (first branch: {})", f.message));
            out.push(Finding::new(
                K::SumTypeNarrowed,
                reader.at(&[keyword]),
                piece.ptr.clone(),
                format!("no `{keyword}` branch of the reader accepts all the writer's data{why}"),
            ));
            continue;
        };
        if keyword != "oneOf" {
            continue;
        }
        for (j, branch) in branches.iter().enumerate() {
            if j != chosen && (matched.contains(&j) || !disjoint(ck, &piece, branch, 0)) {
                all_matched = false;
                out.push(Finding::new(
                    K::SumTypeOverlap,
                    reader.at(&[keyword, &j.to_string()]),
                    piece.ptr.clone(),
                    format!(
                        "writer data accepted by `oneOf` branch {chosen} may also match branch {j}, \
                         which `oneOf` refuses"
                    ),
                ));
            }
        }
    }
    if all_matched && writer_branches.is_some_and(|n| count > n) {
        out.push(Finding::new(
            K::SumTypeExtended,
            reader.at(&[keyword]),
            whole.ptr.clone(),
            format!("the reader's `{keyword}` has {count} branches, the writer's data fits fewer"),
        ));
    }
}

/// Whether no instance is valid under both `a` and `b` (sound: `false` means "not proven").
/// Both sides are widened (flattened, split) first, which keeps a "disjoint" answer true.
pub(crate) fn disjoint<'a>(ck: &mut Checker, a: &Node<'a>, b: &Node<'a>, depth: usize) -> bool {
    if depth > MAX_DISJOINT_DEPTH || !ck.spend() {
        return false;
    }
    let (a, b) = (flatten(a), flatten(b));
    let (left, right) = (split(&a), split(&b));
    left.iter()
        .all(|x| right.iter().all(|y| disjoint_plain(ck, x, y, depth)))
}

fn disjoint_plain<'a>(ck: &mut Checker, a: &Node<'a>, b: &Node<'a>, depth: usize) -> bool {
    if !ck.spend() {
        return false;
    }
    if a.is_false() || b.is_false() {
        return true;
    }
    let ta = a.types().unwrap_or(TypeSet::ALL);
    let tb = b.types().unwrap_or(TypeSet::ALL);
    if !ta.overlaps(tb) {
        return true;
    }
    for (x, y) in [(a, b), (b, a)] {
        if let Some(values) = finite_values(x) {
            if values.iter().all(|v| ck.validate(y, v).is_invalid()) {
                return true;
            }
        }
    }
    if ta.meet(tb) != TypeSet::OBJECT {
        return false;
    }
    let required = |n: &Node<'_>| n.strings("required").unwrap_or_default();
    let (req_a, req_b) = (required(a), required(b));
    req_a.iter().chain(&req_b).any(|name| {
        let (pa, pb) = (
            a.child(&["properties", name]),
            b.child(&["properties", name]),
        );
        (req_a.contains(name) && forbids(ck, b, pb.as_ref()))
            || (req_b.contains(name) && forbids(ck, a, pa.as_ref()))
            || match (&pa, &pb) {
                (Some(x), Some(y)) => disjoint(ck, x, y, depth + 1),
                _ => false,
            }
    })
}

/// Whether `node` refuses objects having the property whose schema there is `schema`
/// (`None`: not named).
fn forbids(ck: &Checker, node: &Node<'_>, schema: Option<&Node<'_>>) -> bool {
    match schema {
        Some(schema) => schema.is_false(),
        None => ck.closed(node) && node.get("patternProperties").is_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CheckOptions;
    use crate::schema::Side;
    use serde_json::json;

    fn disjoint_docs(a: &Value, b: &Value, open: bool) -> bool {
        let mut ck = Checker::new(&CheckOptions {
            open_reader_views: open,
        });
        disjoint(
            &mut ck,
            &Node::root(a, Side::Writer),
            &Node::root(b, Side::Reader),
            0,
        )
    }

    #[test]
    fn different_types_and_values_are_disjoint() {
        assert!(disjoint_docs(
            &json!({"type": "string"}),
            &json!({"type": "null"}),
            true
        ));
        assert!(disjoint_docs(
            &json!({"const": "a"}),
            &json!({"enum": ["b", "c"]}),
            true
        ));
        assert!(!disjoint_docs(
            &json!({"type": "integer"}),
            &json!({"type": "number"}),
            true
        ));
    }

    #[test]
    fn a_required_discriminator_makes_objects_disjoint() {
        let card = json!({"type": "object", "properties": {"kind": {"const": "card"}}, "required": ["kind"]});
        let bank = json!({"type": "object", "properties": {"kind": {"const": "bank"}}, "required": ["kind"]});
        assert!(disjoint_docs(&card, &bank, true));
    }

    #[test]
    fn a_closed_reader_branch_excludes_the_writer_tag_unless_relaxed() {
        let writer = json!({"type": "object", "properties": {"A": {}}, "required": ["A"]});
        let reader =
            json!({"type": "object", "properties": {"B": {}}, "additionalProperties": false});
        assert!(disjoint_docs(&writer, &reader, false));
        assert!(!disjoint_docs(&writer, &reader, true));
    }
}
