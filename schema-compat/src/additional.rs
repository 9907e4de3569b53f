//! Property names beyond `properties`: those the writer allows by `patternProperties` or
//! `additionalProperties` must be accepted by the reader's patterns or additional properties.

use crate::check::Checker;
use crate::finding::{Finding, FindingKind as K};
use crate::object::{Additional, Object};
use crate::pattern;

/// Names the writer allows by pattern (beyond those named): the reader must accept them.
pub(crate) fn pattern_properties<'a>(
    ck: &mut Checker,
    r: &Object<'a>,
    w: &Object<'a>,
    out: &mut Vec<Finding>,
) {
    for (p, ws) in &w.patterns {
        if ws.is_false() {
            continue;
        }
        let mut covered = false;
        for (q, rs) in &r.patterns {
            if q == p {
                covered = true;
                ck.member(rs, ws, out);
                continue;
            }
            covered |= pattern::covers(q, p);
            if !pattern::disjoint(p, q) {
                if let Some(why) = ck.member_break(rs, ws) {
                    out.push(Finding::new(
                        K::AdditionalPropertiesNarrowed,
                        r.node.at(&["patternProperties", q]),
                        w.node.at(&["patternProperties", p]),
                        format!("names matching both `{p}` (writer) and `{q}` (reader) may be refused: {}", why.message),
                    ));
                }
            }
        }
        if covered {
            continue;
        }
        let refusal = match &r.additional {
            Additional::Open => None,
            Additional::Closed => Some("refuses them".to_owned()),
            Additional::Schema(rs) => ck.member_break(rs, ws).map(|why| why.message),
        };
        if let Some(why) = refusal {
            out.push(Finding::new(
                K::AdditionalPropertiesNarrowed,
                r.node.at(&["additionalProperties"]),
                w.node.at(&["patternProperties", p]),
                format!("the writer allows names matching `{p}`; the reader's additional properties {why}"),
            ));
        }
    }
}

/// Names the writer leaves to `additionalProperties`: the reader must accept them.
pub(crate) fn additional_properties<'a>(
    ck: &mut Checker,
    r: &Object<'a>,
    w: &Object<'a>,
    out: &mut Vec<Finding>,
) {
    let (r_ptr, w_ptr) = (
        r.node.at(&["additionalProperties"]),
        w.node.at(&["additionalProperties"]),
    );
    let extra = match &w.additional {
        Additional::Closed => {
            let reader_opened = match &r.additional {
                Additional::Open => !ck.relaxed(&r.node),
                Additional::Schema(_) => true,
                Additional::Closed => false,
            };
            if reader_opened {
                out.push(Finding::new(
                    K::AdditionalPropertiesAdded,
                    r_ptr,
                    w_ptr,
                    "the reader accepts additional properties; the writer produces none",
                ));
            }
            return;
        }
        Additional::Open => w.node.accept_all(w_ptr.clone()),
        Additional::Schema(schema) => schema.clone(),
    };
    for (q, rs) in &r.patterns {
        if w.patterns.iter().any(|(p, _)| pattern::covers(p, q)) {
            continue;
        }
        if let Some(why) = ck.member_break(rs, &extra) {
            out.push(Finding::new(
                K::AdditionalPropertiesNarrowed,
                r.node.at(&["patternProperties", q]),
                w_ptr.clone(),
                format!("names matching `{q}` may come from the writer's additional properties and be refused: {}", why.message),
            ));
        }
    }
    match (&r.additional, &w.additional) {
        (Additional::Open, Additional::Schema(_)) if !ck.relaxed(&r.node) => {
            out.push(Finding::new(
                K::AdditionalPropertiesExtended,
                r_ptr,
                w_ptr,
                "the reader accepts any additional property",
            ))
        }
        (Additional::Open, _) => {}
        (Additional::Closed, _) => out.push(Finding::new(
            K::AdditionalPropertiesRemoved,
            r_ptr,
            w_ptr,
            "the reader refuses additional properties, which the writer may produce",
        )),
        (Additional::Schema(rs), Additional::Schema(ws)) => ck.member(rs, ws, out),
        (Additional::Schema(rs), _) => {
            if let Some(why) = ck.member_break(rs, &extra) {
                out.push(Finding::new(
                    K::AdditionalPropertiesNarrowed,
                    r_ptr,
                    w_ptr,
                    format!("the writer's additional properties may hold anything; the reader's schema refuses some: {}", why.message),
                ));
            }
        }
    }
}
