//! Arrays: `items`, `prefixItems` (tuples as open or closed content models), `minItems`,
//! `maxItems`, `uniqueItems`.

use serde_json::Value;

use crate::bounds::{self, Bound};
use crate::check::Checker;
use crate::finding::{Finding, FindingKind as K};
use crate::schema::{Node, Side};

/// The positions and tail of one side's array model.
struct Array<'a> {
    node: Node<'a>,
    prefix: Vec<Node<'a>>,
    /// `items`: `None` when absent (anything goes past the tuple).
    tail: Option<Node<'a>>,
}

impl<'a> Array<'a> {
    fn of(node: &Node<'a>, out: &mut Vec<Finding>) -> Self {
        let prefix = match node.get("prefixItems") {
            None => Vec::new(),
            Some(Value::Array(items)) => (0..items.len())
                .filter_map(|i| node.child(&["prefixItems", &i.to_string()]))
                .collect(),
            Some(_) => {
                malformed(node, "prefixItems", out);
                Vec::new()
            }
        };
        let tail = node.child(&["items"]).filter(|items| !items.is_true());
        if let Some(items) = &tail {
            if items.is_malformed() {
                // e.g. the draft-07 tuple form `items: [..]`.
                malformed(node, "items", out);
            }
        }
        Array {
            node: node.clone(),
            prefix,
            tail,
        }
    }

    /// The schema for position `i` (`None`: anything).
    fn at(&self, i: usize) -> Option<&Node<'a>> {
        self.prefix.get(i).or(self.tail.as_ref())
    }

    fn tail_closed(&self) -> bool {
        self.tail.as_ref().is_some_and(Node::is_false)
    }
}

fn malformed(node: &Node<'_>, keyword: &str, out: &mut Vec<Finding>) {
    if node.side == Side::Reader {
        out.push(Finding::new(
            K::UnsupportedKeyword,
            node.at(&[keyword]),
            String::new(),
            format!("the reader's `{keyword}` is malformed (draft 2020-12 expected)"),
        ));
    }
}

/// Compares the array keywords of a reader node with a writer branch.
pub(crate) fn check<'a>(
    ck: &mut Checker,
    reader: &Node<'a>,
    writer: &Node<'a>,
    out: &mut Vec<Finding>,
) {
    let r = Array::of(reader, out);
    let w = Array::of(writer, out);
    let own_max = bounds::writer_count(writer, "maxItems");
    let tuple_max = w.tail_closed().then_some(w.prefix.len() as u64);
    let max = match (own_max, tuple_max) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let positions = r.prefix.len().max(w.prefix.len());
    for i in 0..positions {
        if max.is_some_and(|m| i as u64 >= m) {
            if i >= w.prefix.len() && i < r.prefix.len() {
                out.push(Finding::new(
                    K::ItemAddedToClosedContentModel,
                    r.node.at(&["prefixItems", &i.to_string()]),
                    w.node.at(&["items"]),
                    format!("the reader added tuple position {i}, which the writer never produces"),
                ));
            }
            continue;
        }
        position(ck, &r, &w, i, out);
    }
    if max.is_none_or(|m| m > positions as u64) {
        tail(ck, &r, &w, out);
    }
    bounds::compare(
        reader,
        writer,
        "maxItems",
        Bound::Upper,
        max,
        bounds::MAX_ITEMS,
        out,
    );
    let min = bounds::writer_count(writer, "minItems");
    bounds::compare(
        reader,
        writer,
        "minItems",
        Bound::Lower,
        min,
        bounds::MIN_ITEMS,
        out,
    );
    unique(reader, writer, max, out);
}

