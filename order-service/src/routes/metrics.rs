//! `GET /metrics`: Prometheus text. Counters are recorded where things happen
//! (`order_events_received_total{type}`, `order_events_sent_total{type}`, …); the gauges
//! (`order_outbox_depth`, `order_orders{status}`, `order_projection_behind`) are refreshed from
//! the store on each scrape.

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
    let store = state.orders.store();
    if let Ok(depth) = store.outbox_depth().await {
        metrics::gauge!("order_outbox_depth").set(depth as f64);
    }
    if let Ok(counts) = store.count_by_status().await {
        for (status, n) in counts {
            metrics::gauge!("order_orders", "status" => status).set(n as f64);
        }
    }
    if let (Ok(head), Ok(checkpoint)) = (store.head_position().await, store.checkpoint().await) {
        metrics::gauge!("order_projection_behind").set((head - checkpoint).max(0) as f64);
    }
    (
        [(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        shared_events::service::metrics::handle().render(),
    )
}
