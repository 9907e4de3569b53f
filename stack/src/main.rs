//! `stack`: the gateway, order-service and payment-service in one process, wired through the
//! gateway, with their data in SQLite files under `./data/`. This is what `cargo run --release`
//! at the workspace root starts; each component also runs alone (`cargo run -p event-gateway`).

use anyhow::Context as _;
use clap::Parser;
use shared_events::service::{shutdown, telemetry};
use stack::{Stack, StackSettings};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init("info");
    let settings = StackSettings::parse();
    let stack = Stack::build(settings).await.context("starting the stack")?;
    println!("{}", stack.banner());
    stack.run_until_stopped(shutdown::on_signals()).await
}