fn position<'a>(ck: &mut Checker, r: &Array<'a>, w: &Array<'a>, i: usize, out: &mut Vec<Finding>) {
    let index = i.to_string();
    let r_ptr = r.node.at(&["prefixItems", &index]);
    let w_ptr = w.node.at(&["prefixItems", &index]);
    let writer_schema = w.at(i).cloned();
    if writer_schema.as_ref().is_some_and(Node::is_false) {
        if i >= r.prefix.len() && r.tail_closed() {
            out.push(Finding::new(
                K::ItemWithFalseRemovedFromClosedContentModel,
                r_ptr,
                w_ptr,
                format!("the reader dropped tuple position {i}, which the writer forbade"),
            ));
        }
        return;
    }
    let writer_schema = writer_schema.unwrap_or_else(|| w.node.accept_all(w_ptr.clone()));
    let finding =
        |kind: K, message: String| Finding::new(kind, r_ptr.clone(), w_ptr.clone(), message);
    match (i < w.prefix.len(), i < r.prefix.len()) {
        (true, true) => {
            if let Some(rs) = r.at(i) {
                ck.member(rs, &writer_schema, out);
            }
        }
        (true, false) => match r.at(i) {
            None => out.push(finding(
                K::ItemRemovedFromOpenContentModel,
                format!("the reader dropped tuple position {i} and accepts any item there"),
            )),
            Some(rs) if rs.is_false() => out.push(finding(
                K::ItemRemovedFromClosedContentModel,
                format!("the reader dropped tuple position {i} and refuses items past its tuple"),
            )),
            Some(rs) => match ck.member_break(rs, &writer_schema) {
                None => out.push(finding(
                    K::ItemRemovedIsCoveredByPartiallyOpenContentModel,
                    format!("the reader dropped tuple position {i}; its `items` accepts the writer's"),
                )),
                Some(why) => out.push(finding(
                    K::ItemRemovedNotCoveredByPartiallyOpenContentModel,
                    format!("the reader dropped tuple position {i}; its `items` refuses the writer's: {}", why.message),
                )),
            },
        },
        (false, true) => {
            let Some(rs) = r.at(i) else { return };
            let verdict = ck.member_break(rs, &writer_schema);
            let (kind, message) = match (&w.tail, verdict) {
                (None, None) => (
                    K::ItemWithEmptySchemaAddedToOpenContentModel,
                    format!("the reader added tuple position {i} accepting anything"),
                ),
                (None, Some(why)) => (
                    K::ItemAddedToOpenContentModel,
                    format!("the reader added tuple position {i}; the writer may put any item there ({})", why.message),
                ),
                (Some(_), None) => (
                    K::ItemAddedIsCoveredByPartiallyOpenContentModel,
                    format!("the reader added tuple position {i}, accepting the writer's `items`"),
                ),
                (Some(_), Some(why)) => (
                    K::ItemAddedNotCoveredByPartiallyOpenContentModel,
                    format!("the reader added tuple position {i}, narrower than the writer's `items`: {}", why.message),
                ),
            };
            out.push(finding(kind, message));
        }
        (false, false) => {}
    }
}

/// Items past both tuples.
fn tail<'a>(ck: &mut Checker, r: &Array<'a>, w: &Array<'a>, out: &mut Vec<Finding>) {
    let r_ptr = r.node.at(&["items"]);
    let w_ptr = w.node.at(&["items"]);
    let tuple = !r.prefix.is_empty() || !w.prefix.is_empty();
    if w.tail_closed() {
        if tuple && !r.tail_closed() {
            out.push(Finding::new(
                K::AdditionalItemsAdded,
                r_ptr,
                w_ptr,
                "the reader accepts items past the tuple; the writer produces none",
            ));
        }
        return;
    }
    match (&r.tail, &w.tail) {
        (None, Some(_)) if tuple => out.push(Finding::new(
            K::AdditionalItemsExtended,
            r_ptr,
            w_ptr,
            "the reader accepts any item past the tuple",
        )),
        (None, _) => {}
        (Some(rs), _) if rs.is_false() => out.push(Finding::new(
            K::AdditionalItemsRemoved,
            r_ptr,
            w_ptr,
            "the reader refuses items past its tuple, which the writer may produce",
        )),
        (Some(rs), Some(ws)) => ck.member(rs, ws, out),
        (Some(rs), None) => {
            let anything = w.node.accept_all(w_ptr.clone());
            if tuple {
                if let Some(why) = ck.member_break(rs, &anything) {
                    out.push(Finding::new(
                        K::AdditionalItemsNarrowed,
                        r_ptr,
                        w_ptr,
                        format!("the writer may put any item past the tuple; the reader's `items` refuses some: {}", why.message),
                    ));
                }
            } else {
                ck.member(rs, &anything, out);
            }
        }
    }
}

fn unique(reader: &Node<'_>, writer: &Node<'_>, max: Option<u64>, out: &mut Vec<Finding>) {
    let on = |node: &Node<'_>| node.get("uniqueItems") == Some(&Value::Bool(true));
    let (r_ptr, w_ptr) = (reader.at(&["uniqueItems"]), writer.at(&["uniqueItems"]));
    match (on(reader), on(writer)) {
        (true, false) => out.push(
            Finding::new(
                K::UniqueItemsAdded,
                r_ptr,
                w_ptr,
                "the reader requires unique items; the writer may repeat them",
            )
            .with_breaking(max.is_none_or(|m| m > 1)),
        ),
        (false, true) => out.push(Finding::new(
            K::UniqueItemsRemoved,
            r_ptr,
            w_ptr,
            "the reader no longer requires unique items",
        )),
        _ => {}
    }
}
