//! Latency, ingest → delivery, K=1, open loop: events are sent on a fixed schedule whatever the
//! responses, so a slow gateway cannot slow the load down and hide its own latency
//! (coordinated omission). Each event's send instant (just before the request goes out) and
//! arrival instant (at the receiver, in this process, same monotonic clock) give its latency.
//! A warm-up of a tenth of the run is sent first and not counted.

use std::sync::Arc;

use anyhow::Context as _;
use async_trait::async_trait;

use super::{FANOUT_K1_EVENTS, RunOutcome, Scenario};
use crate::context::{Context, GatewayOptions};
use crate::event::BENCH_TYPE;
use crate::figures::{FigureSpec, Results, Target, Unit, thousands};
use crate::ledger::{Ledger, Tally};
use crate::load::{LATE_AFTER, open_loop};
use crate::receiver::Receiver;
use crate::settings::Plan;
use crate::stats::LatencyPercentiles;

/// Which rate a latency scenario sends at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatencyRate {
    /// `--latency-rate` (1,000 events/s by default).
    Fixed,
    /// Half the K=1 fan-out rate measured earlier in the same bench run (its median).
    HalfOfFanoutMax,
}

/// The latency scenario.
#[derive(Debug, Clone, Copy)]
pub struct Latency {
    /// The rate.
    pub rate: LatencyRate,
}

impl Latency {
    fn key(&self) -> &'static str {
        match self.rate {
            LatencyRate::Fixed => "fixed",
            LatencyRate::HalfOfFanoutMax => "half",
        }
    }

    fn id(&self, what: &str) -> String {
        format!("latency.{}.{what}", self.key())
    }

    fn rate(&self, plan: &Plan, so_far: &Results) -> anyhow::Result<f64> {
        match self.rate {
            LatencyRate::Fixed => Ok(plan.latency_rate),
            LatencyRate::HalfOfFanoutMax => so_far
                .summary(FANOUT_K1_EVENTS)
                .map(|s| (s.median / 2.0).max(1.0))
                .context("latency-half needs the fanout-k1 figure from the same run"),
        }
    }
}

#[async_trait]
impl Scenario for Latency {
    fn name(&self) -> String {
        format!("latency-{}", self.key())
    }

    fn figures(&self, plan: &Plan) -> Vec<FigureSpec> {
        let at = match self.rate {
            LatencyRate::Fixed => format!("{} ev/s", thousands(plan.latency_rate as i64)),
            LatencyRate::HalfOfFanoutMax => "50 % of K=1 max".to_owned(),
        };
        ["p50", "p99", "p99.9", "max"]
            .into_iter()
            .map(|p| {
                let spec = FigureSpec::new(
                    self.id(p),
                    format!("ingest→delivery {p} at {at}, K=1"),
                    Unit::Millis,
                );
                if p == "p99" && self.rate == LatencyRate::Fixed {
                    spec.with_target(Target::Below(20.0))
                } else {
                    spec
                }
            })
            .collect()
    }

    async fn run_once(
        &self,
        context: &Context,
        so_far: &Results,
        run: usize,
    ) -> anyhow::Result<RunOutcome> {
        let plan = &context.plan;
        let rate = self.rate(plan, so_far)?;
        let warmup_events = (rate * plan.latency_warmup.as_secs_f64()).round() as u64;
        let total = plan.latency_warmup + plan.latency_duration;
        let capacity = (rate * total.as_secs_f64()).ceil() as usize + 1;
        let ledger = Arc::new(Ledger::new(capacity));
        let tally = Arc::new(Tally::for_ledger(&ledger));
        let receiver = Receiver::start(Arc::clone(&tally)).await?;
        let gateway = context.start_gateway(&GatewayOptions::default()).await?;
        context
            .subscribe(&gateway, "bench-latency", &receiver.url(), BENCH_TYPE)
            .await?;
        let url = format!("{}/events", gateway.base);
        let load = open_loop(
            &context.client,
            &url,
            &ledger,
            rate,
            total,
            plan.max_in_flight,
        )
        .await;
        let complete = context
            .wait_for_deliveries(&ledger, &[Arc::clone(&tally)])
            .await;

        let latencies: Vec<u64> = (warmup_events..ledger.claimed())
            .filter(|&seq| ledger.is_accepted(seq))
            .filter_map(|seq| {
                let received = tally.received_nanos(seq)?;
                Some(received.saturating_sub(ledger.sent_nanos(seq)))
            })
            .collect();
        let measured = latencies.len();
        let mut outcome = RunOutcome {
            gateway_peak_rss_mib: gateway.peak_rss_mib(),
            ..RunOutcome::default()
        };
        let name = self.name();
        if let Some(p) = LatencyPercentiles::of(latencies) {
            let ms = |nanos: u64| nanos as f64 / 1e6;
            outcome.sample(&self.id("p50"), ms(p.p50));
            outcome.sample(&self.id("p99"), ms(p.p99));
            outcome.sample(&self.id("p99.9"), ms(p.p999));
            outcome.sample(&self.id("max"), ms(p.max));
        }
        let verification = tally.verify(&ledger);
        outcome.checks.push(format!(
            "{name} run {run}: {} ev/s for {:.1} s (+{:.1} s warm-up), {} latencies measured; \
             {} sends more than {} ms behind schedule (furthest {:.1} ms); {}; poster errors: {}",
            thousands(rate.round() as i64),
            plan.latency_duration.as_secs_f64(),
            plan.latency_warmup.as_secs_f64(),
            thousands(measured as i64),
            thousands(load.late as i64),
            LATE_AFTER.as_millis(),
            load.max_lag.as_secs_f64() * 1e3,
            verification.describe(),
            load.describe_errors()
        ));
        if verification.missing > 0 {
            outcome.failures.push(format!(
                "{name} run {run}: {} of {} accepted events never arrived{}",
                verification.missing,
                verification.accepted,
                if complete { "" } else { " (drain timeout)" }
            ));
        }
        Ok(outcome)
    }
}
