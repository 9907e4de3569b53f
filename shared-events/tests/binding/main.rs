//! The CloudEvents 1.0.2 HTTP binding, proven against a real axum server on port 0: the
//! conformance suite, the spec's JSON Schema, a round-trip property test, malformed input and
//! reply events.

mod conformance;
mod malformed;
mod reply;
mod roundtrip;
mod support;
