//! The gateway's domain: what a subscription is, which events it matches, what a sink may be,
//! and what happens after an attempt. No HTTP framework and no database in here.

pub mod delivery;
pub mod duration;
pub mod filter;
pub mod retry;
pub mod sink;
pub mod subscription;

pub use duration::IsoDuration;
pub use filter::{EventAttributes, Filter};
pub use retry::{AttemptContext, AttemptResult, DeadLetterReason, Outcome, decide};
pub use sink::{SinkError, SinkPolicy, SinkUrl};
pub use subscription::{DeliveryPolicy, FieldError, Format, Subscription, SubscriptionId};
