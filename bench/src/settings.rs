//! The command line, and the [`Plan`] it resolves to (sizes differ in `--quick` mode).

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

const EXAMPLES: &str = "\
Examples:
  cargo run --release -p bench                       full run (3 runs per figure), writes BENCHMARKS.md
  cargo run --release -p bench -- --quick --output target/BENCHMARKS.quick.md
                                                     smoke test, a few seconds, one run each
  cargo run --release -p bench -- --only fanout --duration 30
                                                     only the fan-out scenarios, longer runs
  cargo run --release -p bench -- --only saga --concurrency 128

Scenarios (for --only; a prefix selects several): floor, ingest, fanout-k1, fanout-k4,
latency-fixed, latency-half, saga, stream, pg-floor, pg-ingest, pg-fanout-k1, pg-fanout-k4,
pg-fanout-k1-x2, pg-fanout-k4-x2 (pg: the gateway on PostgreSQL, x2: two replicas).
latency-half needs fanout-k1 in the same run.";

/// Measures the event gateway on this machine against the HTTP floor, in one run, and writes the
/// table to BENCHMARKS.md with the machine's cores, memory, the commit and the date.
///
/// Starts the release binaries of event-gateway, order-service and payment-service as child
/// processes (building them first with `cargo build --release` unless --no-build), each on a
/// free port with a fresh temporary SQLite database, and kills them when it ends.
#[derive(Debug, Clone, Parser)]
#[command(name = "bench", version, after_help = EXAMPLES)]
pub struct BenchSettings {
    /// Smoke test: every scenario once with tiny sizes (a few seconds). Writes --output (default
    /// target/BENCHMARKS.quick.md), never BENCHMARKS.md.
    #[arg(long)]
    pub quick: bool,
    /// Where to write the report (default: BENCHMARKS.md at the workspace root).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Runs per figure; the median is reported with min and max [default: 3, 1 with --quick].
    #[arg(long, value_name = "N")]
    pub runs: Option<usize>,
    /// Requests in flight at once from the closed-loop posters (pooled keep-alive connections).
    #[arg(long, short, default_value_t = 64, value_name = "N")]
    pub concurrency: usize,
    /// How long each closed-loop run posts, in seconds; it then waits for every delivery
    /// [default: 8, 0.5 with --quick].
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<f64>,
    /// How long each open-loop latency run sends, in seconds, after a warm-up of a tenth of it
    /// [default: 10, 1 with --quick].
    #[arg(long, value_name = "SECONDS")]
    pub latency_duration: Option<f64>,
    /// The fixed rate of the first latency scenario, events per second.
    #[arg(long, default_value_t = 1000.0, value_name = "PER_SECOND")]
    pub latency_rate: f64,
    /// Most open-loop requests in flight at once (a send waiting for room is late).
    #[arg(long, default_value_t = 2048, value_name = "N")]
    pub max_in_flight: usize,
    /// How long to wait for the last deliveries after posting stops before calling events
    /// missing, in seconds.
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    pub drain_timeout: f64,
    /// Only the scenarios whose name starts with one of these (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub only: Vec<String>,
    /// Directory holding the event-gateway, order-service and payment-service binaries
    /// [default: this executable's directory].
    #[arg(long, env = "BENCH_BIN_DIR", value_name = "DIR")]
    pub bin_dir: Option<PathBuf>,
    /// Do not run `cargo build --release` for the binaries first.
    #[arg(long)]
    pub no_build: bool,
    /// `RUST_LOG` of the child processes.
    #[arg(long, default_value = "info", value_name = "FILTER")]
    pub child_log: String,
    /// Keep the temporary directory (databases and child logs) and print where it is.
    #[arg(long)]
    pub keep_temp: bool,
    /// The PostgreSQL server of the Postgres column: each run creates a fresh database there
    /// and drops it afterwards, so the URL's user must be allowed to create databases.
    #[arg(
        long,
        env = "BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres",
        value_name = "URL"
    )]
    pub postgres_url: String,
    /// Leave out the Postgres column (on a machine without a PostgreSQL server).
    #[arg(long)]
    pub no_postgres: bool,
}

/// The resolved sizes of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Runs per figure.
    pub runs: usize,
    /// Closed-loop concurrency.
    pub concurrency: usize,
    /// Closed-loop posting time.
    pub duration: Duration,
    /// Open-loop measured time.
    pub latency_duration: Duration,
    /// Open-loop warm-up before measuring.
    pub latency_warmup: Duration,
    /// The fixed latency rate.
    pub latency_rate: f64,
    /// Open-loop in-flight bound.
    pub max_in_flight: usize,
    /// Wait for stragglers.
    pub drain_timeout: Duration,
    /// Most events one closed-loop run may post (the ledgers are sized by it).
    pub max_events: usize,
    /// `RUST_LOG` of the children.
    pub child_log: String,
    /// Quick mode.
    pub quick: bool,
    /// The server of the Postgres scenarios (`None`: leave them out).
    pub postgres: Option<String>,
}

impl Plan {
    /// Resolves the defaults of `settings`.
    pub fn from_settings(settings: &BenchSettings) -> Self {
        let quick = settings.quick;
        let seconds = |value: Option<f64>, full: f64, fast: f64| {
            Duration::from_secs_f64(value.unwrap_or(if quick { fast } else { full }).max(0.05))
        };
        let duration = seconds(settings.duration, 8.0, 0.5);
        let latency_duration = seconds(settings.latency_duration, 10.0, 1.0);
        // Room for 100,000 events/s, far above the floor of a small machine.
        let max_events = ((duration.as_secs_f64() * 100_000.0) as usize).max(10_000);
        Self {
            runs: settings.runs.unwrap_or(if quick { 1 } else { 3 }).max(1),
            concurrency: settings.concurrency.max(1),
            duration,
            latency_duration,
            latency_warmup: latency_duration / 10,
            latency_rate: settings.latency_rate.max(1.0),
            max_in_flight: settings.max_in_flight.max(1),
            drain_timeout: Duration::from_secs_f64(settings.drain_timeout.max(1.0)),
            max_events,
            child_log: settings.child_log.clone(),
            quick,
            postgres: (!settings.no_postgres).then(|| settings.postgres_url.clone()),
        }
    }

    /// The settings line of the report.
    pub fn describe(&self) -> String {
        format!(
            "runs {}, concurrency {}, closed-loop {:.1} s per run, latency {:.1} s (+{:.1} s \
             warm-up), open-loop in-flight ≤ {}",
            self.runs,
            self.concurrency,
            self.duration.as_secs_f64(),
            self.latency_duration.as_secs_f64(),
            self.latency_warmup.as_secs_f64(),
            self.max_in_flight
        )
    }
}
