//! Plumbing every server binary of the workspace shares, so each `main.rs` stays a few lines:
//! telemetry ([`telemetry`]), Prometheus metrics ([`metrics`]), the one shutdown token
//! ([`shutdown`]), retry backoff ([`backoff`]) and the outbox relay ([`relay`]).

pub mod backoff;
pub mod metrics;
pub mod relay;
pub mod shutdown;
pub mod telemetry;
