//! Wiring: [`Application::build`] opens the store, registers the bus handlers, merges the
//! routers and binds the listener; [`Application::run_until_stopped`] serves HTTP and runs the
//! outbox relay and the projector until the shutdown token is cancelled, then drains them.

use crate::domain::{self, Orders};
use crate::error::ApiError;
use crate::payments::PaymentClient;
use crate::projection::Projector;
use crate::routes;
use crate::settings::OrderSettings;
use crate::store::{self, OrderStore};
use anyhow::Context as _;
use axum::Router;
use shared_events::bus::{CommandBus, EventBus};
use shared_events::producer::Producer;
use shared_events::service::relay::{HttpSink, Relay};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_http::trace::TraceLayer;

/// How long in-flight work may take to finish after shutdown is requested.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The use cases (and through them the store).
    pub orders: Arc<Orders>,
    /// Commands and queries, one handler each.
    pub commands: Arc<CommandBus<ApiError>>,
    /// Incoming events, any number of handlers each.
    pub events: Arc<EventBus<ApiError>>,
    /// payment-service, asked with `payment.get.v1`.
    pub payments: PaymentClient,
    /// Builds reply events.
    pub producer: Producer,
}

/// A built, bound, not yet running order-service.
pub struct Application {
    listener: TcpListener,
    router: Router,
    relay: Relay<dyn OrderStore, HttpSink>,
    projector: Projector,
}

impl Application {
    /// Opens the database (migrating it), wires the buses and binds the listen address.
    ///
    /// # Errors
    /// When the database cannot be opened or the address cannot be bound.
    pub async fn build(settings: OrderSettings) -> anyhow::Result<Self> {
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
        settings: OrderSettings,
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
            "order",
        );
        let wake_projector = Arc::new(Notify::new());
        let projector = Projector::new(store.clone(), wake_projector.clone());
        let orders = Arc::new(Orders::new(
            store,
            producer.clone(),
            settings.emit_order_created_v1,
            relay.waker(),
            wake_projector,
        ));
        let mut commands = CommandBus::new();
        domain::command::register(&mut commands, &orders)?;
        let mut events = EventBus::new();
        domain::event::register(&mut events, &orders);
        let payments = PaymentClient::new(
            reqwest::Client::new(),
            settings.payment_url.clone(),
            producer.clone(),
            Duration::from_millis(settings.payment_timeout_ms),
        );
        let state = AppState {
            orders,
            commands: Arc::new(commands),
            events: Arc::new(events),
            payments,
            producer,
        };
        let router = Router::new()
            .merge(routes::orders::router())
            .merge(routes::order_events::router())
            .merge(routes::events::router())
            .merge(routes::health::router())
            .merge(routes::metrics::router())
            .merge(shared_events::asyncapi::router(
                &shared_events::asyncapi::ORDER_SERVICE,
                &format!("http://{}", listener.local_addr()?),
                &settings.schema_base_url,
            ))
            .layer(TraceLayer::new_for_http())
            .with_state(state);
        Ok(Self {
            listener,
            router,
            relay,
            projector,
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
    /// the relay finish its round and the projector its batch, then returns.
    ///
    /// # Errors
    /// When serving fails.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let tracker = TaskTracker::new();
        tracker.spawn(self.relay.run(shutdown.clone()));
        tracker.spawn(self.projector.run(shutdown.clone()));
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
            tracing::warn!(
                "background tasks did not finish in time; their claims expire with their lease"
            );
        }
        served
    }
}
