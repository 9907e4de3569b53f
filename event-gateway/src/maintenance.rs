//! Background upkeep: retention (events, history and dedupe keys purged in bounded batches)
//! and the pending-deliveries gauge.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use shared_events::service::shutdown::CancellationToken;

use crate::store::{Purge, Store};

/// What to keep and how often to look.
#[derive(Debug, Clone, Copy)]
pub struct RetentionSettings {
    /// Events and history older than this go.
    pub retention: Duration,
    /// Dedupe keys older than this go.
    pub dedupe_window: Duration,
    /// How often to purge.
    pub interval: Duration,
}

fn ago(d: Duration) -> chrono::DateTime<Utc> {
    Utc::now() - chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// Purges every `interval` and refreshes the pending gauge every few seconds, until `shutdown`.
pub async fn run(store: Arc<dyn Store>, settings: RetentionSettings, shutdown: CancellationToken) {
    let mut gauge = tokio::time::interval(Duration::from_secs(5));
    let mut purge = tokio::time::interval(settings.interval);
    gauge.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    purge.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = gauge.tick() => match store.pending().await {
                Ok(n) => metrics::gauge!("gateway_deliveries_pending").set(n as f64),
                Err(error) => tracing::warn!(error = ?error, "counting pending deliveries failed"),
            },
            _ = purge.tick() => {
                let request = Purge {
                    events_before: ago(settings.retention),
                    history_before: ago(settings.retention),
                    dedupe_before: ago(settings.dedupe_window),
                    batch: 1000,
                };
                match store.purge(request).await {
                    Ok(purged) if purged != Default::default() => tracing::info!(?purged, "retention purged"),
                    Ok(_) => {}
                    Err(error) => tracing::warn!(error = ?error, "retention purge failed"),
                }
            }
        }
    }
}
