//! Wiring: [`Application::build`] opens the store, registers the bus handlers, merges the
//! routers and binds the listener; [`Application::run_until_stopped`] serves HTTP and runs the
//! outbox relay until the shutdown token is cancelled, then drains it.

use crate::domain::{self, Payments};
use crate::error::ApiError;
use crate::routes;
use crate::settings::PaymentSettings;
use crate::store::{self, PaymentStore};
use anyhow::Context as _;
use axum::Router;
use shared_events::bus::CommandBus;
use shared_events::producer::Producer;
use shared_events::service::relay::{HttpSink, Relay};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_http::trace::TraceLayer;

/// How long in-flight work may take to finish after shutdown is requested.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The use cases (and through them the store).
    pub payments: Arc<Payments>,
    /// Commands and queries, one handler each.
    pub commands: Arc<CommandBus<ApiError>>,
    /// Builds reply events.
    pub producer: Producer,
}

/// A built, bound, not yet running payment-service.
pub struct Application {
    listener: TcpListener,
    router: Router,
    relay: Relay<dyn PaymentStore, HttpSink>,
}

impl Application {
    /// Opens the database (migrating it), wires the bus and binds the listen address.
    ///
    /// # Errors
    /// When the database cannot be opened or the address cannot be bound.
    pub async fn build(settings: PaymentSettings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("binding {}", settings.listen))?;
        Self::build_with_listener(settings, listener).await
    }

    /// Like [`Application::build`] on an already bound listener (`settings.listen` is ignored):
    /// lets a caller learn both services' addresses before wiring them to each other.
    ///
    /// # Errors
    /// When the database cannot be opened.
    pub async fn build_with_listener(
        settings: PaymentSettings,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        // Install the process-wide recorder before anything is counted.
        shared_events::service::metrics::handle();
        let store = store::connect(
            &settings.database.database_url,
            settings.database.sqlite_synchronous,
        )
        .await
        .with_context(|| format!("opening {}", settings.database.database_url))?;
        let producer = Producer::new(settings.source.clone(), settings.schema_base_url.clone());
        let relay_client = reqwest::Client::builder()
            .timeout(Duration::from_millis(settings.relay.relay_timeout_ms))
            .pool_max_idle_per_host(256)
            .build()
            .context("building the relay's HTTP client")?;
        let relay = Relay::new(
            store.clone(),
            Arc::new(HttpSink::new(
                relay_client,
                settings.sink.clone(),
                settings.relay.sink_mode(),
            )),
            settings.relay.settings(),
            "payment",
        );
        let payments = Arc::new(Payments::new(
            store,
            producer.clone(),
            settings.max_amount_cents,
            relay.waker(),
        ));
        let mut commands = CommandBus::new();
        domain::command::register(&mut commands, &payments)?;
        let state = AppState {
            payments,
            commands: Arc::new(commands),
            producer,
        };
        let router = Router::new()
            .merge(routes::payments::router())
            .merge(routes::events::router())
            .merge(routes::health::router())
            .merge(routes::metrics::router())
            .merge(shared_events::asyncapi::router(
                &shared_events::asyncapi::PAYMENT_SERVICE,
                &format!("http://{}", listener.local_addr()?),
                &settings.schema_base_url,
            ))
            .layer(TraceLayer::new_for_http())
            .with_state(state);
        Ok(Self {
            listener,
            router,
            relay,
        })
    }

    /// The address it listens on (the real port when built with port 0).
    ///
    /// # Errors
    /// When the socket has no local address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` is cancelled: stops accepting, finishes in-flight requests, lets
    /// the relay finish its round, then returns.
    ///
    /// # Errors
    /// When serving fails.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let tracker = TaskTracker::new();
        tracker.spawn(self.relay.run(shutdown.clone()));
        tracker.close();
        let served = axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown.clone().cancelled_owned())
            .await
            .context("serving HTTP");
        shutdown.cancel();
        if tokio::time::timeout(DRAIN_TIMEOUT, tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("the relay did not finish in time; its claims expire with their lease");
        }
        served
    }
}
