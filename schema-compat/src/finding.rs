//! What the checker found: findings with their locations, and the report of a whole check.

use std::fmt;

use serde::{Deserialize, Serialize};

pub(crate) use crate::kind::FindingKind;
use crate::mode::{Direction, Mode};

/// One difference between a writer schema and a reader schema.
///
/// `pointer` locates the difference in the reader, `writer_pointer` in the writer (both JSON
/// pointers; a `$ref` is followed, so they may point into `$defs`). Which of the two is the new
/// schema follows from `direction`: in `BACKWARD` the reader is the new schema and the writer is
/// `history[version]`; in `FORWARD` it is the other way round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// What changed.
    pub kind: FindingKind,
    /// Where, in the reader schema (JSON pointer; `""` is the root).
    pub pointer: String,
    /// Where, in the writer schema (JSON pointer).
    pub writer_pointer: String,
    /// A sentence for humans.
    pub message: String,
    /// Whether this difference makes some writer data unreadable by the reader.
    pub breaking: bool,
    /// The index, in the history given to [`check`](crate::check), of the earlier version this
    /// finding is against (0 from [`can_read`](crate::can_read)).
    pub version: usize,
    /// Which way data flows in the comparison that produced this finding.
    pub direction: Direction,
}

impl Finding {
    /// A finding of `kind`, breaking as the kind usually is, not yet tied to a version.
    pub(crate) fn new(
        kind: FindingKind,
        pointer: String,
        writer_pointer: String,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            kind,
            pointer,
            writer_pointer,
            message: message.into(),
            breaking: kind.breaking_by_default(),
            version: 0,
            direction: Direction::Backward,
        }
    }

    /// The same finding, breaking or not as given.
    pub(crate) fn with_breaking(mut self, breaking: bool) -> Self {
        self.breaking = breaking;
        self
    }

    /// Where the finding sits in the new schema.
    pub fn new_pointer(&self) -> &str {
        match self.direction {
            Direction::Backward => &self.pointer,
            Direction::Forward => &self.writer_pointer,
        }
    }

    /// Where the finding sits in the earlier version `history[version]`.
    pub fn old_pointer(&self) -> &str {
        match self.direction {
            Direction::Backward => &self.writer_pointer,
            Direction::Forward => &self.pointer,
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.breaking {
            "breaking"
        } else {
            "compatible"
        };
        write!(
            f,
            "{} {} at {:?} (version {}, {}): {}",
            verdict, self.kind, self.pointer, self.version, self.direction, self.message
        )
    }
}

/// The outcome of [`check`](crate::check).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Whether the new schema may be registered under the mode: no finding is breaking.
    pub compatible: bool,
    /// The mode checked.
    pub mode: Mode,
    /// The indexes into the history that the new schema was compared with.
    pub versions_checked: Vec<usize>,
    /// Every difference found, breaking or not, in order of version and direction.
    pub findings: Vec<Finding>,
}

impl Report {
    /// The findings that break compatibility.
    pub fn breaking(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|finding| finding.breaking)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_map_to_new_and_old_by_direction() {
        let mut finding = Finding::new(
            FindingKind::TypeChanged,
            "/reader".into(),
            "/writer".into(),
            "",
        );
        assert_eq!(finding.new_pointer(), "/reader");
        finding.direction = Direction::Forward;
        assert_eq!(finding.new_pointer(), "/writer");
        assert_eq!(finding.old_pointer(), "/reader");
    }
}
