//! Objects: `properties`, `required`, `minProperties`, `maxProperties`, and the content model
//! (open, closed, partially open) each name falls under; names beyond `properties` are in
//! `additional`.

use serde_json::Value;

use crate::additional;
use crate::bounds::{self, Bound};
use crate::check::Checker;
use crate::finding::{Finding, FindingKind as K};
use crate::schema::{Node, Side};

/// What a schema does with property names it neither names nor matches by pattern.
pub(crate) enum Additional<'a> {
    /// Anything goes (`additionalProperties` absent or `true`, or relaxed by the open view).
    Open,
    /// Refused (`additionalProperties: false`).
    Closed,
    /// Governed by a schema.
    Schema(Node<'a>),
}

/// How a schema treats one property name, for naming findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Model {
    Named,
    Open,
    Closed,
    Partial,
}

/// One side's object model.
pub(crate) struct Object<'a> {
    pub node: Node<'a>,
    pub props: Vec<(String, Node<'a>)>,
    pub patterns: Vec<(String, Node<'a>)>,
    pub additional: Additional<'a>,
    pub required: Vec<String>,
}

impl<'a> Object<'a> {
    fn of(ck: &Checker, node: &Node<'a>, out: &mut Vec<Finding>) -> Self {
        let members = |keyword: &str, out: &mut Vec<Finding>| match node.get(keyword) {
            None => Vec::new(),
            Some(Value::Object(map)) => map
                .keys()
                .filter_map(|name| Some((name.clone(), node.child(&[keyword, name])?)))
                .collect(),
            Some(_) => {
                malformed(node, keyword, out);
                Vec::new()
            }
        };
        let additional = match node.child(&["additionalProperties"]) {
            None => Additional::Open,
            Some(_) if ck.relaxed(node) => Additional::Open,
            Some(schema) if schema.is_true() => Additional::Open,
            Some(schema) if schema.is_false() => Additional::Closed,
            Some(schema) => Additional::Schema(schema),
        };
        let required = node.strings("required").unwrap_or_else(|| {
            malformed(node, "required", out);
            Vec::new()
        });
        Object {
            node: node.clone(),
            props: members("properties", out),
            patterns: members("patternProperties", out),
            additional,
            required,
        }
    }

    fn named(&self, name: &str) -> Option<&Node<'a>> {
        self.props.iter().find(|(n, _)| n == name).map(|(_, s)| s)
    }

    fn matching(&self, ck: &mut Checker, name: &str, out: &mut Vec<Finding>) -> Vec<&Node<'a>> {
        let mut found = Vec::new();
        for (pattern, schema) in &self.patterns {
            match ck.regex(pattern).map(|re| re.is_match(name)) {
                Some(true) => found.push(schema),
                Some(false) => {}
                None => {
                    let at = self.node.at(&["patternProperties", pattern]);
                    let (reader_at, writer_at) = match self.node.side {
                        Side::Reader => (at, String::new()),
                        Side::Writer => (String::new(), at),
                    };
                    out.push(Finding::new(
                        K::UnsupportedKeyword,
                        reader_at,
                        writer_at,
                        format!("the pattern `{pattern}` is not understood by the checker's regex engine"),
                    ));
                }
            }
        }
        found
    }

    fn model(&self, ck: &mut Checker, name: &str, out: &mut Vec<Finding>) -> Model {
        if self.named(name).is_some() {
            return Model::Named;
        }
        if !self.matching(ck, name, out).is_empty() {
            return Model::Partial;
        }
        match self.additional {
            Additional::Open => Model::Open,
            Additional::Closed => Model::Closed,
            Additional::Schema(_) => Model::Partial,
        }
    }

    /// The writer's schema for `name` (one of its constraints: using fewer widens), `None`
    /// when the writer never produces it.
    fn writer_schema(
        &self,
        ck: &mut Checker,
        name: &str,
        out: &mut Vec<Finding>,
    ) -> Option<Node<'a>> {
        let schema = match self.named(name) {
            Some(schema) => schema.clone(),
            None => match self.matching(ck, name, out).first() {
                Some(schema) => (*schema).clone(),
                None => match &self.additional {
                    Additional::Open => self.node.accept_all(self.node.at(&["properties", name])),
                    Additional::Closed => return None,
                    Additional::Schema(schema) => schema.clone(),
                },
            },
        };
        (!schema.is_false()).then_some(schema)
    }

    /// Every reader constraint on `name` (all must hold); empty when anything goes.
    fn reader_schemas(
        &self,
        ck: &mut Checker,
        name: &str,
        out: &mut Vec<Finding>,
    ) -> Vec<Node<'a>> {
        let mut schemas: Vec<Node<'a>> = self.named(name).into_iter().cloned().collect();
        schemas.extend(self.matching(ck, name, out).into_iter().cloned());
        if schemas.is_empty() {
            match &self.additional {
                Additional::Open => {}
                Additional::Closed => schemas.push(self.node.synthetic(
                    Value::Bool(false),
                    self.node.at(&["additionalProperties"]),
                    "+false",
                )),
                Additional::Schema(schema) => schemas.push(schema.clone()),
            }
        }
        schemas
    }
}

