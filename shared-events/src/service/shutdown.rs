//! The one shutdown signal: a [`CancellationToken`] cancelled on SIGINT or SIGTERM, passed to
//! `axum::serve(..).with_graceful_shutdown(..)` and to every worker loop.

pub use tokio_util::sync::CancellationToken;

/// A token that is cancelled when the process receives SIGINT (Ctrl-C) or SIGTERM.
pub fn on_signals() -> CancellationToken {
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            () = ctrl_c => tracing::info!("SIGINT received, shutting down"),
            () = term => tracing::info!("SIGTERM received, shutting down"),
        }
        cancel.cancel();
    });
    token
}
