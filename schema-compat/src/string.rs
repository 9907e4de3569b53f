//! Strings: `minLength`, `maxLength`, `pattern`; and `format` (strings and numbers).

use serde_json::Value;

use crate::bounds::{self, Bound};
use crate::check::Checker;
use crate::finding::{Finding, FindingKind as K};
use crate::pattern;
use crate::schema::Node;

/// Format pairs `(narrower, wider)`: every value of the first is a value of the second.
const WIDENINGS: &[(&str, &str)] = &[
    ("int8", "int16"),
    ("int16", "int32"),
    ("int32", "int64"),
    ("uint8", "uint16"),
    ("uint16", "uint32"),
    ("uint32", "uint64"),
    ("uint8", "int16"),
    ("uint16", "int32"),
    ("uint32", "int64"),
    ("float", "double"),
    ("uri", "uri-reference"),
    ("uri", "iri"),
    ("uri-reference", "iri-reference"),
    ("iri", "iri-reference"),
    ("email", "idn-email"),
    ("hostname", "idn-hostname"),
];

/// Whether every value of format `narrow` is a value of format `wide` (transitively).
pub(crate) fn format_widens(narrow: &str, wide: &str) -> bool {
    let mut reached = vec![narrow];
    let mut i = 0;
    while let Some(&current) = reached.get(i) {
        if current == wide {
            return true;
        }
        for &(from, to) in WIDENINGS {
            if from == current && !reached.contains(&to) {
                reached.push(to);
            }
        }
        i += 1;
    }
    false
}

/// Compares the string keywords of a reader node with a writer branch.
pub(crate) fn check(
    _ck: &mut Checker,
    reader: &Node<'_>,
    writer: &Node<'_>,
    out: &mut Vec<Finding>,
) {
    let min = bounds::writer_count(writer, "minLength");
    bounds::compare(
        reader,
        writer,
        "minLength",
        Bound::Lower,
        min,
        bounds::MIN_LENGTH,
        out,
    );
    let max = bounds::writer_count(writer, "maxLength");
    bounds::compare(
        reader,
        writer,
        "maxLength",
        Bound::Upper,
        max,
        bounds::MAX_LENGTH,
        out,
    );
    check_pattern(reader, writer, out);
}

fn check_pattern(reader: &Node<'_>, writer: &Node<'_>, out: &mut Vec<Finding>) {
    let (r_ptr, w_ptr) = (reader.at(&["pattern"]), writer.at(&["pattern"]));
    let own = writer.get("pattern").and_then(Value::as_str);
    let Some(value) = reader.get("pattern") else {
        if let Some(own) = own {
            out.push(Finding::new(
                K::PatternRemoved,
                r_ptr,
                w_ptr,
                format!("the reader dropped `pattern` `{own}`"),
            ));
        }
        return;
    };
    let Some(wanted) = value.as_str() else {
        out.push(Finding::new(
            K::UnsupportedKeyword,
            r_ptr,
            w_ptr,
            "the reader's `pattern` is not a string",
        ));
        return;
    };
    match own {
        None => out.push(Finding::new(
            K::PatternAdded,
            r_ptr,
            w_ptr,
            format!("the reader added `pattern` `{wanted}`"),
        )),
        Some(own) if own == wanted => {}
        Some(own) => out.push(
            Finding::new(
                K::PatternChanged,
                r_ptr,
                w_ptr,
                format!("`pattern` goes from `{own}` (writer) to `{wanted}` (reader)"),
            )
            .with_breaking(!pattern::covers(wanted, own)),
        ),
    }
}

/// Compares `format`. Draft 2020-12 makes `format` an annotation by default, but validators
/// may assert it, so a format the writer does not guarantee is treated as a narrowing.
pub(crate) fn check_format(reader: &Node<'_>, writer: &Node<'_>, out: &mut Vec<Finding>) {
    let (r_ptr, w_ptr) = (reader.at(&["format"]), writer.at(&["format"]));
    let own = writer.get("format").and_then(Value::as_str);
    let Some(value) = reader.get("format") else {
        if let Some(own) = own {
            out.push(Finding::new(
                K::FormatRemoved,
                r_ptr,
                w_ptr,
                format!("the reader dropped `format` `{own}`"),
            ));
        }
        return;
    };
    let Some(wanted) = value.as_str() else {
        out.push(Finding::new(
            K::UnsupportedKeyword,
            r_ptr,
            w_ptr,
            "the reader's `format` is not a string",
        ));
        return;
    };
    match own {
        None => out.push(Finding::new(
            K::FormatAdded,
            r_ptr,
            w_ptr,
            format!("the reader added `format` `{wanted}`"),
        )),
        Some(own) if own == wanted => {}
        Some(own) if format_widens(own, wanted) => out.push(Finding::new(
            K::FormatExtended,
            r_ptr,
            w_ptr,
            format!("`format` goes from `{own}` (writer) to the wider `{wanted}` (reader)"),
        )),
        Some(own) => out.push(Finding::new(
            K::FormatChanged,
            r_ptr,
            w_ptr,
            format!("`format` goes from `{own}` (writer) to `{wanted}` (reader)"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_widening_is_transitive_and_one_way() {
        assert!(format_widens("int8", "int64"));
        assert!(format_widens("uint16", "int64"));
        assert!(format_widens("uri", "iri-reference"));
        assert!(!format_widens("int64", "int32"));
        assert!(!format_widens("date", "date-time"));
    }
}
