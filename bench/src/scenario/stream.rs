//! The gateway as a stream: events posted (closed loop, as in `ingest`) into a gateway with one
//! pull subscription, then read back twice — paged with `GET /events` cursors, and consumed by
//! pull consumers (`receive` + `acknowledge`). Every accepted event must be read exactly once
//! by the pager and acknowledged exactly once by the consumers.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context as _, bail};
use async_trait::async_trait;
use serde_json::{Value, json};

use super::{RunOutcome, Scenario};
use crate::context::{Context, GatewayOptions};
use crate::figures::{FigureSpec, Results, Unit, thousands};
use crate::ledger::Ledger;
use crate::load::closed_loop;
use crate::settings::Plan;
use crate::stats::rate;

/// The stream scenario.
#[derive(Debug, Clone, Copy)]
pub struct Stream;

/// Events per `GET /events` page.
const PAGE: usize = 1000;
/// Pull consumers sharing the subscription.
const CONSUMERS: usize = 4;
/// Events per `receive`.
const RECEIVE_MAX: usize = 100;

#[async_trait]
impl Scenario for Stream {
    fn name(&self) -> String {
        "stream".to_owned()
    }

    fn figures(&self, _plan: &Plan) -> Vec<FigureSpec> {
        vec![
            FigureSpec::new(
                "stream.paging",
                format!("stream: GET /events paged by cursor, {PAGE} per page"),
                Unit::PerSecond("events/s"),
            ),
            FigureSpec::new(
                "stream.pull",
                format!("pull: {CONSUMERS} consumers, receive ≤ {RECEIVE_MAX} + acknowledge"),
                Unit::PerSecond("events/s"),
            ),
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
        let subscription =
            json!({"id": "bench-pull", "delivery": {"mode": "pull", "timeout": "PT60S"}});
        let created = context
            .client
            .post(format!("{}/subscriptions", gateway.base))
            .json(&subscription)
            .send()
            .await?;
        if !created.status().is_success() {
            bail!("creating the pull subscription: {}", created.status());
        }
        let ledger = Arc::new(Ledger::new(plan.max_events));
        let load = closed_loop(
            &context.client,
            &[format!("{}/events", gateway.base)],
            &ledger,
            plan.concurrency,
            plan.duration,
        )
        .await;
        let expected = ledger.accepted_count();
        let mut outcome = RunOutcome {
            gateway_peak_rss_mib: gateway.peak_rss_mib(),
            ..RunOutcome::default()
        };

        let started = Instant::now();
        let paged = page_all(context, &gateway.base, &ledger).await?;
        outcome.sample("stream.paging", rate(paged, started.elapsed()));

        let acked = Arc::new(Mutex::new(HashSet::new()));
        let twice = Arc::new(Mutex::new(0_u64));
        let started = Instant::now();
        let consumers: Vec<_> = (0..CONSUMERS)
            .map(|_| {
                let client = context.client.clone();
                let base = gateway.base.clone();
                let (ledger, acked, twice) = (ledger.clone(), acked.clone(), twice.clone());
                tokio::spawn(async move { consume(&client, &base, &ledger, &acked, &twice).await })
            })
            .collect();
        for consumer in consumers {
            consumer.await.context("a pull consumer")??;
        }
        let acked = acked.lock().map(|a| a.len() as u64).unwrap_or_default();
        outcome.sample("stream.pull", rate(acked, started.elapsed()));
        outcome.gateway_peak_rss_mib = gateway.peak_rss_mib();
        let twice = *twice.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        outcome.checks.push(format!(
            "stream run {run}: {} accepted ({}), {} paged, {} acknowledged, {} handed out twice",
            thousands(expected as i64),
            load.describe_errors(),
            thousands(paged as i64),
            thousands(acked as i64),
            thousands(twice as i64),
        ));
        if paged != expected || acked != expected {
            outcome.failures.push(format!(
                "stream run {run}: {expected} accepted but {paged} paged and {acked} acknowledged"
            ));
        }
        Ok(outcome)
    }
}

/// Pages through every retained event; answers how many of the run's events were read, each
/// once (a repeat is an error).
async fn page_all(context: &Context, base: &str, ledger: &Ledger) -> anyhow::Result<u64> {
    let mut seen = HashSet::new();
    let mut after: Option<String> = None;
    loop {
        let mut request = context
            .client
            .get(format!("{base}/events"))
            .query(&[("limit", PAGE.to_string())]);
        if let Some(cursor) = &after {
            request = request.query(&[("after", cursor)]);
        }
        let page: Value = request.send().await?.error_for_status()?.json().await?;
        let events = page["events"].as_array().context("an events list")?;
        if events.is_empty() {
            return Ok(seen.len() as u64);
        }
        for entry in events {
            let id = entry["event"]["id"].as_str().context("an id")?;
            if let Some(seq) = ledger.ids.seq(id) {
                if !seen.insert(seq) {
                    bail!("event {id} was paged twice");
                }
            }
        }
        after = page["next"].as_str().map(str::to_owned);
    }
}

/// Receives and acknowledges until a `receive` comes back empty.
async fn consume(
    client: &reqwest::Client,
    base: &str,
    ledger: &Ledger,
    acked: &Mutex<HashSet<u64>>,
    twice: &Mutex<u64>,
) -> anyhow::Result<()> {
    loop {
        let got: Value = client
            .post(format!(
                "{base}/subscriptions/bench-pull/receive?max={RECEIVE_MAX}&wait=PT0.2S"
            ))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let value = got["value"].as_array().context("a value list")?;
        if value.is_empty() {
            return Ok(());
        }
        let tokens: Vec<&str> = value
            .iter()
            .filter_map(|v| v["brokerProperties"]["lockToken"].as_str())
            .collect();
        let settled: Value = client
            .post(format!("{base}/subscriptions/bench-pull/acknowledge"))
            .json(&json!({"lockTokens": tokens}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let failed = settled["failedLockTokens"].as_array().map_or(0, Vec::len);
        if failed > 0 {
            bail!("{failed} acknowledgements failed");
        }
        let mut acked = acked.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        for v in value {
            let id = v["event"]["id"].as_str().unwrap_or_default();
            if let Some(seq) = ledger.ids.seq(id) {
                if !acked.insert(seq) {
                    *twice.lock().map_err(|_| anyhow::anyhow!("poisoned"))? += 1;
                }
            }
        }
    }
}
