//! Scenarios: one file each, all behind the [`Scenario`] trait, listed in [`all`] in the order
//! they run (later ones may read earlier figures, as `latency-half` reads `fanout-k1`).
//!
//! Adding a figure is a new file with a type that implements [`Scenario`], and one line in
//! [`all`]; a scenario that runs on both backends takes a [`Backend`] and names its figures
//! through it (`fanout-k1`, `pg-fanout-k1`, `pg-fanout-k1-x2`).

mod fanout;
mod floor;
mod ingest;
mod latency;
mod pg_floor;
mod saga;
mod stream;

use async_trait::async_trait;

pub use fanout::Fanout;
pub use floor::Floor;
pub use ingest::Ingest;
pub use latency::{Latency, LatencyRate};
pub use pg_floor::{PG_FLOOR, PgFloor};
pub use saga::Saga;
pub use stream::Stream;

use crate::context::Context;
use crate::figures::{FigureSpec, Results};
use crate::gateways::Backend;
use crate::settings::Plan;

/// What one run of a scenario produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunOutcome {
    /// `(figure id, value)` pairs.
    pub samples: Vec<(String, f64)>,
    /// Lines for the report's checks (counts, errors, rates used).
    pub checks: Vec<String>,
    /// Checks that failed (events missing): the bench exits non-zero.
    pub failures: Vec<String>,
    /// The gateway's peak RSS in this run, in MiB, if a gateway ran.
    pub gateway_peak_rss_mib: Option<f64>,
}

impl RunOutcome {
    /// Records a sample.
    pub fn sample(&mut self, id: &str, value: f64) {
        self.samples.push((id.to_owned(), value));
    }
}

/// One thing the bench measures.
#[async_trait]
pub trait Scenario: Send + Sync {
    /// Its name, for `--only` and the progress lines: `fanout-k1`.
    fn name(&self) -> String;

    /// The figures it reports, in table order.
    fn figures(&self, plan: &Plan) -> Vec<FigureSpec>;

    /// Runs it once (run `run` of `plan.runs`); `so_far` holds the figures of earlier runs and
    /// scenarios.
    ///
    /// # Errors
    /// When it cannot run (a child did not start); the runner records it as a failure.
    async fn run_once(
        &self,
        context: &Context,
        so_far: &Results,
        run: usize,
    ) -> anyhow::Result<RunOutcome>;
}

/// Every scenario, in the order they run.
pub fn all() -> Vec<Box<dyn Scenario>> {
    vec![
        Box::new(Floor),
        Box::new(Ingest {
            backend: Backend::Sqlite,
        }),
        Box::new(Fanout {
            subscribers: 1,
            backend: Backend::Sqlite,
        }),
        Box::new(Fanout {
            subscribers: 4,
            backend: Backend::Sqlite,
        }),
        Box::new(Latency {
            rate: LatencyRate::Fixed,
        }),
        Box::new(Latency {
            rate: LatencyRate::HalfOfFanoutMax,
        }),
        Box::new(Saga),
        Box::new(Stream),
        // The Postgres column: its floor, ingest on one replica, fan-out on one and on two.
        Box::new(PgFloor),
        Box::new(Ingest {
            backend: Backend::Postgres { replicas: 1 },
        }),
        Box::new(Fanout {
            subscribers: 1,
            backend: Backend::Postgres { replicas: 1 },
        }),
        Box::new(Fanout {
            subscribers: 4,
            backend: Backend::Postgres { replicas: 1 },
        }),
        Box::new(Fanout {
            subscribers: 1,
            backend: Backend::Postgres { replicas: 2 },
        }),
        Box::new(Fanout {
            subscribers: 4,
            backend: Backend::Postgres { replicas: 2 },
        }),
    ]
}

/// Whether scenario `name` needs a PostgreSQL server.
pub fn needs_postgres(name: &str) -> bool {
    name.starts_with("pg-")
}

/// The figure id of the HTTP floor, which other figures are divided by.
pub const FLOOR: &str = "floor.requests";

/// The figure id of the K=1 fan-out rate, which `latency-half` takes half of.
pub const FANOUT_K1_EVENTS: &str = "fanout.k1.events";
