//! The `order-service` binary: parse settings, set up telemetry, run.

use anyhow::Context as _;
use clap::Parser;
use order_service::settings::{Cli, CliCommand};
use order_service::startup::Application;
use order_service::{projection, store};
use shared_events::service::{shutdown, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init("info");
    let cli = Cli::parse();
    match cli.command.unwrap_or(CliCommand::Serve(cli.serve)) {
        CliCommand::Rebuild(database) => {
            let store = store::connect(&database.database_url, database.sqlite_synchronous)
                .await
                .with_context(|| format!("opening {}", database.database_url))?;
            let replayed = projection::rebuild(store)
                .await
                .context("rebuilding the projection")?;
            tracing::info!(replayed, "projection rebuilt");
            Ok(())
        }
        CliCommand::Serve(settings) => {
            let app = Application::build(settings).await?;
            tracing::info!(address = %app.local_addr()?, "order-service listening");
            app.run_until_stopped(shutdown::on_signals()).await
        }
    }
}
