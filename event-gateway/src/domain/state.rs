//! A subscription's life: whether deliveries flow to it (`active`), wait for the sink's consent
//! (`pending_validation`, the CloudEvents webhook handshake), were refused by the sink
//! (`refused`), were stopped by the gateway (`disabled`: the sink answered 410 Gone or kept
//! failing), or are held by an operator (`paused`, through `POST /subscriptions/{id}/pause`
//! until `/resume`). The state is the gateway's, not the client's: reads show it, writes ignore
//! it, and a PUT starts the subscription afresh (except that a paused one stays paused).

use chrono::{DateTime, Utc};

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Status {
    /// Deliveries flow.
    #[default]
    Active,
    /// Waiting for the sink to grant the handshake; matching events are held.
    PendingValidation,
    /// The sink did not consent; nothing is delivered or held.
    Refused,
    /// Stopped by the gateway; its pending deliveries were parked as dead letters.
    Disabled,
    /// Held by an operator: matching events are kept for it, nothing is attempted until it is
    /// resumed.
    Paused,
}

impl Status {
    /// The wire and stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::PendingValidation => "pending_validation",
            Self::Refused => "refused",
            Self::Disabled => "disabled",
            Self::Paused => "paused",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "active" => Self::Active,
            "pending_validation" => Self::PendingValidation,
            "refused" => Self::Refused,
            "disabled" => Self::Disabled,
            "paused" => Self::Paused,
            _ => return None,
        })
    }

    /// Whether new matching events are stored for it (active, waiting for consent, or paused).
    pub fn accepts_events(self) -> bool {
        matches!(self, Self::Active | Self::PendingValidation | Self::Paused)
    }
}

/// The gateway's state of a subscription.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SubscriptionState {
    /// Where it stands.
    pub status: Status,
    /// Why, in words (the sink's answer, `410 Gone`, …).
    pub reason: Option<String>,
    /// Since when.
    pub since: Option<DateTime<Utc>>,
    /// Since when every attempt has failed, if the last one did.
    pub failing_since: Option<DateTime<Utc>>,
    /// The rate the sink granted in the handshake (`WebHook-Allowed-Rate`), requests per minute;
    /// `None` when it granted any rate or there was no handshake.
    pub granted_per_minute: Option<u32>,
    /// The secret part of the handshake's callback URL (never shown).
    pub validation_token: Option<String>,
}

impl SubscriptionState {
    /// A state with `status` since `now`, for `reason`.
    pub fn new(status: Status, reason: Option<String>, now: DateTime<Utc>) -> Self {
        Self {
            status,
            reason,
            since: Some(now),
            ..Self::default()
        }
    }
}

/// A rate limit in events per second: a positive number.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct RateLimit(f64);

impl RateLimit {
    /// A limit of `per_second` (positive and finite).
    pub fn per_second(per_second: f64) -> Option<Self> {
        (per_second.is_finite() && per_second > 0.0).then_some(Self(per_second))
    }

    /// A limit of `n` requests per minute (the handshake's unit).
    pub fn per_minute(n: u32) -> Option<Self> {
        Self::per_second(f64::from(n) / 60.0)
    }

    /// Events per second.
    pub fn get(self) -> f64 {
        self.0
    }

    /// The same limit in requests per minute, rounded up (at least 1).
    pub fn as_per_minute(self) -> u32 {
        (self.0 * 60.0).ceil().clamp(1.0, f64::from(u32::MAX)) as u32
    }

    /// The stricter of two optional limits.
    pub fn stricter(a: Option<Self>, b: Option<Self>) -> Option<Self> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
            (a, b) => a.or(b),
        }
    }
}
