//! `event-gateway`: run the gateway (`serve`, the default) or the event display (`display`).

use clap::Parser;
use event_gateway::{Application, Cli, Command};
use shared_events::service::{shutdown, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init("info");
    let cli = Cli::parse();
    let token = shutdown::on_signals();
    match cli.command {
        Some(Command::Display(settings)) => event_gateway::display::run(settings, token).await,
        Some(Command::Serve(settings)) => {
            Application::build(settings)
                .await?
                .run_until_stopped(token)
                .await
        }
        None => {
            Application::build(cli.serve)
                .await?
                .run_until_stopped(token)
                .await
        }
    }
}
