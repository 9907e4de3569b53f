//! The core: "is every instance of the writer node an instance of the reader node?", dispatching
//! to one module per keyword family, with recursion guards and limits.

use std::collections::{HashMap, HashSet};

use regex::Regex;
use serde_json::Value;

use crate::finding::{Finding, FindingKind};
use crate::merge::{finite_values, flatten, split};
use crate::same::{same, same_keyword};
use crate::schema::{Node, Side, UNSUPPORTED};
use crate::types::TypeSet;
use crate::{CheckOptions, array, combinators, enums, numeric, object, string};

/// How deep comparisons may nest (subschema in subschema, `$ref` followed) before failing closed.
const MAX_DEPTH: usize = 128;
/// How many node pairs one comparison may visit before failing closed.
const MAX_STEPS: usize = 50_000;
/// How much value validation and disjointness proving one comparison may do before giving up
/// (each gives up on the side of "incompatible").
const MAX_WORK: usize = 500_000;
/// Keywords that are judged together when a reader carries one of them.
const GROUPS: &[&[&str]] = &[
    &["if", "then", "else"],
    &["contains", "minContains", "maxContains"],
];

/// One comparison of a reader document with a writer document.
pub(crate) struct Checker {
    options: CheckOptions,
    /// Node pairs being compared, with the instance depth at which each comparison started.
    stack: HashMap<String, usize>,
    /// How many properties or items deep into the instance the current comparison is.
    instance_depth: usize,
    depth: usize,
    steps: usize,
    work: usize,
    exhausted: bool,
    regexes: HashMap<String, Option<Regex>>,
}

impl Checker {
    pub fn new(options: &CheckOptions) -> Self {
        Checker {
            options: *options,
            stack: HashMap::new(),
            instance_depth: 0,
            depth: 0,
            steps: 0,
            work: 0,
            exhausted: false,
            regexes: HashMap::new(),
        }
    }

    /// Every finding about reading `writer` data with `reader`, without duplicates.
    pub fn run(mut self, reader: &Value, writer: &Value) -> Vec<Finding> {
        let mut out = Vec::new();
        self.subsume(
            &Node::root(reader, Side::Reader),
            &Node::root(writer, Side::Writer),
            &mut out,
        );
        let mut seen = HashSet::new();
        out.retain(|f| {
            seen.insert((
                f.kind,
                f.pointer.clone(),
                f.writer_pointer.clone(),
                f.breaking,
            ))
        });
        out
    }

    /// Whether `additionalProperties: false` in this node is in force: not when the node is a
    /// reader's and open reader views are on.
    pub fn closed(&self, node: &Node<'_>) -> bool {
        node.get("additionalProperties") == Some(&Value::Bool(false)) && !self.relaxed(node)
    }

    /// Whether `additionalProperties: false` in this node is relaxed by the open reader view.
    pub fn relaxed(&self, node: &Node<'_>) -> bool {
        node.side == Side::Reader
            && self.options.open_reader_views
            && node.get("additionalProperties") == Some(&Value::Bool(false))
    }

    /// Counts one unit of validation or disjointness work; `false` once the budget is spent.
    pub fn spend(&mut self) -> bool {
        self.work += 1;
        self.work <= MAX_WORK
    }

    /// The compiled pattern (`None` when the regex engine refuses it).
    pub fn regex(&mut self, pattern: &str) -> Option<&Regex> {
        self.regexes
            .entry(pattern.to_owned())
            .or_insert_with(|| {
                regex::RegexBuilder::new(pattern)
                    .size_limit(1 << 20)
                    .build()
                    .ok()
            })
            .as_ref()
    }

