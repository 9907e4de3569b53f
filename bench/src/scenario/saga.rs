//! The payment saga through the whole stack: order-service and payment-service as child
//! processes with `K_SINK` at a gateway whose static subscriptions (a YAML file) route
//! `payment.make`/`payment.refund` to payment-service and `payment.created`/`declined`/`refunded`
//! to order-service. Orders are placed closed loop (`POST /orders`) for the run's duration; the
//! run ends when order-service counts every placed order `paid` (`order_orders{status="paid"}`
//! of its `/metrics`, polled), and the count is then checked by paging `GET /orders?status=paid`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use async_trait::async_trait;
use serde_json::{Value, json};

use super::{RunOutcome, Scenario};
use crate::children::free_port;
use crate::context::{Context, Database, GatewayOptions};
use crate::figures::{FigureSpec, Results, Target, Unit, thousands};
use crate::settings::Plan;
use crate::stats::rate;

/// The saga scenario.
#[derive(Debug, Clone, Copy)]
pub struct Saga;

const PAID: &str = "saga.paid";
const PLACED: &str = "saga.placed";

/// The gateway's routes for the saga.
fn subscriptions_yaml(order: &str, payment: &str) -> String {
    format!(
        "subscriptions:
  - id: saga-payment-commands
    sink: {payment}/events
    filters:
      - any:
          - exact: {{ type: com.example.payment.make.v1 }}
          - exact: {{ type: com.example.payment.refund.v1 }}
  - id: saga-payment-events
    sink: {order}/events
    filters:
      - any:
          - exact: {{ type: com.example.payment.created.v1 }}
          - exact: {{ type: com.example.payment.declined.v1 }}
          - exact: {{ type: com.example.payment.refunded.v1 }}
"
    )
}

/// `order_orders{status="…"}` from order-service's metrics text.
pub fn orders_in_status(metrics: &str, status: &str) -> Option<u64> {
    let key = format!("order_orders{{status=\"{status}\"}}");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(key.as_str()))
        .and_then(|rest| rest.trim().parse::<f64>().ok())
        .map(|v| v as u64)
}

async fn metrics_text(client: &reqwest::Client, order: &str) -> Option<String> {
    let response = client.get(format!("{order}/metrics")).send().await.ok()?;
    response.text().await.ok()
}

/// Counts the orders in `status` by paging `GET /orders?status=`.
async fn count_listed(client: &reqwest::Client, order: &str, status: &str) -> anyhow::Result<u64> {
    let mut count = 0;
    let mut after = String::new();
    loop {
        let page: Value = client
            .get(format!("{order}/orders"))
            .query(&[("status", status), ("limit", "500"), ("after", &after)])
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        count += page["orders"].as_array().map_or(0, Vec::len) as u64;
        match page["next"].as_str() {
            Some(next) => after = next.to_owned(),
            None => return Ok(count),
        }
    }
}

/// Places orders closed loop for `duration`; returns (placed, errors, when posting ended).
async fn place_orders(
    client: &reqwest::Client,
    order: &str,
    concurrency: usize,
    duration: Duration,
) -> (u64, u64, Instant) {
    let placed = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let url = format!("{order}/orders");
    let body = json!({"customer_id": "bench", "items": [{"sku": "SKU-1", "quantity": 1, "unit_price_cents": 1999}], "currency": "EUR"});
    let mut posters = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (client, url, body) = (client.clone(), url.clone(), body.clone());
        let (placed, errors) = (Arc::clone(&placed), Arc::clone(&errors));
        posters.spawn(async move {
            while Instant::now() < deadline {
                match client.post(&url).json(&body).send().await {
                    Ok(r) if r.status() == reqwest::StatusCode::CREATED => {
                        let _ = r.bytes().await;
                        placed.fetch_add(1, Relaxed);
                    }
                    _ => {
                        errors.fetch_add(1, Relaxed);
                    }
                }
            }
        });
    }
    while posters.join_next().await.is_some() {}
    (placed.load(Relaxed), errors.load(Relaxed), Instant::now())
}

