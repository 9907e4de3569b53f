//! The W3C Trace Context `traceparent`, carried as the CloudEvents distributed-tracing extension
//! so that every event of one saga shares a trace.

use std::fmt;
use std::str::FromStr;

/// The CloudEvents extension attribute name (and HTTP header name) of the trace parent.
pub const TRACEPARENT: &str = "traceparent";

/// A parsed `traceparent` (`00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Traceparent {
    trace_id: u128,
    parent_id: u64,
    flags: u8,
}

/// A `traceparent` value that does not follow the W3C format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>, ids not all zero)")]
pub struct TraceparentError(String);

impl Traceparent {
    /// A new trace with random ids, sampled.
    pub fn generate() -> Self {
        let trace_id = loop {
            let id: u128 = rand::random();
            if id != 0 {
                break id;
            }
        };
        Self {
            trace_id,
            parent_id: Self::random_span(),
            flags: 1,
        }
    }

    /// The same trace with a new parent span id: what a component sends on when it continues a
    /// trace it received.
    #[must_use]
    pub fn child(&self) -> Self {
        Self {
            parent_id: Self::random_span(),
            ..*self
        }
    }

    /// The 128-bit trace id, shared by every event of one saga.
    pub fn trace_id(&self) -> u128 {
        self.trace_id
    }

    fn random_span() -> u64 {
        loop {
            let id: u64 = rand::random();
            if id != 0 {
                break id;
            }
        }
    }

    /// Parses a header or extension value.
    ///
    /// # Errors
    /// [`TraceparentError`] when the value is not version `00` in the W3C format.
    pub fn parse(value: &str) -> Result<Self, TraceparentError> {
        let err = || TraceparentError(value.to_owned());
        let parts: Vec<&str> = value.trim().split('-').collect();
        let [version, trace, parent, flags] = parts.as_slice() else {
            return Err(err());
        };
        let hex = |s: &str, len: usize| {
            s.len() == len
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        if *version != "00" || !hex(trace, 32) || !hex(parent, 16) || !hex(flags, 2) {
            return Err(err());
        }
        let trace_id = u128::from_str_radix(trace, 16).map_err(|_| err())?;
        let parent_id = u64::from_str_radix(parent, 16).map_err(|_| err())?;
        let flags = u8::from_str_radix(flags, 16).map_err(|_| err())?;
        if trace_id == 0 || parent_id == 0 {
            return Err(err());
        }
        Ok(Self {
            trace_id,
            parent_id,
            flags,
        })
    }
}

impl FromStr for Traceparent {
    type Err = TraceparentError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Traceparent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "00-{:032x}-{:016x}-{:02x}",
            self.trace_id, self.parent_id, self.flags
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_traceparent_round_trips_through_its_text_form() {
        let tp = Traceparent::generate();
        let text = tp.to_string();
        assert_eq!(text.len(), 55);
        assert_eq!(Traceparent::parse(&text), Ok(tp));
        let child = tp.child();
        assert_eq!(child.trace_id(), tp.trace_id());
    }

    #[test]
    fn malformed_values_are_refused() {
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        ] {
            assert!(Traceparent::parse(bad).is_err(), "{bad}");
        }
        assert!(
            Traceparent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").is_ok()
        );
    }
}
