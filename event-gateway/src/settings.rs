//! Settings as data: every knob a flag with an environment fallback, defaults in the crate.
//! `GATEWAY_LISTEN` and `GATEWAY_DATABASE_URL` alone are enough to start a gateway.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use ipnet::IpNet;
use url::Url;

use crate::auth::BearerToken;
use crate::domain::{DeliveryPolicy, IsoDuration};

/// The `event-gateway` command line.
#[derive(Debug, Parser)]
#[command(
    name = "event-gateway",
    version,
    args_conflicts_with_subcommands = true,
    about = "A durable CloudEvents gateway: ingress, subscriptions, fan-out with retries, dead letters"
)]
pub struct Cli {
    /// What to run; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The gateway's settings when no subcommand is given.
    #[command(flatten)]
    pub serve: GatewaySettings,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once at start
pub enum Command {
    /// Run the gateway (the default).
    ///
    /// Example: `event-gateway serve --listen 127.0.0.1:8080 --database-url sqlite://./data/gateway.db`,
    /// or `--database-url postgres://gateway@db.internal/gateway` for one of several replicas.
    Serve(GatewaySettings),
    /// Print every CloudEvent received, readably (like Knative's event_display).
    ///
    /// Example: `event-gateway display --listen 127.0.0.1:9000`, then subscribe
    /// `http://127.0.0.1:9000/` to the gateway.
    Display(DisplaySettings),
}

/// Settings of `event-gateway display`.
#[derive(Debug, Clone, Args)]
pub struct DisplaySettings {
    /// Address to listen on.
    #[arg(long, env = "DISPLAY_LISTEN", default_value = "127.0.0.1:9000")]
    pub listen: SocketAddr,
}

/// Settings of the gateway.
#[derive(Debug, Clone, Args)]
pub struct GatewaySettings {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "GATEWAY_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Database URL: `sqlite://path` (created if missing; one process per file) or
    /// `postgres://user:password@host/db` (the database must exist; any number of replicas may
    /// share it). Migrations run at start.
    #[arg(
        long,
        env = "GATEWAY_DATABASE_URL",
        default_value = "sqlite://./data/gateway.db"
    )]
    pub database_url: String,
    /// On SQLite, also fsync the delivery bookkeeping (claims, outcomes, pull settlements). Off
    /// (the default), only what a client was promised is fsynced (accepted events,
    /// subscriptions, jobs, redeliveries); a power loss can then forget the latest outcomes,
    /// and those deliveries are made again: at least once still holds, and the next fsynced
    /// commit makes everything before it durable.
    #[arg(long, env = "GATEWAY_DURABLE_OUTCOMES")]
    pub durable_outcomes: bool,
    /// Static subscriptions (YAML or TOML) upserted at start.
    #[arg(long, env = "GATEWAY_SUBSCRIPTIONS")]
    pub subscriptions: Option<PathBuf>,
    /// How long a (source, id) is remembered to drop duplicates.
    #[arg(long, env = "GATEWAY_DEDUPE_WINDOW", default_value = "P1D")]
    pub dedupe_window: IsoDuration,
    /// How long accepted events (and delivery history) are kept.
    #[arg(long, env = "GATEWAY_RETENTION", default_value = "P7D")]
    pub retention: IsoDuration,
    /// How often retention runs.
    #[arg(long, env = "GATEWAY_PURGE_INTERVAL", default_value = "PT1M")]
    pub purge_interval: IsoDuration,
    /// Delivery attempts in flight at once, across all subscriptions.
    #[arg(long, env = "GATEWAY_MAX_IN_FLIGHT", default_value_t = 512)]
    pub max_in_flight: u32,
    /// Attempts in flight at once per subscription, unless it sets `maxConcurrency`.
    #[arg(long, env = "GATEWAY_SUBSCRIPTION_CONCURRENCY", default_value_t = 64)]
    pub subscription_concurrency: u32,
    /// Added to a subscription's attempt timeout to make the lease of a claimed delivery.
    #[arg(long, env = "GATEWAY_LEASE_GRACE", default_value = "PT30S")]
    pub lease_grace: IsoDuration,
    /// Most events written per ingest transaction (group commit).
    #[arg(long, env = "GATEWAY_INGEST_BATCH", default_value_t = 2048)]
    pub ingest_batch: usize,
    /// How long SIGTERM waits for attempts in flight.
    #[arg(long, env = "GATEWAY_DRAIN_TIMEOUT", default_value = "PT10S")]
    pub drain_timeout: IsoDuration,
    /// Largest request body (bytes).
    #[arg(long, env = "GATEWAY_BODY_LIMIT", default_value_t = 1024 * 1024)]
    pub body_limit: usize,
    /// Accept sinks on private and link-local addresses (loopback is accepted when listening
    /// on loopback only).
    #[arg(long, env = "GATEWAY_ALLOW_PRIVATE_SINKS")]
    pub allow_private_sinks: bool,
    /// Default `delivery.retry` of new subscriptions.
    #[arg(long, env = "GATEWAY_DEFAULT_RETRY", default_value_t = 5)]
    pub default_retry: u32,
    /// Default `delivery.backoffDelay`.
    #[arg(long, env = "GATEWAY_DEFAULT_BACKOFF_DELAY", default_value = "PT1S")]
    pub default_backoff_delay: IsoDuration,
    /// Default `delivery.backoffMax`.
    #[arg(long, env = "GATEWAY_DEFAULT_BACKOFF_MAX", default_value = "PT1M")]
    pub default_backoff_max: IsoDuration,
    /// Default `delivery.timeout`.
    #[arg(long, env = "GATEWAY_DEFAULT_TIMEOUT", default_value = "PT10S")]
    pub default_timeout: IsoDuration,
    /// Sinks in these networks (CIDR, comma-separated) are accepted whatever their address
    /// class, e.g. `127.0.0.0/8,10.1.0.0/16`.
    #[arg(long, env = "GATEWAY_ALLOW_SINKS", value_delimiter = ',')]
    pub allow_sinks: Vec<IpNet>,
    /// Only deliver to `https` sinks.
    #[arg(long, env = "GATEWAY_HTTPS_ONLY")]
    pub https_only: bool,
    /// Bearer tokens that may read and write the API (comma-separated; at least 16 characters).
    #[arg(
        long = "api-token",
        env = "GATEWAY_API_TOKENS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub api_tokens: Vec<BearerToken>,
    /// Bearer tokens that may only read (`GET`) the API.
    #[arg(
        long = "read-token",
        env = "GATEWAY_READ_TOKENS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub read_tokens: Vec<BearerToken>,
    /// Listen on a non-loopback address without tokens (an open API): only for trusted networks.
    #[arg(long, env = "GATEWAY_INSECURE")]
    pub insecure: bool,
    /// `WebHook-Request-Origin` of handshakes and deliveries: a DNS name naming this gateway.
    #[arg(
        long,
        env = "GATEWAY_WEBHOOK_ORIGIN",
        default_value = "event-gateway.local"
    )]
    pub webhook_origin: String,
    /// `WebHook-Request-Rate` (requests per minute) asked for subscriptions without `rateLimit`.
    #[arg(long, env = "GATEWAY_HANDSHAKE_RATE", default_value_t = 600)]
    pub handshake_rate: u32,
    /// The gateway's public base URL; when set, handshakes offer `WebHook-Request-Callback`.
    #[arg(long, env = "GATEWAY_PUBLIC_URL")]
    pub public_url: Option<Url>,
    /// The base URL of the schema registry this gateway serves (its events' `dataschema`s point
    /// there); default `<public URL>/registry`, else `http://<listen address>/registry`.
    #[arg(long, env = "GATEWAY_REGISTRY_URL")]
    pub registry_url: Option<Url>,
    /// How long an old secret keeps signing after `POST /subscriptions/{id}/secret/rotate`.
    #[arg(long, env = "GATEWAY_SECRET_ROTATION_GRACE", default_value = "P1D")]
    pub secret_rotation_grace: IsoDuration,
    /// A subscription whose attempts have all failed for this long is disabled.
    #[arg(long, env = "GATEWAY_DISABLE_AFTER", default_value = "P5D")]
    pub disable_after: IsoDuration,
    /// Inbound webhook sources (YAML or TOML) for `POST /webhooks/{source}`.
    #[arg(long, env = "GATEWAY_WEBHOOK_SOURCES")]
    pub webhook_sources: Option<PathBuf>,
    /// How far an inbound webhook's timestamp may be from now.
    #[arg(long, env = "GATEWAY_WEBHOOK_TOLERANCE", default_value = "PT5M")]
    pub webhook_tolerance: IsoDuration,
    /// Longest a request may take, body included (408 after).
    #[arg(long, env = "GATEWAY_REQUEST_TIMEOUT", default_value = "PT30S")]
    pub request_timeout: IsoDuration,
    /// Longest a client may take to send a request's headers.
    #[arg(long, env = "GATEWAY_HEADER_READ_TIMEOUT", default_value = "PT10S")]
    pub header_read_timeout: IsoDuration,
    /// Most headers a request may have.
    #[arg(long, env = "GATEWAY_MAX_HEADERS", default_value_t = 100)]
    pub max_headers: usize,
    /// Largest request head (request line and headers), bytes (at least 8192).
    #[arg(long, env = "GATEWAY_MAX_HEADER_BYTES", default_value_t = 64 * 1024)]
    pub max_header_bytes: usize,
    /// Most client connections open at once.
    #[arg(long, env = "GATEWAY_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,
}

