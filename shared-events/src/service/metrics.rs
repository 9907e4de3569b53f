//! Prometheus metrics: one recorder per process, rendered by `GET /metrics` in the text format.
//!
//! Several applications can live in one process (the `stack` binary, or tests that spawn many
//! apps), so the recorder is installed once and shared; metric names carry the component prefix
//! (`gateway_`, `order_`, `payment_`) so they never collide.

use axum::Router;
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

/// The process-wide Prometheus handle, installing the recorder on first use.
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                    10.0, 30.0,
                ])
                .unwrap_or_else(|_| PrometheusBuilder::new())
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (a test harness); then ours still
            // renders, it just sees nothing recorded through the global macros.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// A router serving `GET /metrics` in the Prometheus text format.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route(
        "/metrics",
        get(|| async {
            (
                [(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                handle().render(),
            )
                .into_response()
        }),
    )
}
