//! The `payment-service` binary: parse settings, set up telemetry, run.

use clap::Parser;
use payment_service::settings::{Cli, CliCommand};
use payment_service::startup::Application;
use shared_events::service::{shutdown, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init("info");
    let cli = Cli::parse();
    match cli.command.unwrap_or(CliCommand::Serve(cli.serve)) {
        CliCommand::Serve(settings) => {
            let app = Application::build(settings).await?;
            tracing::info!(address = %app.local_addr()?, "payment-service listening");
            app.run_until_stopped(shutdown::on_signals()).await
        }
    }
}
