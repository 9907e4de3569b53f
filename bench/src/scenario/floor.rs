//! The HTTP floor: the bench's own receiver answering 202, posted the same event with the same
//! client and concurrency as the gateway gets. Every other rate is divided by it: it is what
//! this machine's HTTP stack does with nothing durable in between.

use std::sync::Arc;

use async_trait::async_trait;

use super::{FLOOR, RunOutcome, Scenario};
use crate::context::Context;
use crate::figures::{FigureSpec, Results, Unit};
use crate::ledger::{Ledger, Tally};
use crate::load::closed_loop;
use crate::receiver::Receiver;
use crate::settings::Plan;
use crate::stats::rate;

/// The HTTP floor scenario.
#[derive(Debug, Clone, Copy)]
pub struct Floor;

#[async_trait]
impl Scenario for Floor {
    fn name(&self) -> String {
        "floor".to_owned()
    }

    fn figures(&self, _plan: &Plan) -> Vec<FigureSpec> {
        vec![FigureSpec::new(
            FLOOR,
            "HTTP floor: bare axum receiver, same client and event",
            Unit::PerSecond("requests/s"),
        )]
    }

    async fn run_once(
        &self,
        context: &Context,
        _so_far: &Results,
        run: usize,
    ) -> anyhow::Result<RunOutcome> {
        let plan = &context.plan;
        let ledger = Arc::new(Ledger::new(plan.max_events));
        let tally = Arc::new(Tally::for_ledger(&ledger));
        let receiver = Receiver::start(Arc::clone(&tally)).await?;
        let load = closed_loop(
            &context.client,
            &[receiver.url()],
            &ledger,
            plan.concurrency,
            plan.duration,
        )
        .await;
        let verification = tally.verify(&ledger);
        let mut outcome = RunOutcome::default();
        outcome.sample(FLOOR, rate(load.accepted, load.finished - load.started));
        outcome.checks.push(format!(
            "floor run {run}: {}; errors: {}",
            verification.describe(),
            load.describe_errors()
        ));
        if verification.missing > 0 {
            outcome
                .failures
                .push(format!("floor run {run}: {} missing", verification.missing));
        }
        Ok(outcome)
    }
}
