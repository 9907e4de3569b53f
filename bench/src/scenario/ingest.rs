//! Ingest: `POST /events` to a real gateway (durable defaults: SQLite WAL, `synchronous=FULL`)
//! with no subscriptions, closed loop: events answered 202 per second, so committed per second.

use std::sync::Arc;

use async_trait::async_trait;

use super::{FLOOR, RunOutcome, Scenario};
use crate::context::{Context, GatewayOptions};
use crate::figures::{FigureSpec, Results, Unit, thousands};
use crate::ledger::Ledger;
use crate::load::closed_loop;
use crate::settings::Plan;
use crate::stats::rate;

/// The ingest scenario.
#[derive(Debug, Clone, Copy)]
pub struct Ingest;

/// The figure id of the ingest rate.
pub const INGEST: &str = "ingest.events";

#[async_trait]
impl Scenario for Ingest {
    fn name(&self) -> String {
        "ingest".to_owned()
    }

    fn figures(&self, _plan: &Plan) -> Vec<FigureSpec> {
        vec![
            FigureSpec::new(
                INGEST,
                "ingest: POST /events → 202 (durable), no subscribers",
                Unit::PerSecond("events/s"),
            )
            .relative_to(FLOOR, 1.0, "floor"),
        ]
    }

    async fn run_once(
        &self,
        context: &Context,
        _so_far: &Results,
        run: usize,
    ) -> anyhow::Result<RunOutcome> {
        let plan = &context.plan;
        let gateway = context.start_gateway(&GatewayOptions::default()).await?;
        let ledger = Arc::new(Ledger::new(plan.max_events));
        let url = format!("{}/events", gateway.base);
        let load = closed_loop(
            &context.client,
            &url,
            &ledger,
            plan.concurrency,
            plan.duration,
        )
        .await;
        let mut outcome = RunOutcome {
            gateway_peak_rss_mib: gateway.peak_rss_mib(),
            ..RunOutcome::default()
        };
        outcome.sample(INGEST, rate(load.accepted, load.finished - load.started));
        outcome.checks.push(format!(
            "ingest run {run}: {} sent, {} accepted; errors: {}",
            thousands(load.sent as i64),
            thousands(load.accepted as i64),
            load.describe_errors()
        ));
        if load.accepted == 0 {
            outcome
                .failures
                .push(format!("ingest run {run}: nothing was accepted"));
        }
        Ok(outcome)
    }
}
