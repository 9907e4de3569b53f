//! `event-gateway display`: a sink that prints every CloudEvent it receives, readably, like
//! Knative's `event_display`. Point a subscription at it to watch events arrive.

use axum::Router;
use axum::routing::any;
use http::StatusCode;
use shared_events::http::Incoming;
use shared_events::service::shutdown::CancellationToken;

use crate::settings::DisplaySettings;

/// One event as text; the formatting lives in shared-events so `cectl receive` prints the same.
pub use shared_events::display::render;

/// Serves the display until `shutdown`.
///
/// # Errors
/// When the address cannot be bound.
pub async fn run(settings: DisplaySettings, shutdown: CancellationToken) -> anyhow::Result<()> {
    let app = Router::new().fallback(any(show_events));
    let listener = tokio::net::TcpListener::bind(settings.listen).await?;
    eprintln!(
        "event display listening on http://{}/",
        listener.local_addr()?
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await?;
    Ok(())
}

async fn show_events(incoming: Incoming) -> StatusCode {
    for event in incoming.into_events() {
        println!("{}", render(&event));
    }
    StatusCode::ACCEPTED
}
