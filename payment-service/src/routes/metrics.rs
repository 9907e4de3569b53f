//! `GET /metrics`: Prometheus text. Counters are recorded where things happen
//! (`payment_events_received_total{type}`, `payment_events_sent_total{type}`,
//! `payment_payments_total{outcome}`, …); the gauges (`payment_outbox_depth`,
//! `payment_payments{status}`) are refreshed from the store on each scrape.

use crate::startup::AppState;
use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;

/// The metrics route.
pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(render_metrics))
}

async fn render_metrics(State(state): State<AppState>) -> impl IntoResponse {
    let store = state.payments.store();
    if let Ok(depth) = store.outbox_depth().await {
        metrics::gauge!("payment_outbox_depth").set(depth as f64);
    }
    if let Ok(counts) = store.count_by_status().await {
        for (status, n) in counts {
            metrics::gauge!("payment_payments", "status" => status).set(n as f64);
        }
    }
    (
        [(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        shared_events::service::metrics::handle().render(),
    )
}
