//! Ingest: `POST /events` to a real gateway (durable defaults: SQLite WAL, `synchronous=FULL`;
//! or on PostgreSQL, divided by the Postgres floor) with no subscriptions, closed loop: events
//! answered 202 per second, so committed per second.

use std::sync::Arc;

use async_trait::async_trait;

use super::{FLOOR, PG_FLOOR, RunOutcome, Scenario};
use crate::context::Context;
use crate::figures::{FigureSpec, Results, Unit, thousands};
use crate::gateways::{Backend, Gateways};
use crate::ledger::Ledger;
use crate::load::closed_loop;
use crate::settings::Plan;
use crate::stats::rate;

/// The ingest scenario on `backend`.
#[derive(Debug, Clone, Copy)]
pub struct Ingest {
    /// SQLite or PostgreSQL.
    pub backend: Backend,
}

#[async_trait]
impl Scenario for Ingest {
    fn name(&self) -> String {
        self.backend.scenario("ingest")
    }

    fn figures(&self, _plan: &Plan) -> Vec<FigureSpec> {
        let figure = FigureSpec::new(
            self.backend.figure("ingest.events"),
            format!(
                "ingest: POST /events → 202 (durable), no subscribers{}",
                self.backend.label()
            ),
            Unit::PerSecond("events/s"),
        );
        vec![match self.backend {
            Backend::Sqlite => figure.relative_to(FLOOR, 1.0, "floor"),
            Backend::Postgres { .. } => figure.relative_to(PG_FLOOR, 1.0, "Postgres floor"),
        }]
    }

    async fn run_once(
        &self,
        context: &Context,
        _so_far: &Results,
        run: usize,
    ) -> anyhow::Result<RunOutcome> {
        let plan = &context.plan;
        let name = self.name();
        let gateways = Gateways::start(context, self.backend, &name).await?;
        let ledger = Arc::new(Ledger::new(plan.max_events));
        let load = closed_loop(
            &context.client,
            &gateways.events_urls(),
            &ledger,
            plan.concurrency,
            plan.duration,
        )
        .await;
        let mut outcome = RunOutcome {
            gateway_peak_rss_mib: gateways.peak_rss_mib(),
            ..RunOutcome::default()
        };
        gateways.stop().await?;
        outcome.sample(
            &self.backend.figure("ingest.events"),
            rate(load.accepted, load.finished - load.started),
        );
        outcome.checks.push(format!(
            "{name} run {run}: {} sent, {} accepted; errors: {}",
            thousands(load.sent as i64),
            thousands(load.accepted as i64),
            load.describe_errors()
        ));
        if load.accepted == 0 {
            outcome
                .failures
                .push(format!("{name} run {run}: nothing was accepted"));
        }
        Ok(outcome)
    }
}