    /// Compares the subschemas a member of the instance (a property or an item) falls under.
    pub fn member<'a>(&mut self, reader: &Node<'a>, writer: &Node<'a>, out: &mut Vec<Finding>) {
        self.instance_depth += 1;
        self.subsume(reader, writer, out);
        self.instance_depth -= 1;
    }

    /// [`Checker::first_break`] for a member of the instance.
    pub fn member_break<'a>(&mut self, reader: &Node<'a>, writer: &Node<'a>) -> Option<Finding> {
        self.instance_depth += 1;
        let found = self.first_break(reader, writer);
        self.instance_depth -= 1;
        found
    }

    /// The first breaking finding of the comparison, if any (the rest discarded).
    pub fn first_break<'a>(&mut self, reader: &Node<'a>, writer: &Node<'a>) -> Option<Finding> {
        let mut scratch = Vec::new();
        self.subsume(reader, writer, &mut scratch);
        scratch.into_iter().find(|f| f.breaking)
    }

    /// Compares `reader` with `writer`, appending findings to `out`.
    pub fn subsume<'a>(&mut self, reader: &Node<'a>, writer: &Node<'a>, out: &mut Vec<Finding>) {
        if reader.is_true() || same(reader, writer) {
            return;
        }
        let writer = flatten(writer);
        if writer.is_false() || same(reader, &writer) {
            return;
        }
        if reader.is_malformed() {
            out.push(Finding::new(
                FindingKind::UnsupportedKeyword,
                reader.ptr.clone(),
                writer.ptr.clone(),
                "the reader's subschema is neither an object nor a boolean",
            ));
            return;
        }
        if reader.is_false() {
            out.push(Finding::new(
                FindingKind::TypeNarrowed,
                reader.ptr.clone(),
                writer.ptr.clone(),
                "the reader accepts nothing here, the writer produces data",
            ));
            return;
        }
        self.steps += 1;
        if self.steps > MAX_STEPS || self.depth >= MAX_DEPTH {
            if !self.exhausted {
                self.exhausted = true;
                out.push(Finding::new(
                    FindingKind::TooComplex,
                    reader.ptr.clone(),
                    writer.ptr.clone(),
                    format!(
                        "the schemas nest deeper than {MAX_DEPTH} levels or need more than \
                         {MAX_STEPS} comparisons; refusing rather than guessing"
                    ),
                ));
            }
            return;
        }
        let key = format!("{}|{}", reader.key(), writer.key());
        match self.stack.get(&key) {
            // The same pair is already being compared further up, for an enclosing part of the
            // instance (a recursive `$ref` through a property or item): assume it holds; the
            // comparison up there decides. Instances are finite, so this is sound.
            Some(&started) if self.instance_depth > started => return,
            Some(_) => {
                out.push(Finding::new(
                    FindingKind::TooComplex,
                    reader.ptr.clone(),
                    writer.ptr.clone(),
                    "the schema refers to itself without descending into the data (a `$ref` \
                     cycle through combinators only); refusing rather than guessing",
                ));
                return;
            }
            None => {}
        }
        self.stack.insert(key.clone(), self.instance_depth);
        self.depth += 1;
        for branch in split(&writer) {
            if branch.is_false() {
                continue;
            }
            if let Some(values) = finite_values(&branch) {
                enums::check_values(self, reader, &branch, values, out);
            } else if reader.has_combinators() {
                combinators::check_reader(self, reader, &branch, &writer, out);
            } else {
                self.plain(reader, &branch, out);
            }
        }
        self.depth -= 1;
        self.stack.remove(&key);
    }

    /// Compares a reader node without combinators with one writer branch.
    pub fn plain<'a>(&mut self, reader: &Node<'a>, writer: &Node<'a>, out: &mut Vec<Finding>) {
        let Some(reader_types) = reader.types() else {
            out.push(Finding::new(
                FindingKind::UnsupportedKeyword,
                reader.at(&["type"]),
                writer.at(&["type"]),
                "the reader's `type` is malformed",
            ));
            return;
        };
        let writer_types = writer.types().unwrap_or(TypeSet::ALL);
        let missing = writer_types.not_admitted_by(reader_types);
        if !missing.is_empty() {
            let kind = if writer_types.overlaps(reader_types) {
                FindingKind::TypeNarrowed
            } else {
                FindingKind::TypeChanged
            };
            out.push(Finding::new(
                kind,
                reader.at(&["type"]),
                writer.at(&["type"]),
                format!(
                    "the writer may produce {} values, which the reader (accepting {}) refuses",
                    missing.names().join("/"),
                    reader_types.names().join("/"),
                ),
            ));
        } else if reader.get("type").is_some()
            && writer.get("type").is_some()
            && !reader_types.not_admitted_by(writer_types).is_empty()
        {
            out.push(Finding::new(
                FindingKind::TypeExtended,
                reader.at(&["type"]),
                writer.at(&["type"]),
                format!(
                    "the reader also accepts {} values",
                    reader_types.not_admitted_by(writer_types).names().join("/")
                ),
            ));
        }
        let common = writer_types.meet(reader_types);
        if common.is_empty() {
            return;
        }
        for keyword in ["enum", "const"] {
            if reader.get(keyword).is_some() {
                out.push(Finding::new(
                    FindingKind::EnumArrayNarrowed,
                    reader.at(&[keyword]),
                    writer.ptr.clone(),
                    format!(
                        "the reader accepts only the values listed in `{keyword}`; the writer's \
                         values are not enumerated"
                    ),
                ));
            }
        }
        if common.contains(TypeSet::OBJECT) {
            object::check(self, reader, writer, out);
        }
        if common.contains(TypeSet::ARRAY) {
            array::check(self, reader, writer, out);
        }
        if common.any_numeric() {
            numeric::check(self, reader, writer, writer_types, out);
        }
        if common.contains(TypeSet::STRING) {
            string::check(self, reader, writer, out);
        }
        if common.contains(TypeSet::STRING) || common.any_numeric() {
            string::check_format(reader, writer, out);
        }
        self.unsupported(reader, writer, out);
    }

    /// Keywords outside the supported set: a reader's fail closed unless the writer carries them
    /// identically; a writer's alone are ignored (noted, not breaking).
    fn unsupported(&mut self, reader: &Node<'_>, writer: &Node<'_>, out: &mut Vec<Finding>) {
        for &keyword in UNSUPPORTED {
            let group = GROUPS
                .iter()
                .find(|g| g.contains(&keyword))
                .copied()
                .unwrap_or(std::slice::from_ref(&keyword));
            if group.first() != Some(&keyword) {
                continue; // judged together with the group's first keyword
            }
            let in_reader = group.iter().any(|k| reader.get(k).is_some());
            let identical = group.iter().all(|k| same_keyword(reader, writer, k))
                && !keyword.starts_with("unevaluated");
            if in_reader && !identical {
                out.push(Finding::new(
                    FindingKind::UnsupportedKeyword,
                    reader.at(&[keyword]),
                    writer.at(&[keyword]),
                    format!(
                        "the checker cannot reason about `{}`; it accepts it only where the \
                         writer carries it identically",
                        group.join("`/`")
                    ),
                ));
            } else if !in_reader && group.iter().any(|k| writer.get(k).is_some()) {
                out.push(
                    Finding::new(
                        FindingKind::UnsupportedKeyword,
                        reader.at(&[keyword]),
                        writer.at(&[keyword]),
                        format!(
                            "the writer's `{}` is ignored: dropping a writer constraint only \
                             widens what the reader must accept",
                            group.join("`/`")
                        ),
                    )
                    .with_breaking(false),
                );
            }
        }
        if let Some(reference) = writer.get("$ref") {
            out.push(
                Finding::new(
                    FindingKind::UnresolvedReference,
                    reader.ptr.clone(),
                    writer.at(&["$ref"]),
                    format!(
                        "the writer's `$ref` {reference} does not resolve and is ignored, which \
                         only widens what the reader must accept"
                    ),
                )
                .with_breaking(false),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::{CheckOptions, FindingKind, can_read};

    fn breaking(reader: &serde_json::Value, writer: &serde_json::Value) -> Vec<FindingKind> {
        can_read(reader, writer, &CheckOptions::default())
            .into_iter()
            .filter(|f| f.breaking)
            .map(|f| f.kind)
            .collect()
    }

    #[test]
    fn a_writer_only_unsupported_keyword_is_noted_but_not_breaking() {
        let writer = json!({"type": "string", "not": {"const": ""}});
        let findings = can_read(
            &json!({"type": "string"}),
            &writer,
            &CheckOptions::default(),
        );
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].kind, FindingKind::UnsupportedKeyword);
        assert!(!findings[0].breaking);
    }

    #[test]
    fn a_self_referencing_reader_fails_closed_without_hanging() {
        let reader = json!({"anyOf": [{"$ref": "#"}, {"$ref": "#"}]});
        let started = std::time::Instant::now();
        assert!(!breaking(&reader, &json!({"enum": ["a"]})).is_empty());
        assert!(!breaking(&reader, &json!({"type": "string"})).is_empty());
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }

    #[test]
    fn recursive_pairs_are_assumed_to_hold_while_being_compared() {
        let list = |t: &str| json!({"type": "object", "properties": {"v": {"type": t}, "next": {"$ref": "#"}}});
        assert!(breaking(&list("number"), &list("integer")).is_empty());
        assert_eq!(
            breaking(&list("integer"), &list("number")),
            vec![FindingKind::TypeNarrowed]
        );
    }
}
