//! Compatibility modes (Confluent Schema Registry / xRegistry) and check directions.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A compatibility rule, as in Confluent Schema Registry and xRegistry.
///
/// `BACKWARD` means a reader using the new schema can read data written with the old one;
/// `FORWARD` the converse; `FULL` both. The plain modes compare the new schema with the latest
/// version only, the `_TRANSITIVE` ones with every earlier version.
///
/// Displayed and serialised as Confluent spells it (`FULL_TRANSITIVE`); parsing also accepts
/// xRegistry's lowercase spellings (`full_transitive`), case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// No check: every change is accepted.
    None,
    /// The new schema reads data written with the latest version.
    Backward,
    /// The latest version reads data written with the new schema.
    Forward,
    /// Both `Backward` and `Forward` against the latest version.
    Full,
    /// The new schema reads data written with every earlier version.
    BackwardTransitive,
    /// Every earlier version reads data written with the new schema.
    ForwardTransitive,
    /// Both directions against every earlier version (the project's default).
    #[default]
    FullTransitive,
}

impl Mode {
    /// Every mode, in declaration order.
    pub const ALL: [Mode; 7] = [
        Mode::None,
        Mode::Backward,
        Mode::Forward,
        Mode::Full,
        Mode::BackwardTransitive,
        Mode::ForwardTransitive,
        Mode::FullTransitive,
    ];

    /// The Confluent spelling (`BACKWARD_TRANSITIVE`).
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::None => "NONE",
            Mode::Backward => "BACKWARD",
            Mode::Forward => "FORWARD",
            Mode::Full => "FULL",
            Mode::BackwardTransitive => "BACKWARD_TRANSITIVE",
            Mode::ForwardTransitive => "FORWARD_TRANSITIVE",
            Mode::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    /// Whether the new schema is compared with every earlier version, not just the latest.
    pub fn is_transitive(self) -> bool {
        matches!(
            self,
            Mode::BackwardTransitive | Mode::ForwardTransitive | Mode::FullTransitive
        )
    }

    /// The directions this mode checks (empty for `NONE`).
    pub fn directions(self) -> &'static [Direction] {
        match self {
            Mode::None => &[],
            Mode::Backward | Mode::BackwardTransitive => &[Direction::Backward],
            Mode::Forward | Mode::ForwardTransitive => &[Direction::Forward],
            Mode::Full | Mode::FullTransitive => &[Direction::Backward, Direction::Forward],
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The input named no compatibility mode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown compatibility mode `{0}`: expected one of NONE, BACKWARD, FORWARD, FULL, \
     BACKWARD_TRANSITIVE, FORWARD_TRANSITIVE, FULL_TRANSITIVE"
)]
pub struct ParseModeError(pub String);

impl FromStr for Mode {
    type Err = ParseModeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Mode::ALL
            .into_iter()
            .find(|mode| mode.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| ParseModeError(s.to_owned()))
    }
}

impl Serialize for Mode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Mode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Which way data flows in one comparison between the new schema and an earlier version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Direction {
    /// The new schema reads data written with the earlier version (reader = new, writer = old).
    Backward,
    /// The earlier version reads data written with the new schema (reader = old, writer = new).
    Forward,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Backward => "BACKWARD",
            Direction::Forward => "FORWARD",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_in_confluent_and_xregistry_spellings() {
        for mode in Mode::ALL {
            assert_eq!(mode.as_str().parse::<Mode>(), Ok(mode));
            assert_eq!(mode.as_str().to_lowercase().parse::<Mode>(), Ok(mode));
        }
        assert_eq!(
            "backward_transitive".parse::<Mode>(),
            Ok(Mode::BackwardTransitive)
        );
        assert!("sideways".parse::<Mode>().is_err());
    }

    #[test]
    fn modes_round_trip_through_serde() {
        for mode in Mode::ALL {
            let json = serde_json::to_value(mode).expect("a mode serialises");
            assert_eq!(json, serde_json::Value::from(mode.as_str()));
            let back: Mode = serde_json::from_value(json).expect("a mode parses");
            assert_eq!(back, mode);
        }
        let lower: Result<Mode, _> = serde_json::from_str("\"full_transitive\"");
        assert_eq!(lower.ok(), Some(Mode::FullTransitive));
    }

    #[test]
    fn only_transitive_modes_say_so() {
        assert!(Mode::FullTransitive.is_transitive());
        assert!(!Mode::Full.is_transitive());
        assert!(Mode::None.directions().is_empty());
        assert_eq!(Mode::Full.directions().len(), 2);
    }
}
