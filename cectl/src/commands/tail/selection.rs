//! Which lines `cectl tail` prints: `--type` and `--source` select events and the deliveries
//! of matching events, `--subscription` and `--status` select deliveries (and leave event
//! lines out).

use serde_json::Value;

use super::TailArgs;

/// One `--status` choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusFilter {
    /// An outcome: `delivered`, `retry`, `dead_lettered` or `redelivered`.
    Outcome(&'static str),
    /// `retry` or `dead_lettered`.
    Failed,
    /// This HTTP status.
    Code(u16),
    /// This HTTP status class (`5` for 5xx).
    Class(u16),
}

impl StatusFilter {
    /// Parses a `--status` value.
    ///
    /// # Errors
    /// A message listing what is accepted.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim().to_ascii_lowercase();
        Ok(match text.as_str() {
            "delivered" => Self::Outcome("delivered"),
            "retry" | "retrying" => Self::Outcome("retry"),
            "dead_lettered" | "dead-lettered" | "dead" => Self::Outcome("dead_lettered"),
            "redelivered" => Self::Outcome("redelivered"),
            "failed" => Self::Failed,
            _ => {
                let class = text
                    .strip_suffix("xx")
                    .and_then(|d| d.parse::<u16>().ok())
                    .filter(|d| (1..=5).contains(d));
                match (class, text.parse::<u16>()) {
                    (Some(class), _) => Self::Class(class),
                    (None, Ok(code)) if (100..=599).contains(&code) => Self::Code(code),
                    _ => {
                        return Err(format!(
                            "`{text}` is not a status: use delivered, retry, dead_lettered, \
                             redelivered, failed, an HTTP status (503) or a class (5xx)"
                        ));
                    }
                }
            }
        })
    }

    fn matches(&self, delivery: &Value) -> bool {
        let outcome = delivery.get("outcome").and_then(Value::as_str);
        let code = delivery.get("status").and_then(Value::as_u64);
        match self {
            Self::Outcome(o) => outcome == Some(o),
            Self::Failed => matches!(outcome, Some("retry" | "dead_lettered")),
            Self::Code(c) => code == Some(u64::from(*c)),
            Self::Class(c) => code.is_some_and(|s| s / 100 == u64::from(*c)),
        }
    }
}

/// Which lines to print.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    types: Vec<String>,
    sources: Vec<String>,
    subscriptions: Vec<String>,
    statuses: Vec<StatusFilter>,
}

impl Selection {
    /// The selection the flags ask for.
    pub fn from_args(args: &TailArgs) -> Self {
        Self {
            types: args.types.clone(),
            sources: args.sources.clone(),
            subscriptions: args.subscriptions.clone(),
            statuses: args.statuses.clone(),
        }
    }

    /// Whether an event (or a delivery's `event` summary) has a wanted type and source.
    fn event_matches(&self, event: &Value) -> bool {
        let text = |key: &str| event.get(key).and_then(Value::as_str).unwrap_or("");
        (self.types.is_empty() || self.types.iter().any(|p| text("type").starts_with(p)))
            && (self.sources.is_empty() || self.sources.iter().any(|s| text("source") == s))
    }

    /// Whether an event line is printed.
    pub fn shows_event(&self, event: &Value) -> bool {
        self.subscriptions.is_empty() && self.statuses.is_empty() && self.event_matches(event)
    }

    /// Whether a delivery line is printed.
    pub fn shows_delivery(&self, delivery: &Value) -> bool {
        let sub = delivery.get("subscription").and_then(Value::as_str);
        self.event_matches(delivery.get("event").unwrap_or(&Value::Null))
            && (self.subscriptions.is_empty()
                || self.subscriptions.iter().any(|s| Some(s.as_str()) == sub))
            && (self.statuses.is_empty() || self.statuses.iter().any(|s| s.matches(delivery)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn statuses_name_outcomes_codes_and_classes() {
        assert_eq!(
            StatusFilter::parse("retry"),
            Ok(StatusFilter::Outcome("retry"))
        );
        assert_eq!(
            StatusFilter::parse("Dead-Lettered"),
            Ok(StatusFilter::Outcome("dead_lettered"))
        );
        assert_eq!(StatusFilter::parse("503"), Ok(StatusFilter::Code(503)));
        assert_eq!(StatusFilter::parse("5xx"), Ok(StatusFilter::Class(5)));
        for bad in ["7xx", "99", "600", "sent", ""] {
            assert!(StatusFilter::parse(bad).is_err(), "{bad}");
        }
        let failed = json!({"outcome": "retry", "status": 503});
        assert!(StatusFilter::Failed.matches(&failed));
        assert!(StatusFilter::Class(5).matches(&failed));
        assert!(!StatusFilter::Outcome("delivered").matches(&failed));
        assert!(!StatusFilter::Class(5).matches(&json!({"outcome": "retry", "status": null})));
    }

    #[test]
    fn type_and_source_select_events_and_their_deliveries() {
        let selection = Selection {
            types: vec!["com.acme.".into()],
            sources: vec!["/a".into()],
            ..Selection::default()
        };
        let event = json!({"type": "com.acme.x.v1", "source": "/a", "id": "1"});
        assert!(selection.shows_event(&event));
        assert!(!selection.shows_event(&json!({"type": "com.other.x.v1", "source": "/a"})));
        assert!(!selection.shows_event(&json!({"type": "com.acme.x.v1", "source": "/b"})));
        let delivery = json!({"subscription": "s", "outcome": "delivered", "event": event});
        assert!(selection.shows_delivery(&delivery));
        let by_sub = Selection {
            subscriptions: vec!["s".into()],
            ..Selection::default()
        };
        assert!(by_sub.shows_delivery(&delivery));
        assert!(!by_sub.shows_delivery(&json!({"subscription": "t", "event": event})));
        assert!(
            !by_sub.shows_event(&event),
            "delivery filters leave events out"
        );
    }
}