#[async_trait]
impl Scenario for Saga {
    fn name(&self) -> String {
        "saga".to_owned()
    }

    fn figures(&self, _plan: &Plan) -> Vec<FigureSpec> {
        vec![
            FigureSpec::new(
                PAID,
                "saga: POST /orders → order paid, via the gateway",
                Unit::PerSecond("orders/s"),
            )
            .with_target(Target::AtLeast(1_000.0)),
            FigureSpec::new(
                PLACED,
                "saga: POST /orders answered 201 (placing only)",
                Unit::PerSecond("orders/s"),
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
        let client = &context.client;
        let (g, o, p) = (free_port()?, free_port()?, free_port()?);
        let (gateway_url, order_url, payment_url) = (
            format!("http://127.0.0.1:{g}"),
            format!("http://127.0.0.1:{o}"),
            format!("http://127.0.0.1:{p}"),
        );
        let routes = tempfile::Builder::new()
            .prefix("saga-routes-")
            .suffix(".yaml")
            .tempfile_in(&context.scratch)?;
        std::fs::write(routes.path(), subscriptions_yaml(&order_url, &payment_url))?;
        let options = GatewayOptions {
            port: Some(g),
            subscriptions: Some(routes.path().to_path_buf()),
            ..GatewayOptions::default()
        };
        let gateway = context.start_gateway(&options).await?;
        let sink = format!("{gateway_url}/events");
        let registry = format!("{gateway_url}/registry");
        let payment_env = [
            ("PAYMENT_LISTEN", format!("127.0.0.1:{p}")),
            ("K_SINK", sink.clone()),
            ("PAYMENT_SCHEMA_BASE_URL", registry.clone()),
        ];
        let _payment = context
            .start_service(
                "payment-service",
                p,
                ("PAYMENT_DATABASE_URL", &Database::TempSqlite),
                &payment_env,
            )
            .await?;
        let order_env = [
            ("ORDER_LISTEN", format!("127.0.0.1:{o}")),
            ("K_SINK", sink),
            ("PAYMENT_URL", format!("{payment_url}/events")),
            ("ORDER_SCHEMA_BASE_URL", registry),
        ];
        let order = context
            .start_service(
                "order-service",
                o,
                ("ORDER_DATABASE_URL", &Database::TempSqlite),
                &order_env,
            )
            .await?;

        let started = Instant::now();
        let (placed, errors, posted) =
            place_orders(client, &order.base, plan.concurrency, plan.duration).await;
        let mut last = (0, Instant::now());
        let all_paid = loop {
            let metrics = metrics_text(client, &order.base).await.unwrap_or_default();
            let paid = orders_in_status(&metrics, "paid").unwrap_or(0);
            let now = Instant::now();
            if paid >= placed {
                break Some(now);
            }
            if paid != last.0 {
                last = (paid, now);
            }
            if now - last.1 > plan.drain_timeout {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let mut outcome = RunOutcome {
            gateway_peak_rss_mib: gateway.peak_rss_mib(),
            ..RunOutcome::default()
        };
        outcome.sample(PLACED, rate(placed, posted - started));
        let listed = count_listed(client, &order.base, "paid")
            .await
            .context("GET /orders?status=paid")?;
        let cancelled = count_listed(client, &order.base, "cancelled").await?;
        match all_paid {
            Some(at) => outcome.sample(PAID, rate(placed, at - started)),
            None => outcome.failures.push(format!(
                "saga run {run}: only {} of {placed} orders paid, no progress for {:?}",
                last.0, plan.drain_timeout
            )),
        }
        if listed != placed {
            outcome.failures.push(format!(
                "saga run {run}: GET /orders?status=paid lists {listed}, {placed} were placed"
            ));
        }
        outcome.checks.push(format!(
            "saga run {run}: {} orders placed ({errors} errors), {} listed paid, {cancelled} \
             cancelled; all paid {} after the first order",
            thousands(placed as i64),
            thousands(listed as i64),
            all_paid.map_or_else(
                || "never".to_owned(),
                |at| format!("{:.1} s", (at - started).as_secs_f64())
            ),
        ));
        Ok(outcome)
    }
}
