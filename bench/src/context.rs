//! What every scenario gets: the plan, one pooled HTTP client, the binaries, the child registry,
//! a scratch directory, and helpers to start the gateway and the services on free ports.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde_json::json;

use crate::children::{Binaries, ChildGuard, ChildRegistry, free_port};
use crate::ledger::{Ledger, Tally};
use crate::machine;
use crate::settings::Plan;

/// How long a child may take to answer `/healthz`.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Shared by every scenario run.
#[derive(Debug)]
pub struct Context {
    /// Sizes.
    pub plan: Plan,
    /// One client, keep-alive connections pooled.
    pub client: reqwest::Client,
    /// Where the binaries are.
    pub binaries: Binaries,
    /// Every child started.
    pub children: ChildRegistry,
    /// Scratch space: one subdirectory per child (database and log).
    pub scratch: PathBuf,
    /// `getconf CLK_TCK`.
    pub clock_ticks: u64,
}

/// Where a child keeps its data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Database {
    /// A fresh SQLite file in the child's scratch directory.
    #[default]
    TempSqlite,
    /// A given URL (`postgres://…`), for scenarios that bring their own database.
    Url(String),
}

/// How to start a gateway.
#[derive(Debug, Clone, Default)]
pub struct GatewayOptions {
    /// Its port (a free one when `None`).
    pub port: Option<u16>,
    /// A static subscriptions file (`--subscriptions`).
    pub subscriptions: Option<PathBuf>,
    /// Its database.
    pub database: Database,
}

/// A business service or gateway started as a child process.
#[derive(Debug)]
pub struct Service {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The process (killed on drop).
    pub child: ChildGuard,
}

impl Service {
    /// Its peak resident set so far, in MiB.
    pub fn peak_rss_mib(&self) -> Option<f64> {
        machine::peak_rss_kib(self.child.pid()).map(|kib| kib as f64 / 1024.0)
    }

    /// Its CPU time so far, in clock ticks.
    pub fn cpu_ticks(&self) -> Option<u64> {
        machine::cpu_ticks(self.child.pid())
    }
}

impl Context {
    /// A fresh directory for one child: `scratch/<name>-<n>`.
    fn child_dir(&self, name: &str) -> anyhow::Result<PathBuf> {
        let dir = tempfile::Builder::new()
            .prefix(&format!("{name}-"))
            .tempdir_in(&self.scratch)
            .context("creating a child directory")?
            .keep();
        Ok(dir)
    }

    /// Starts binary `name` listening on `port` with `env` and `database` (named by the
    /// environment variable `database_var`), and waits for `/healthz`.
    ///
    /// # Errors
    /// When it does not start or answer.
    pub async fn start_service(
        &self,
        name: &str,
        port: u16,
        (database_var, database): (&str, &Database),
        env: &[(&str, String)],
    ) -> anyhow::Result<Service> {
        let dir = self.child_dir(name)?;
        let database = match database {
            Database::TempSqlite => format!("sqlite://{}", dir.join("data.db").display()),
            Database::Url(url) => url.clone(),
        };
        let mut command = Command::new(self.binaries.path(name));
        command
            .env("RUST_LOG", &self.plan.child_log)
            .env(database_var, database)
            .current_dir(&dir);
        for (key, value) in env {
            command.env(key, value);
        }
        let child = self.children.spawn(name, command, &dir.join("log.txt"))?;
        let base = format!("http://127.0.0.1:{port}");
        child
            .wait_healthy(&self.client, &base, START_TIMEOUT)
            .await?;
        Ok(Service { base, child })
    }

    /// Starts a gateway as `options` say (by default: a free port, a fresh SQLite database
    /// with the durable defaults, no static subscriptions).
    ///
    /// # Errors
    /// When it does not start.
    pub async fn start_gateway(&self, options: &GatewayOptions) -> anyhow::Result<Service> {
        let port = match options.port {
            Some(port) => port,
            None => free_port()?,
        };
        let mut env = vec![("GATEWAY_LISTEN", format!("127.0.0.1:{port}"))];
        if let Some(path) = &options.subscriptions {
            env.push(("GATEWAY_SUBSCRIPTIONS", path.display().to_string()));
        }
        let database = ("GATEWAY_DATABASE_URL", &options.database);
        self.start_service("event-gateway", port, database, &env)
            .await
    }

    /// The PostgreSQL server of the Postgres scenarios.
    ///
    /// # Errors
    /// With `--no-postgres`.
    pub fn postgres_url(&self) -> anyhow::Result<&str> {
        self.plan
            .postgres
            .as_deref()
            .context("the Postgres scenarios need a server (--no-postgres was given)")
    }

    /// Subscribes `sink` to every event of `event_type` at `gateway` (`POST /subscriptions`).
    ///
    /// # Errors
    /// When the gateway refuses.
    pub async fn subscribe(
        &self,
        gateway: &Service,
        id: &str,
        sink: &str,
        event_type: &str,
    ) -> anyhow::Result<()> {
        let body = json!({
            "id": id,
            "sink": sink,
            "filters": [{"exact": {"type": event_type}}],
        });
        let response = self
            .client
            .post(format!("{}/subscriptions", gateway.base))
            .json(&body)
            .send()
            .await
            .context("POST /subscriptions")?;
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            bail!("POST /subscriptions answered {status}: {text}");
        }
        Ok(())
    }

    /// Waits until every tally has every accepted event of `ledger`, or the drain timeout.
    /// Returns whether all arrived.
    pub async fn wait_for_deliveries(&self, ledger: &Ledger, tallies: &[Arc<Tally>]) -> bool {
        let expected = ledger.accepted_count();
        let deadline = tokio::time::Instant::now() + self.plan.drain_timeout;
        let mut last_progress = (0, tokio::time::Instant::now());
        loop {
            let got: u64 = tallies.iter().map(|t| t.distinct().min(expected)).sum();
            if got >= expected * tallies.len() as u64 {
                return true;
            }
            let now = tokio::time::Instant::now();
            if got != last_progress.0 {
                last_progress = (got, now);
            }
            // Give up at the deadline, or sooner once nothing has moved for a while.
            if now > deadline || now - last_progress.1 > self.plan.drain_timeout / 2 {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}