fn malformed(node: &Node<'_>, keyword: &str, out: &mut Vec<Finding>) {
    if node.side == Side::Reader {
        out.push(Finding::new(
            K::UnsupportedKeyword,
            node.at(&[keyword]),
            String::new(),
            format!("the reader's `{keyword}` is malformed"),
        ));
    }
}

/// Compares the object keywords of a reader node with a writer branch.
pub(crate) fn check<'a>(
    ck: &mut Checker,
    reader: &Node<'a>,
    writer: &Node<'a>,
    out: &mut Vec<Finding>,
) {
    let r = Object::of(ck, reader, out);
    let w = Object::of(ck, writer, out);
    required(ck, &r, &w, out);
    counts(reader, writer, &w, out);
    let members = ["properties", "patternProperties", "additionalProperties"];
    if members.iter().all(|k| reader.get(k).is_none()) {
        // The reader says nothing about members (e.g. an `allOf` part with only `required`):
        // it accepts every member the writer produces.
        return;
    }
    let mut names: Vec<String> = w.props.iter().map(|(n, _)| n.clone()).collect();
    names.extend(
        r.props
            .iter()
            .map(|(n, _)| n.clone())
            .filter(|n| w.named(n).is_none()),
    );
    for name in &names {
        property(ck, &r, &w, name, out);
    }
    additional::pattern_properties(ck, &r, &w, out);
    additional::additional_properties(ck, &r, &w, out);
}

/// `maxProperties` and `minProperties`, with what a closed writer or its `required` guarantee.
fn counts(reader: &Node<'_>, writer: &Node<'_>, w: &Object<'_>, out: &mut Vec<Finding>) {
    let closed_count = (matches!(w.additional, Additional::Closed) && w.patterns.is_empty())
        .then(|| w.props.iter().filter(|(_, s)| !s.is_false()).count() as u64);
    let own_max = bounds::writer_count(writer, "maxProperties");
    let max = match (own_max, closed_count) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    bounds::compare(
        reader,
        writer,
        "maxProperties",
        Bound::Upper,
        max,
        bounds::MAX_PROPERTIES,
        out,
    );
    let mut distinct = w.required.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let min = bounds::writer_count(writer, "minProperties")
        .unwrap_or(0)
        .max(distinct.len() as u64);
    bounds::compare(
        reader,
        writer,
        "minProperties",
        Bound::Lower,
        Some(min),
        bounds::MIN_PROPERTIES,
        out,
    );
}

