//! Count bounds shared by strings, arrays and objects (`minLength`, `maxItems`,
//! `minProperties`, …): compare the reader's bound with what the writer guarantees.

use serde_json::Value;

use crate::finding::{Finding, FindingKind};
use crate::schema::Node;

/// The finding kinds of one bound keyword: added, removed, increased, decreased.
pub(crate) type Kinds = [FindingKind; 4];

/// Kinds for `minLength`.
pub(crate) const MIN_LENGTH: Kinds = [
    FindingKind::MinLengthAdded,
    FindingKind::MinLengthRemoved,
    FindingKind::MinLengthIncreased,
    FindingKind::MinLengthDecreased,
];
/// Kinds for `maxLength`.
pub(crate) const MAX_LENGTH: Kinds = [
    FindingKind::MaxLengthAdded,
    FindingKind::MaxLengthRemoved,
    FindingKind::MaxLengthIncreased,
    FindingKind::MaxLengthDecreased,
];
/// Kinds for `minItems`.
pub(crate) const MIN_ITEMS: Kinds = [
    FindingKind::MinItemsAdded,
    FindingKind::MinItemsRemoved,
    FindingKind::MinItemsIncreased,
    FindingKind::MinItemsDecreased,
];
/// Kinds for `maxItems`.
pub(crate) const MAX_ITEMS: Kinds = [
    FindingKind::MaxItemsAdded,
    FindingKind::MaxItemsRemoved,
    FindingKind::MaxItemsIncreased,
    FindingKind::MaxItemsDecreased,
];
/// Kinds for `minProperties`.
pub(crate) const MIN_PROPERTIES: Kinds = [
    FindingKind::MinPropertiesAdded,
    FindingKind::MinPropertiesRemoved,
    FindingKind::MinPropertiesIncreased,
    FindingKind::MinPropertiesDecreased,
];
/// Kinds for `maxProperties`.
pub(crate) const MAX_PROPERTIES: Kinds = [
    FindingKind::MaxPropertiesAdded,
    FindingKind::MaxPropertiesRemoved,
    FindingKind::MaxPropertiesIncreased,
    FindingKind::MaxPropertiesDecreased,
];

/// A non-negative integer, as count keywords take (`2.0` counts as 2).
pub(crate) fn as_count(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| {
        let f = value.as_f64()?;
        (f >= 0.0 && f.fract() == 0.0 && f < 1e19).then_some(f as u64)
    })
}

/// The writer's own value of a count keyword (ignored when malformed: that only widens).
pub(crate) fn writer_count(writer: &Node<'_>, keyword: &str) -> Option<u64> {
    writer.get(keyword).and_then(as_count)
}

/// Which way a bound limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bound {
    /// `min*`: the reader's bound must not exceed what the writer guarantees.
    Lower,
    /// `max*`: the reader's bound must not be below what the writer guarantees.
    Upper,
}

/// Compares a count keyword. `guaranteed` is what the writer's instances always satisfy (its
/// own keyword, or tighter, e.g. a closed object's number of properties).
pub(crate) fn compare(
    reader: &Node<'_>,
    writer: &Node<'_>,
    keyword: &str,
    bound: Bound,
    guaranteed: Option<u64>,
    kinds: Kinds,
    out: &mut Vec<Finding>,
) {
    let [added, removed, increased, decreased] = kinds;
    let (r_ptr, w_ptr) = (reader.at(&[keyword]), writer.at(&[keyword]));
    let own = writer_count(writer, keyword);
    let Some(value) = reader.get(keyword) else {
        if let Some(own) = own {
            out.push(Finding::new(
                removed,
                r_ptr,
                w_ptr,
                format!("the reader dropped `{keyword}` (the writer has {own})"),
            ));
        }
        return;
    };
    let Some(limit) = as_count(value) else {
        out.push(Finding::new(
            FindingKind::UnsupportedKeyword,
            r_ptr,
            w_ptr,
            format!("the reader's `{keyword}` is not a non-negative integer"),
        ));
        return;
    };
    let holds = match bound {
        Bound::Lower => limit == 0 || guaranteed.is_some_and(|g| g >= limit),
        Bound::Upper => guaranteed.is_some_and(|g| g <= limit),
    };
    let Some(own) = own else {
        if limit > 0 || bound == Bound::Upper {
            let why = match (holds, guaranteed) {
                (true, Some(g)) => format!(", which the writer's data (at {g}) always satisfies"),
                _ => String::new(),
            };
            out.push(
                Finding::new(
                    added,
                    r_ptr,
                    w_ptr,
                    format!("the reader added `{keyword}: {limit}`{why}"),
                )
                .with_breaking(!holds),
            );
        }
        return;
    };
    let kind = match limit.cmp(&own) {
        std::cmp::Ordering::Equal if holds => return,
        std::cmp::Ordering::Less | std::cmp::Ordering::Equal => decreased,
        std::cmp::Ordering::Greater => increased,
    };
    out.push(
        Finding::new(
            kind,
            r_ptr,
            w_ptr,
            format!("`{keyword}` goes from {own} (writer) to {limit} (reader)"),
        )
        .with_breaking(!holds),
    );
}
