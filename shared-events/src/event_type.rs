//! [`EventType`]: a parsed, versioned, reverse-DNS event type name such as
//! `com.example.order.created.v1`.

use std::fmt;
use std::str::FromStr;

/// Why a string is not a valid [`EventType`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventTypeError {
    /// Fewer than four dot-separated segments.
    #[error("`{0}` is not `<reverse-dns>.<entity>.<action>.v<N>`: too few segments")]
    TooFewSegments(String),
    /// A segment is empty or holds characters other than `a-z`, `0-9`, `-` and `_`.
    #[error(
        "`{value}`: segment `{segment}` must be non-empty lower-case ASCII letters, digits, `-` or `_`"
    )]
    BadSegment {
        /// The whole type string.
        value: String,
        /// The offending segment.
        segment: String,
    },
    /// The last segment is not `v` followed by a positive integer.
    #[error("`{0}` must end in a version segment `v<N>` with N ≥ 1")]
    MissingVersion(String),
}

/// A versioned event type `<reverse-dns domain>.<entity>.<action>.v<major>`.
///
/// ```
/// use shared_events::EventType;
/// let ty: EventType = "com.example.order.created.v1".parse().unwrap();
/// assert_eq!(ty.domain(), "com.example");
/// assert_eq!(ty.entity(), "order");
/// assert_eq!(ty.action(), "created");
/// assert_eq!(ty.version(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventType {
    value: String,
    entity_at: usize,
    action_at: usize,
    version_at: usize,
    version: u32,
}

impl EventType {
    /// Parses and validates a type string.
    ///
    /// # Errors
    /// [`EventTypeError`] naming what is wrong.
    pub fn parse(value: &str) -> Result<Self, EventTypeError> {
        let segments: Vec<&str> = value.split('.').collect();
        if segments.len() < 4 {
            return Err(EventTypeError::TooFewSegments(value.to_owned()));
        }
        for segment in &segments {
            let ok = !segment.is_empty()
                && segment.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
                });
            if !ok {
                return Err(EventTypeError::BadSegment {
                    value: value.to_owned(),
                    segment: (*segment).to_owned(),
                });
            }
        }
        let last = segments[segments.len() - 1];
        let version = last
            .strip_prefix('v')
            .filter(|digits| !digits.starts_with('0'))
            .and_then(|digits| digits.parse::<u32>().ok())
            .filter(|v| *v >= 1)
            .ok_or_else(|| EventTypeError::MissingVersion(value.to_owned()))?;
        let version_at = value.len() - last.len();
        let action_at = version_at - 1 - segments[segments.len() - 2].len();
        let entity_at = action_at - 1 - segments[segments.len() - 3].len();
        Ok(Self {
            value: value.to_owned(),
            entity_at,
            action_at,
            version_at,
            version,
        })
    }

    /// The whole type string.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The reverse-DNS domain, e.g. `com.example`.
    pub fn domain(&self) -> &str {
        &self.value[..self.entity_at - 1]
    }

    /// The entity, e.g. `order`.
    pub fn entity(&self) -> &str {
        &self.value[self.entity_at..self.action_at - 1]
    }

    /// The action, e.g. `created`.
    pub fn action(&self) -> &str {
        &self.value[self.action_at..self.version_at - 1]
    }

    /// The major version, e.g. `1` for `.v1`.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The type without its version suffix, e.g. `com.example.order.created`.
    pub fn unversioned(&self) -> &str {
        &self.value[..self.version_at - 1]
    }
}

impl FromStr for EventType {
    type Err = EventTypeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

impl AsRef<str> for EventType {
    fn as_ref(&self) -> &str {
        &self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_of_a_longer_domain_are_exposed() {
        let ty = EventType::parse("io.github.acme.shop.order.created.v12").expect("valid");
        assert_eq!(ty.domain(), "io.github.acme.shop");
        assert_eq!(ty.entity(), "order");
        assert_eq!(ty.action(), "created");
        assert_eq!(ty.version(), 12);
        assert_eq!(ty.unversioned(), "io.github.acme.shop.order.created");
        assert_eq!(ty.to_string(), "io.github.acme.shop.order.created.v12");
    }

    #[test]
    fn malformed_types_are_refused_with_the_reason() {
        assert!(matches!(
            EventType::parse("order.created.v1"),
            Err(EventTypeError::TooFewSegments(_))
        ));
        assert!(matches!(
            EventType::parse("com.example.Order.created.v1"),
            Err(EventTypeError::BadSegment { .. })
        ));
        assert!(matches!(
            EventType::parse("com.example..created.v1"),
            Err(EventTypeError::BadSegment { .. })
        ));
        for bad in [
            "com.example.order.created",
            "com.example.order.created.v0",
            "com.example.order.created.v01",
            "com.example.order.created.vx",
        ] {
            assert!(
                matches!(
                    EventType::parse(bad),
                    Err(EventTypeError::MissingVersion(_))
                ),
                "{bad}"
            );
        }
    }
}
