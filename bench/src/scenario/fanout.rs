//! Fan-out to K subscribers, end to end: K real receivers subscribed through
//! `POST /subscriptions`, events posted closed loop for the run's duration, then the run lasts
//! until the last delivery arrives. Events/s and deliveries/s are counted over that whole time
//! (first post to last delivery), so a gateway that accepts faster than it delivers is measured
//! by what it delivers. Every accepted event must reach every receiver.
//!
//! Also measures the gateway's CPU time per 1,000 deliveries (ingest included) and its peak RSS.
//! On PostgreSQL with several replicas, the posters spread over them (as a load balancer would),
//! any replica delivers, and the CPU is summed; the last run also reports the table sizes and
//! dead rows the run left in the database.

use std::sync::Arc;

use async_trait::async_trait;

use super::{FLOOR, RunOutcome, Scenario};
use crate::context::Context;
use crate::event::BENCH_TYPE;
use crate::figures::{FigureSpec, Results, Target, Unit, thousands};
use crate::gateways::{Backend, Gateways};
use crate::ledger::{Ledger, Tally};
use crate::load::closed_loop;
use crate::machine;
use crate::receiver::Receiver;
use crate::settings::Plan;
use crate::stats::rate;

/// The fan-out scenario with `subscribers` receivers on `backend`.
#[derive(Debug, Clone, Copy)]
pub struct Fanout {
    /// K.
    pub subscribers: usize,
    /// SQLite or PostgreSQL replicas.
    pub backend: Backend,
}

impl Fanout {
    fn id(&self, what: &str) -> String {
        self.backend
            .figure(&format!("fanout.k{}.{what}", self.subscribers))
    }
}

#[async_trait]
impl Scenario for Fanout {
    fn name(&self) -> String {
        self.backend
            .scenario(&format!("fanout-k{}", self.subscribers))
    }

    fn figures(&self, _plan: &Plan) -> Vec<FigureSpec> {
        let k = self.subscribers;
        let backend = self.backend.label();
        let mut events = FigureSpec::new(
            self.id("events"),
            format!("fan-out K={k}: events delivered to all, end to end{backend}"),
            Unit::PerSecond("events/s"),
        )
        .relative_to(FLOOR, (1 + k) as f64, format!("floor/{}", 1 + k));
        let mut deliveries = FigureSpec::new(
            self.id("deliveries"),
            format!("fan-out K={k}: deliveries{backend}"),
            Unit::PerSecond("deliveries/s"),
        );
        match (self.backend, k) {
            (Backend::Sqlite, 1) => events = events.with_target(Target::AtLeast(8_000.0)),
            (Backend::Sqlite, 4) => {
                deliveries = deliveries.with_target(Target::AtLeast(12_000.0));
            }
            (Backend::Postgres { replicas: 2 }, 1) => {
                events = events.with_target(Target::AtLeast(5_000.0));
            }
            _ => {}
        }
        let cpu = FigureSpec::new(
            self.id("cpu"),
            format!("gateway CPU per 1,000 deliveries, K={k} (ingest included){backend}"),
            Unit::CpuSecondsPerThousand,
        );
        vec![events, deliveries, cpu]
    }

    async fn run_once(
        &self,
        context: &Context,
        _so_far: &Results,
        run: usize,
    ) -> anyhow::Result<RunOutcome> {
        let plan = &context.plan;
        let k = self.subscribers;
        let ledger = Arc::new(Ledger::new(plan.max_events));
        let mut receivers = Vec::with_capacity(k);
        for _ in 0..k {
            receivers.push(Receiver::start(Arc::new(Tally::for_ledger(&ledger))).await?);
        }
        let name = self.name();
        let gateways = Gateways::start(context, self.backend, &name).await?;
        for (i, receiver) in receivers.iter().enumerate() {
            let sink = receiver.url();
            context
                .subscribe(gateways.first(), &format!("bench-{i}"), &sink, BENCH_TYPE)
                .await?;
        }
        gateways.settle().await;
        let cpu_before = gateways.cpu_ticks();
        let own_before = machine::cpu_ticks(std::process::id()).unwrap_or(0);
        let busy_before = machine::machine_busy_ticks().unwrap_or(0);
        let load = closed_loop(
            &context.client,
            &gateways.events_urls(),
            &ledger,
            plan.concurrency,
            plan.duration,
        )
        .await;
        let tallies: Vec<_> = receivers.iter().map(|r| Arc::clone(&r.tally)).collect();
        let complete = context.wait_for_deliveries(&ledger, &tallies).await;
        let cpu_after = gateways.cpu_ticks().max(cpu_before);
        let own_after = machine::cpu_ticks(std::process::id()).unwrap_or(own_before);
        let busy_after = machine::machine_busy_ticks().unwrap_or(busy_before);

        let last = tallies
            .iter()
            .map(|t| t.last_arrival())
            .max()
            .unwrap_or(load.finished)
            .max(load.finished);
        let elapsed = last - load.started;
        let mut outcome = RunOutcome {
            gateway_peak_rss_mib: gateways.peak_rss_mib(),
            ..RunOutcome::default()
        };
        if let Some(sizes) = gateways.stop().await?.filter(|_| run == plan.runs) {
            outcome
                .checks
                .push(format!("{name} run {run}, tables after the run: {sizes}"));
        }
        let mut delivered = 0;
        for (i, tally) in tallies.iter().enumerate() {
            let v = tally.verify(&ledger);
            delivered += v.delivered + v.duplicates;
            outcome.checks.push(format!(
                "{name} run {run}, subscriber {i}: {}",
                v.describe()
            ));
            if v.missing > 0 {
                outcome.failures.push(format!(
                    "{name} run {run}, subscriber {i}: {} of {} accepted events never arrived{}",
                    v.missing,
                    v.accepted,
                    if complete { "" } else { " (drain timeout)" }
                ));
            }
        }
        let accepted = ledger.accepted_count();
        outcome.sample(&self.id("events"), rate(accepted, elapsed));
        outcome.sample(&self.id("deliveries"), rate(accepted * k as u64, elapsed));
        if delivered > 0 {
            let seconds = (cpu_after - cpu_before) as f64 / context.clock_ticks as f64;
            outcome.sample(&self.id("cpu"), seconds / (delivered as f64 / 1000.0));
        }
        let posting = load.finished - load.started;
        outcome.checks.push(format!(
            "{name} run {run}: posted for {:.1} s ({} accepted/s), last delivery {:.1} s \
             after the first post; CPU used: gateway {:.2} cores, bench (posters and \
             receivers) {:.2}, other processes {:.2}; poster errors: {}",
            posting.as_secs_f64(),
            thousands(rate(load.accepted, posting).round() as i64),
            elapsed.as_secs_f64(),
            cores(cpu_after - cpu_before, context.clock_ticks, elapsed),
            cores(own_after - own_before, context.clock_ticks, elapsed),
            cores(
                (busy_after - busy_before)
                    .saturating_sub(cpu_after - cpu_before)
                    .saturating_sub(own_after - own_before),
                context.clock_ticks,
                elapsed
            ),
            load.describe_errors()
        ));
        Ok(outcome)
    }
}

/// CPU `ticks` over `elapsed`, as a number of cores kept busy.
fn cores(ticks: u64, clock_ticks: u64, elapsed: std::time::Duration) -> f64 {
    ticks as f64 / clock_ticks as f64 / elapsed.as_secs_f64().max(1e-9)
}
