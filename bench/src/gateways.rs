//! The gateway under test: one process on a fresh SQLite file (the embedded default), or N
//! replicas sharing one fresh PostgreSQL database (the scale-out engine). Scenarios that run on
//! both take a [`Backend`] and name their figures through it, so the Postgres column sits beside
//! the SQLite one in the table.

use std::time::Duration;

use crate::context::{Context, Database, GatewayOptions, Service};
use crate::postgres::TempDatabase;

/// How long a subscription made through one replica may take to reach the others (they poll
/// the subscriptions version every 250 ms).
const SUBSCRIPTION_SPREAD: Duration = Duration::from_secs(1);

/// Time for the last outcome batches to be written after the last delivery arrived.
const OUTCOMES_LAND: Duration = Duration::from_secs(1);

/// Where the gateway keeps its data, and how many replicas serve it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One gateway on a fresh SQLite file (durable defaults).
    Sqlite,
    /// `replicas` gateways on one fresh PostgreSQL database.
    Postgres {
        /// How many.
        replicas: usize,
    },
}

impl Backend {
    /// The scenario name for `base`: `fanout-k1`, `pg-fanout-k1`, `pg-fanout-k1-x2`.
    pub fn scenario(self, base: &str) -> String {
        match self {
            Self::Sqlite => base.to_owned(),
            Self::Postgres { replicas: 1 } => format!("pg-{base}"),
            Self::Postgres { replicas } => format!("pg-{base}-x{replicas}"),
        }
    }

    /// The figure id for `base`: `fanout.k1.events`, `pg.x1.fanout.k1.events`.
    pub fn figure(self, base: &str) -> String {
        match self {
            Self::Sqlite => base.to_owned(),
            Self::Postgres { replicas } => format!("pg.x{replicas}.{base}"),
        }
    }

    /// What the figure's label says about the backend: nothing for the default, otherwise
    /// ` [Postgres, 2 replicas]`.
    pub fn label(self) -> String {
        match self {
            Self::Sqlite => String::new(),
            Self::Postgres { replicas: 1 } => " [Postgres]".to_owned(),
            Self::Postgres { replicas } => format!(" [Postgres, {replicas} replicas]"),
        }
    }
}

/// The running gateway(s) of one run.
#[derive(Debug)]
pub struct Gateways {
    /// Each replica (one for SQLite).
    pub replicas: Vec<Service>,
    database: Option<TempDatabase>,
}

impl Gateways {
    /// Starts the gateway(s) of `backend`; `label` names the PostgreSQL database.
    ///
    /// # Errors
    /// When the database cannot be created or a replica does not start.
    pub async fn start(context: &Context, backend: Backend, label: &str) -> anyhow::Result<Self> {
        match backend {
            Backend::Sqlite => Ok(Self {
                replicas: vec![context.start_gateway(&GatewayOptions::default()).await?],
                database: None,
            }),
            Backend::Postgres { replicas } => {
                let database = TempDatabase::create(context.postgres_url()?, label).await?;
                let options = GatewayOptions {
                    database: Database::Url(database.url.clone()),
                    ..GatewayOptions::default()
                };
                let mut started = Vec::with_capacity(replicas);
                for _ in 0..replicas.max(1) {
                    match context.start_gateway(&options).await {
                        Ok(replica) => started.push(replica),
                        Err(error) => {
                            drop(started);
                            database.remove().await?;
                            return Err(error);
                        }
                    }
                }
                Ok(Self {
                    replicas: started,
                    database: Some(database),
                })
            }
        }
    }

    /// The replica the scenario talks to for everything but posting.
    pub fn first(&self) -> &Service {
        &self.replicas[0]
    }

    /// `POST /events` of every replica, for posters to spread over.
    pub fn events_urls(&self) -> Vec<String> {
        self.replicas
            .iter()
            .map(|r| format!("{}/events", r.base))
            .collect()
    }

    /// Waits until subscriptions made through the first replica reach the others.
    pub async fn settle(&self) {
        if self.replicas.len() > 1 {
            tokio::time::sleep(SUBSCRIPTION_SPREAD).await;
        }
    }

    /// The replicas' CPU time so far, in clock ticks, summed.
    pub fn cpu_ticks(&self) -> u64 {
        self.replicas.iter().filter_map(Service::cpu_ticks).sum()
    }

    /// The largest peak RSS of any replica, in MiB.
    pub fn peak_rss_mib(&self) -> Option<f64> {
        self.replicas
            .iter()
            .filter_map(Service::peak_rss_mib)
            .reduce(f64::max)
    }

    /// Stops every replica; on PostgreSQL, reads the table sizes they left (see
    /// [`TempDatabase::table_sizes`]) and drops the database.
    ///
    /// # Errors
    /// When the database cannot be read or dropped.
    pub async fn stop(self) -> anyhow::Result<Option<String>> {
        let Some(database) = self.database else {
            return Ok(None);
        };
        // Outcomes are written in batches just after the attempts: let the last ones land, so
        // the hot table shows what a running gateway keeps rather than what SIGKILL cut short.
        tokio::time::sleep(OUTCOMES_LAND).await;
        drop(self.replicas);
        // The killed replicas' server sessions flush their statistics as they end.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let sizes = database.table_sizes().await;
        database.remove().await?;
        sizes.map(Some)
    }
}
