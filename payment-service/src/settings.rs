//! Settings: defaults in the crate, overridden by flags and environment variables.

use crate::store::Synchronous;
use clap::{Args, Parser, Subcommand};
use shared_events::service::backoff::{Backoff, BackoffPolicy};
use shared_events::service::relay::{RelaySettings, SinkMode};
use std::net::SocketAddr;
use std::time::Duration;
use url::Url;

/// payment-service: charges, declines and refunds for the order saga.
#[derive(Debug, Parser)]
#[command(
    name = "payment-service",
    version,
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  payment-service                        serve on 127.0.0.1:8082 with ./data/payment.db\n  PAYMENT_MAX_AMOUNT_CENTS=5000 payment-service serve"
)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<CliCommand>,
    /// Settings for `serve` when no subcommand is given.
    #[command(flatten)]
    pub serve: PaymentSettings,
}

/// The subcommands.
// Parsed once at start; boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Serve the HTTP API and run the outbox relay (the default).
    Serve(PaymentSettings),
}

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct DatabaseSettings {
    /// Database URL: `sqlite://PATH` (created if missing) or `postgres://USER@HOST/DB` (for
    /// several replicas on one database).
    #[arg(
        long,
        env = "PAYMENT_DATABASE_URL",
        default_value = "sqlite://./data/payment.db"
    )]
    pub database_url: String,
    /// SQLite `synchronous` in WAL mode: `normal` (default) syncs at checkpoints, so a process
    /// crash loses nothing and a power loss may lose the last commits; `full` syncs every commit.
    #[arg(
        long,
        env = "PAYMENT_SQLITE_SYNCHRONOUS",
        value_enum,
        default_value = "normal"
    )]
    pub sqlite_synchronous: Synchronous,
}

/// Everything `serve` needs.
#[derive(Debug, Clone, Args)]
pub struct PaymentSettings {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "PAYMENT_LISTEN", default_value = "127.0.0.1:8082")]
    pub listen: SocketAddr,
    /// The database.
    #[command(flatten)]
    pub database: DatabaseSettings,
    /// Where outgoing events are posted (Knative's K_SINK): order-service's `/events` in direct
    /// mode, the gateway's in gateway mode.
    #[arg(
        long = "k-sink",
        env = "K_SINK",
        default_value = "http://127.0.0.1:8081/events"
    )]
    pub sink: Url,
    /// Charges above this amount (in cents) are declined.
    #[arg(long, env = "PAYMENT_MAX_AMOUNT_CENTS", default_value_t = 100_000)]
    pub max_amount_cents: i64,
    /// Base URL of the schema registry named by every event's `dataschema`.
    #[arg(long, env = "PAYMENT_SCHEMA_BASE_URL", default_value = shared_events::producer::DEFAULT_SCHEMA_BASE)]
    pub schema_base_url: Url,
    /// The CloudEvents `source` of everything this service emits.
    #[arg(long, env = "PAYMENT_SOURCE", default_value = "/payment-service")]
    pub source: String,
    /// The outbox relay.
    #[command(flatten)]
    pub relay: RelayArgs,
}

/// Outbox relay settings: the retry schedule is data, not code.
#[derive(Debug, Clone, Copy, Args)]
pub struct RelayArgs {
    /// First retry delay (ms); doubles per attempt, with jitter.
    #[arg(long, env = "PAYMENT_RELAY_BACKOFF_MS", default_value_t = 100)]
    pub relay_backoff_ms: u64,
    /// Longest retry delay (ms).
    #[arg(long, env = "PAYMENT_RELAY_BACKOFF_MAX_MS", default_value_t = 30_000)]
    pub relay_backoff_max_ms: u64,
    /// Events claimed per round.
    #[arg(long, env = "PAYMENT_RELAY_BATCH", default_value_t = 256)]
    pub relay_batch: u32,
    /// How long a claim is held before it is taken over (ms); longer than the send timeout.
    #[arg(long, env = "PAYMENT_RELAY_LEASE_MS", default_value_t = 15_000)]
    pub relay_lease_ms: u64,
    /// Per-attempt timeout (ms).
    #[arg(long, env = "PAYMENT_RELAY_TIMEOUT_MS", default_value_t = 5_000)]
    pub relay_timeout_ms: u64,
    /// Aggregates sent to concurrently.
    #[arg(long, env = "PAYMENT_RELAY_CONCURRENCY", default_value_t = 64)]
    pub relay_concurrency: usize,
    /// How events are posted to the sink: `batch` (default) sends each relay round as one
    /// `application/cloudevents-batch+json` request (falling back to single events when refused);
    /// `binary` sends one binary-mode request per event.
    #[arg(long, env = "PAYMENT_RELAY_MODE", value_enum, default_value = "batch")]
    pub relay_mode: RelayMode,
}

/// How the relay posts to the sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RelayMode {
    /// One binary-mode request per event.
    Binary,
    /// One batched-mode request per relay round.
    Batch,
}

impl RelayArgs {
    /// The sink mode.
    pub fn sink_mode(&self) -> SinkMode {
        match self.relay_mode {
            RelayMode::Binary => SinkMode::Binary,
            RelayMode::Batch => SinkMode::Batch,
        }
    }

    /// As the shared relay's settings.
    pub fn settings(&self) -> RelaySettings {
        RelaySettings {
            batch_size: self.relay_batch.max(1),
            lease: Duration::from_millis(self.relay_lease_ms),
            backoff: Backoff {
                policy: BackoffPolicy::Exponential,
                delay: Duration::from_millis(self.relay_backoff_ms),
                max: Duration::from_millis(self.relay_backoff_max_ms),
            },
            idle_poll: Duration::from_secs(1),
            concurrency: self.relay_concurrency.max(1),
        }
    }
}

impl PaymentSettings {
    /// Defaults for a test: port 0, the given database and sink, fast retries.
    pub fn for_tests(database_url: String, sink: Url) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database: DatabaseSettings {
                database_url,
                sqlite_synchronous: Synchronous::Normal,
            },
            sink,
            max_amount_cents: 100_000,
            schema_base_url: shared_events::producer::DEFAULT_SCHEMA_BASE
                .parse()
                .unwrap_or_else(|_| unreachable!("a valid constant URL")),
            source: "/payment-service".to_owned(),
            relay: RelayArgs {
                relay_backoff_ms: 20,
                relay_backoff_max_ms: 500,
                relay_batch: 256,
                relay_lease_ms: 2_000,
                relay_timeout_ms: 1_000,
                relay_concurrency: 64,
                relay_mode: RelayMode::Batch,
            },
        }
    }
}