impl GatewaySettings {
    /// Settings for `listen` and `database_url`, everything else at its default.
    pub fn new(listen: SocketAddr, database_url: impl Into<String>) -> Self {
        let mut settings = Cli::parse_from(["event-gateway"]).serve;
        settings.listen = listen;
        settings.database_url = database_url.into();
        settings
    }

    /// The registry's base URL: [`GatewaySettings::registry_url`], or derived from the public
    /// URL or the bound address.
    ///
    /// # Errors
    /// When the derived URL does not parse (an unusual listen address).
    pub fn registry_base(&self, bound: SocketAddr) -> anyhow::Result<Url> {
        if let Some(url) = &self.registry_url {
            return Ok(url.clone());
        }
        let base = match &self.public_url {
            Some(public) => format!("{}/registry", public.as_str().trim_end_matches('/')),
            None => format!("http://{bound}/registry"),
        };
        Url::parse(&base).with_context(|| format!("`{base}` is not a URL"))
    }

    /// The delivery defaults new subscriptions get.
    pub fn delivery_defaults(&self) -> DeliveryPolicy {
        let mut policy = DeliveryPolicy {
            retry: self.default_retry,
            timeout: self.default_timeout.get(),
            ..DeliveryPolicy::default()
        };
        policy.backoff.delay = self.default_backoff_delay.get();
        policy.backoff.max = self.default_backoff_max.get();
        policy
    }
}
