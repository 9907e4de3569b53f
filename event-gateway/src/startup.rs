//! Wiring: [`Application::build`] opens the store, loads static subscriptions, binds the
//! listener and assembles the router; [`Application::run_until_stopped`] runs the server, the
//! dispatcher and the upkeep tasks until the token is cancelled, then drains.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use axum::{Extension, Router};
use chrono::Utc;
use http::StatusCode;
use shared_events::http::axum::BodyLimit;
use shared_events::service::shutdown::CancellationToken;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auth::{self, Tokens};
use crate::cache::SubscriptionCache;
use crate::dispatch::{DispatchSettings, DispatchShared, Dispatcher, FlowControl, Sender};
use crate::domain::{SinkPolicy, Status, SubscriptionState};
use crate::error::problem_json;
use crate::handshake::{self, HandshakeSettings};
use crate::ingest::{Commits, IngestQueue, IngestSettings};
use crate::maintenance::{self, RetentionSettings};
use crate::routes::{self, AppState, WebhookSettings};
use crate::server::{self, ServerLimits};
use crate::settings::GatewaySettings;
use crate::static_subscriptions;
use crate::store::{self, LeaseOwner, Store};

/// How often the subscriptions' version is polled: a change made through another replica takes
/// effect here within this period (plus one reload).
const REFRESH_PERIOD: Duration = Duration::from_millis(250);

/// `url` with its password (if any) masked, for messages.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// A built gateway, bound and ready to run.
pub struct Application {
    settings: GatewaySettings,
    listener: TcpListener,
    router: Router,
    store: Arc<dyn Store>,
    cache: Arc<SubscriptionCache>,
    wake: Arc<Notify>,
    sender: Sender,
    shared: DispatchShared,
    handshakes: Arc<HandshakeSettings>,
    writer: tokio::task::JoinHandle<()>,
    jobs: Arc<Notify>,
}