fn property<'a>(
    ck: &mut Checker,
    r: &Object<'a>,
    w: &Object<'a>,
    name: &str,
    out: &mut Vec<Finding>,
) {
    let (r_ptr, w_ptr) = (
        r.node.at(&["properties", name]),
        w.node.at(&["properties", name]),
    );
    let writer_schema = w.writer_schema(ck, name, out);
    let reader_schemas = r.reader_schemas(ck, name, out);
    let covered = |ck: &mut Checker, writer: &Node<'a>| {
        reader_schemas
            .iter()
            .find_map(|rs| ck.member_break(rs, writer))
    };
    let finding =
        |kind: K, message: String| Finding::new(kind, r_ptr.clone(), w_ptr.clone(), message);
    match (w.named(name).is_some(), r.named(name).is_some()) {
        (true, true) => {
            if let Some(ws) = &writer_schema {
                for rs in &reader_schemas {
                    ck.member(rs, ws, out);
                }
            }
        }
        (false, true) => match (w.model(ck, name, out), &writer_schema) {
            (Model::Closed, _) | (_, None) => {
                if !r.required.iter().any(|n| n == name) {
                    out.push(finding(
                        K::OptionalPropertyAddedToUnopenContentModel,
                        format!("the reader added optional property `{name}`, which the writer never produces"),
                    ));
                }
            }
            (Model::Open, Some(ws)) => match covered(ck, ws) {
                None => out.push(finding(
                    K::PropertyWithEmptySchemaAddedToOpenContentModel,
                    format!("the reader added property `{name}` with a schema accepting anything"),
                )),
                Some(why) => out.push(finding(
                    K::PropertyAddedToOpenContentModel,
                    format!(
                        "the reader added property `{name}`, which the writer's open model may carry with any value ({})",
                        why.message
                    ),
                )),
            },
            (_, Some(ws)) => match covered(ck, ws) {
                None => out.push(finding(
                    K::PropertyAddedIsCoveredByPartiallyOpenContentModel,
                    format!("the reader added property `{name}`, compatible with what the writer's pattern or additional properties allow"),
                )),
                Some(why) => out.push(finding(
                    K::PropertyAddedNotCoveredByPartiallyOpenContentModel,
                    format!("the reader added property `{name}`, narrower than what the writer's pattern or additional properties allow: {}", why.message),
                )),
            },
        },
        (true, false) => {
            let model = r.model(ck, name, out);
            let Some(ws) = writer_schema else {
                if model == Model::Closed {
                    out.push(finding(
                        K::PropertyWithFalseRemovedFromClosedContentModel,
                        format!("the reader dropped property `{name}`, which the writer forbade"),
                    ));
                }
                return;
            };
            match model {
                Model::Open => out.push(finding(
                    K::PropertyRemovedFromOpenContentModel,
                    format!("the reader dropped property `{name}` and accepts it as an additional property"),
                )),
                Model::Closed => out.push(finding(
                    K::PropertyRemovedFromClosedContentModel,
                    format!("the reader dropped property `{name}` and refuses additional properties, so writer data carrying it is refused"),
                )),
                Model::Named | Model::Partial => match covered(ck, &ws) {
                    None => out.push(finding(
                        K::PropertyRemovedIsCoveredByPartiallyOpenContentModel,
                        format!("the reader dropped property `{name}`; its pattern or additional properties still accept it"),
                    )),
                    Some(why) => out.push(finding(
                        K::PropertyRemovedNotCoveredByPartiallyOpenContentModel,
                        format!("the reader dropped property `{name}`; its pattern or additional properties refuse the writer's values: {}", why.message),
                    )),
                },
            }
        }
        (false, false) => {}
    }
}

fn required(ck: &mut Checker, r: &Object<'_>, w: &Object<'_>, out: &mut Vec<Finding>) {
    for name in &r.required {
        if w.required.contains(name) {
            continue;
        }
        let producible = w.writer_schema(ck, name, out).is_some();
        let kind = if !producible && w.named(name).is_none() {
            K::RequiredPropertyAddedToUnopenContentModel
        } else {
            K::RequiredAttributeAdded
        };
        let why = if producible {
            "may omit it"
        } else {
            "never produces it"
        };
        out.push(Finding::new(
            kind,
            r.node.at(&["required"]),
            w.node.at(&["required"]),
            format!("the reader requires `{name}`; the writer {why}"),
        ));
    }
    for name in w.required.iter().filter(|n| !r.required.contains(n)) {
        out.push(Finding::new(
            K::RequiredAttributeRemoved,
            r.node.at(&["required"]),
            w.node.at(&["required"]),
            format!("the reader no longer requires `{name}`"),
        ));
    }
}
