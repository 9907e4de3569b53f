//! The HTTP server loop, with the limits `axum::serve` does not offer: a deadline for a
//! request's headers (so a slow client cannot hold a connection open by trickling them), a
//! cap on header count and size, and a cap on open connections. Per-request time limits and
//! body limits are layers on the router ([`crate::startup`]).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use shared_events::service::shutdown::CancellationToken;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Connection-level limits.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// How long a client may take to send a request's headers.
    pub header_read_timeout: Duration,
    /// Most headers per request.
    pub max_headers: usize,
    /// Largest request head in bytes (at least 8 KiB).
    pub max_header_bytes: usize,
    /// Most connections open at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// How long shutdown waits for open connections to finish.
    pub drain: Duration,
}

/// Serves `router` on `listener` until `shutdown`, then stops accepting and lets open
/// connections finish their requests (up to `limits.drain`); connections still open then (an
/// SSE stream never finishes by itself) are closed, so nothing holds the router afterwards.
///
/// # Errors
/// Never at present; the signature leaves room for fatal listener errors.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_headers(limits.max_headers.max(1))
        .max_buf_size(limits.max_header_bytes.max(8192));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX));
    let connections = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    // Every connection's task, so those still open after the drain (a live SSE stream never
    // ends by itself) are ended: each holds the router, and with it handles the shutdown
    // waits for.
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        while tasks.try_join_next().is_some() {}
        let permit = tokio::select! {
            () = shutdown.cancelled() => break,
            permit = connections.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tasks.spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(error = %error, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the drain timeout were closed");
    }
    tasks.shutdown().await;
    Ok(())
}