impl Application {
    /// Opens the database (running migrations), upserts static subscriptions, binds the
    /// listener and builds the router.
    ///
    /// # Errors
    /// When the database cannot be opened, the subscriptions file is invalid or the address
    /// cannot be bound.
    pub async fn build(settings: GatewaySettings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("binding {}", settings.listen))?;
        Self::build_with_listener(settings, listener).await
    }

    /// [`Application::build`] on a listener bound by the caller (so a caller that wires several
    /// applications together can know every address before building any of them).
    ///
    /// # Errors
    /// As [`Application::build`].
    pub async fn build_with_listener(
        mut settings: GatewaySettings,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        settings.listen = listener.local_addr()?;
        shared_events::service::metrics::handle();
        let tokens = Tokens::new(settings.api_tokens.clone(), settings.read_tokens.clone());
        if !settings.listen.ip().is_loopback() && !tokens.enabled() && !settings.insecure {
            bail!(
                "refusing to listen on {} without API tokens: set GATEWAY_API_TOKENS (or \
                 --api-token), or pass --insecure to run an open API on a trusted network",
                settings.listen
            );
        }
        let webhooks = WebhookSettings {
            sources: match &settings.webhook_sources {
                Some(path) => crate::inbound::load(path)?
                    .into_iter()
                    .map(|s| (s.name.clone(), s))
                    .collect(),
                None => Default::default(),
            },
            tolerance: settings.webhook_tolerance.get(),
        };
        let options = store::StoreOptions {
            durable_outcomes: settings.durable_outcomes,
        };
        let store = store::connect_with(&settings.database_url, options)
            .await
            .with_context(|| format!("opening {}", redact(&settings.database_url)))?;
        let replica = LeaseOwner::generate();
        let local = listener.local_addr()?;
        let mut sink_policy = SinkPolicy::for_listener(local.ip());
        sink_policy.allow_private = settings.allow_private_sinks;
        sink_policy.allow = settings.allow_sinks.clone().into();
        sink_policy.https_only = settings.https_only;
        let defaults = settings.delivery_defaults();
        if let Some(path) = &settings.subscriptions {
            let subs = static_subscriptions::load(path, &defaults, &sink_policy)?;
            for sub in &subs {
                let mut sub = sub.clone();
                if sub.delivery.handshake {
                    sub.state = SubscriptionState::new(Status::PendingValidation, None, Utc::now());
                }
                store.upsert_subscription(&sub, Utc::now()).await?;
            }
            tracing::info!(count = subs.len(), file = %path.display(), "static subscriptions loaded");
        }
        let cache = Arc::new(SubscriptionCache::default());
        cache.reload(store.as_ref()).await?;
        let wake = Arc::new(Notify::new());
        let ingest_settings = IngestSettings {
            max_batch: settings.ingest_batch.max(1),
            dedupe_window: settings.dedupe_window.get(),
        };
        let commits = Commits::new(wake.clone());
        let jobs_kick = Arc::new(Notify::new());
        let (ingest, writer) = IngestQueue::start(
            store.clone(),
            cache.clone(),
            ingest_settings,
            commits.clone(),
        );
        let sender = Sender::new(sink_policy.clone()).context("building the HTTP client")?;
        let handshakes = Arc::new(HandshakeSettings {
            origin: Arc::from(settings.webhook_origin.as_str()),
            default_rate_per_minute: settings.handshake_rate.max(1),
            public_url: settings.public_url.clone(),
        });
        let shared = DispatchShared {
            flow: Arc::new(FlowControl::default()),
            origin: handshakes.origin.clone(),
            owner: replica.clone(),
            ingest: ingest.clone(),
        };
        let state = AppState {
            store: store.clone(),
            cache: cache.clone(),
            ingest,
            sink_policy,
            delivery_defaults: Arc::new(defaults),
            commits: commits.clone(),
            jobs: jobs_kick.clone(),
            sender: sender.clone(),
            handshake: handshakes.clone(),
            flow: shared.flow.clone(),
            secret_grace: settings.secret_rotation_grace.get(),
            webhooks: Arc::new(webhooks),
            replica,
        };
        // The console has its own gate (the same tokens, also as a login cookie).
        let console = crate::console::router(crate::console::ConsoleSettings::new(
            &settings, &tokens, local,
        )?);
        // Behind bearer tokens when configured: the management API and `/events`.
        let protected = Router::new()
            .merge(routes::events::router())
            .merge(routes::subscriptions::router())
            .merge(routes::secret::router())
            .merge(routes::deadletters::router())
            .merge(routes::stream::router())
            .merge(routes::deliveries::router())
            .merge(routes::pull::router())
            .merge(routes::jobs::router())
            .merge(routes::pause::router())
            .route_layer(axum::middleware::from_fn_with_state(
                tokens,
                auth::require_token,
            ));
        let router = Router::new()
            .merge(protected)
            .merge(console)
            .merge(routes::webhooks::router())
            .merge(routes::handshake::router())
            .merge(routes::health::router())
            .merge(shared_events::service::metrics::router())
            .merge(shared_events::registry::router(
                settings.registry_base(local)?,
            ))
            .layer(Extension(BodyLimit(settings.body_limit)))
            .layer(axum::extract::DefaultBodyLimit::max(settings.body_limit))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                settings.request_timeout.get(),
            ))
            .layer(axum::middleware::from_fn(problem_json))
            .layer(TraceLayer::new_for_http())
            .with_state(state);
        Ok(Self {
            settings,
            listener,
            router,
            store,
            cache,
            wake,
            sender,
            shared,
            handshakes,
            writer,
            jobs: jobs_kick,
        })
    }

    /// The address the gateway listens on (the real port when it was 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(self.settings.listen)
    }

    /// Serves until `shutdown` is cancelled, then stops accepting, finishes requests in
    /// flight, drains delivery attempts (up to the drain timeout) and closes the database.
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let Self {
            settings,
            listener,
            router,
            store,
            cache,
            wake,
            sender,
            shared,
            handshakes,
            writer,
            jobs,
        } = self;
        let background = CancellationToken::new();
        let refresher = tokio::spawn(cache.clone().refresh_until(
            store.clone(),
            REFRESH_PERIOD,
            background.clone(),
        ));
        let retention = RetentionSettings {
            retention: settings.retention.get(),
            dedupe_window: settings.dedupe_window.get(),
            interval: settings.purge_interval.get(),
        };
        let upkeep = tokio::spawn(maintenance::run(
            store.clone(),
            retention,
            background.clone(),
        ));
        let dispatch = DispatchSettings {
            max_in_flight: settings.max_in_flight.max(1),
            subscription_concurrency: settings.subscription_concurrency.max(1),
            lease_grace: settings.lease_grace.get(),
            disable_after: settings.disable_after.get(),
        };
        let pending = tokio::spawn(validate_pending(
            store.clone(),
            cache.clone(),
            sender.clone(),
            handshakes,
        ));
        let job_runner = tokio::spawn(crate::jobs::run(
            store.clone(),
            shared.owner.clone(),
            jobs,
            background.clone(),
        ));
        let dispatcher = Dispatcher::start(
            store.clone(),
            cache,
            sender,
            dispatch,
            shared,
            wake,
            shutdown.clone(),
        );
        tracing::info!(address = %listener.local_addr()?, "event-gateway listening");
        let limits = ServerLimits {
            header_read_timeout: settings.header_read_timeout.get(),
            max_headers: settings.max_headers,
            max_header_bytes: settings.max_header_bytes,
            max_connections: settings.max_connections,
            drain: settings.drain_timeout.get(),
        };
        let served = server::serve(listener, router, limits, shutdown.clone()).await;
        pending.abort();
        // Attempts in flight may still store reply events: drain them first. Then the router
        // and the dispatcher (and with them every ingest handle) are gone, and the writer
        // finishes its queue.
        dispatcher.drain(settings.drain_timeout.get()).await;
        let _ = writer.await;
        background.cancel();
        let _ = tokio::join!(refresher, upkeep, job_runner);
        store.close().await;
        tracing::info!("event-gateway stopped");
        served.context("serving HTTP")
    }
}

/// Runs the handshake of every subscription still waiting for one (static subscriptions, or a
/// handshake cut short by a restart).
async fn validate_pending(
    store: Arc<dyn Store>,
    cache: Arc<SubscriptionCache>,
    sender: Sender,
    settings: Arc<HandshakeSettings>,
) {
    let Ok(subs) = store.subscriptions().await else {
        return;
    };
    for sub in subs {
        if sub.delivery.handshake && sub.state.status == Status::PendingValidation {
            if let Err(error) = handshake::validate(store.as_ref(), &sender, &settings, &sub).await
            {
                tracing::warn!(error = ?error, subscription = %sub.id, "handshake failed");
            }
        }
    }
    if let Err(error) = cache.reload(store.as_ref()).await {
        tracing::warn!(error = ?error, "could not reload subscriptions after handshakes");
    }
}
