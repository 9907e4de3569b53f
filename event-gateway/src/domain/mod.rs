//! The gateway's domain: what a subscription is, which events it matches, what a sink may be,
//! and what happens after an attempt. No HTTP framework and no database in here.

pub mod delivery;
pub mod duration;
pub mod filter;
pub mod retry;
pub mod signing;
pub mod sink;
pub mod state;
pub mod subscription;

pub use duration::IsoDuration;
pub use filter::{EventAttributes, Filter};
pub use retry::{AttemptContext, AttemptResult, DeadLetterReason, Outcome, decide};
pub use signing::{SigningKey, WebhookSecret};
pub use sink::{SinkError, SinkPolicy, SinkUrl};
pub use state::{RateLimit, Status, SubscriptionState};
pub use subscription::{
    DeliveryMode, DeliveryPolicy, FieldError, Format, Ordering, SecretInput, StartFrom,
    Subscription, SubscriptionId,
};
