//! The Postgres floor: the same number of clients as the HTTP posters, each committing
//! single-row `INSERT`s of the bench event's structured JSON (one transaction per row, the
//! server's default `synchronous_commit=on`) back to back into a fresh database. It is the
//! ceiling of one-event-per-transaction durability on this server, which the gateway's group
//! commit exists to beat; the Postgres ingest figure is divided by it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use anyhow::Context as _;
use async_trait::async_trait;
use sqlx::postgres::PgPoolOptions;

use super::{RunOutcome, Scenario};
use crate::context::Context;
use crate::event::{IdScheme, bench_event};
use crate::figures::{FigureSpec, Results, Unit, thousands};
use crate::postgres::TempDatabase;
use crate::settings::Plan;
use crate::stats::rate;

/// The Postgres floor scenario.
#[derive(Debug, Clone, Copy)]
pub struct PgFloor;

/// The figure id of the Postgres floor.
pub const PG_FLOOR: &str = "pg.floor.transactions";

#[async_trait]
impl Scenario for PgFloor {
    fn name(&self) -> String {
        "pg-floor".to_owned()
    }

    fn figures(&self, plan: &Plan) -> Vec<FigureSpec> {
        vec![FigureSpec::new(
            PG_FLOOR,
            format!(
                "Postgres floor: single-row INSERT transactions, {} clients",
                plan.concurrency
            ),
            Unit::PerSecond("transactions/s"),
        )]
    }

    async fn run_once(
        &self,
        context: &Context,
        _so_far: &Results,
        run: usize,
    ) -> anyhow::Result<RunOutcome> {
        let database = TempDatabase::create(context.postgres_url()?, "floor").await?;
        let measured = insert_back_to_back(&database.url, &context.plan).await;
        database.remove().await?;
        let (committed, elapsed) = measured?;
        let mut outcome = RunOutcome::default();
        outcome.sample(PG_FLOOR, rate(committed, elapsed));
        outcome.checks.push(format!(
            "pg-floor run {run}: {} rows committed in {:.1} s",
            thousands(committed as i64),
            elapsed.as_secs_f64()
        ));
        Ok(outcome)
    }
}

/// Runs the clients; returns the rows committed and the time taken.
async fn insert_back_to_back(url: &str, plan: &Plan) -> anyhow::Result<(u64, std::time::Duration)> {
    let clients = u32::try_from(plan.concurrency).unwrap_or(u32::MAX);
    let pool = PgPoolOptions::new()
        .max_connections(clients)
        .min_connections(clients)
        .connect(url)
        .await
        .context("connecting the floor's clients")?;
    sqlx::query("CREATE TABLE floor (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL)")
        .execute(&pool)
        .await?;
    let ids = IdScheme::new();
    let committed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + plan.duration;
    let mut clients_running = tokio::task::JoinSet::new();
    for client in 0..u64::from(clients) {
        let (pool, ids, committed) = (pool.clone(), ids.clone(), Arc::clone(&committed));
        clients_running.spawn(async move {
            let mut seq = client << 32;
            while Instant::now() < deadline {
                let body = serde_json::to_string(&bench_event(&ids, seq))?;
                sqlx::query("INSERT INTO floor (body) VALUES ($1)")
                    .bind(body)
                    .execute(&pool)
                    .await?;
                committed.fetch_add(1, Relaxed);
                seq += 1;
            }
            anyhow::Ok(())
        });
    }
    while let Some(joined) = clients_running.join_next().await {
        joined??;
    }
    let elapsed = started.elapsed();
    pool.close().await;
    Ok((committed.load(Relaxed), elapsed))
}
