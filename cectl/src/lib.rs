//! `cectl`, the project's command line: the daily loop of CloudEvents work (`send`, `build`,
//! `listen`, `receive`, `tail`, `sign`, `verify`), the gateway's streams and administration
//! over its HTTP API (`events`, `deliveries`, `replay`, `jobs`, `subscriptions`, `dlq`), and
//! the contract checks (`schema compat`, `schema check`, `validate`).
//!
//! Data goes to stdout (a table on a terminal, JSON otherwise, or as `-o` says); diagnostics go
//! to stderr. The exit code says what happened ([`Exit`]).
//!
//! # Layout
//! - `cli`: the clap definitions: [`Cli`], the global flags and one subcommand enum.
//! - `exit`: [`Exit`], the documented exit codes, and [`Failure`], how a command stops early.
//! - `output`: [`Format`], colour, JSON printing and aligned tables.
//! - `client`: [`GatewayClient`], the gateway's HTTP API with problem+json errors mapped to
//!   exit codes.
//! - `event_input`: the event `send` and `build` make from their flags.
//! - `forward`: what `listen` sends a local endpoint: the stored bytes or binary mode, signed.
//! - `dev_secret`: the per-machine secret `listen` signs with, kept in the config directory.
//! - `check`: what is wrong with an event (attribute rules, catalog schema).
//! - `commands`: one file per command.

mod check;
mod cli;
mod client;
mod commands;
mod dev_secret;
mod event_input;
mod exit;
mod forward;
mod output;

pub use cli::{Cli, Command, SchemaCommand};
pub use client::{
    Applied, BrokerProperties, ClientError, DeadLetterPage, DeadLetterQuery, DeliveryPage,
    DeliveryQuery, EventPage, EventQuery, FailedToken, GatewayClient, Job, Pulled, ReplayRange,
    Settle, Settlement, SseFrame, SseParser, SseStream, StreamError, StreamRequest, TokenError,
};
pub use exit::{Exit, Failure};
pub use output::{Format, Output};

/// What a command that talks to the gateway needs: where it is, the token, the output format.
#[derive(Debug, Clone)]
pub struct Context {
    /// `--gateway`.
    pub gateway: String,
    /// `--token`.
    pub token: Option<String>,
    /// The output format.
    pub out: Output,
}

impl Context {
    /// A client of the gateway.
    ///
    /// # Errors
    /// A usage [`Failure`] when `--gateway` is not an http(s) URL.
    pub fn client(&self) -> Result<GatewayClient, Failure> {
        Ok(GatewayClient::new(&self.gateway, self.token.clone())?)
    }
}

/// Runs the parsed command line and says how it ended; failures are reported on stderr.
pub async fn run(cli: Cli) -> Exit {
    cli.global.color.apply();
    let out = Output::resolve(cli.global.output);
    let cx = Context {
        gateway: cli.global.gateway,
        token: cli.global.token,
        out,
    };
    let outcome = match &cli.command {
        Command::Send(args) => commands::send::run(args, &cx).await,
        Command::Build(args) => commands::build::run(args, &cx),
        Command::Receive(args) => commands::receive::run(args, out).await,
        Command::Listen(args) => commands::listen::run(args, &cx).await,
        Command::Tail(args) => commands::tail::run(args, &cx).await,
        Command::Events(args) => commands::events::run(args, &cx).await,
        Command::Deliveries(args) => commands::deliveries::run(args, &cx).await,
        Command::Replay(args) => commands::replay::run(args, &cx).await,
        Command::Jobs(args) => commands::jobs::run(args, &cx).await,
        Command::Subscriptions(args) => commands::subscriptions::run(args, &cx).await,
        Command::Dlq(args) => commands::dlq::run(args, &cx).await,
        Command::Sign(args) => commands::sign::run(args, out),
        Command::Verify(args) => commands::verify::run(args, out),
        Command::Completion(args) => commands::completion::run(args),
        Command::Schema(schema) => out.data_format().map(|_| match &schema.command {
            SchemaCommand::Compat(args) => commands::schema_compat::run(args, out),
            SchemaCommand::Check(args) => commands::schema_check::run(args, out),
        }),
        Command::Validate(args) => out
            .data_format()
            .map(|_| commands::validate::run(args, out)),
    };
    match outcome {
        Ok(exit) => exit,
        Err(failure) => {
            if !failure.message.is_empty() {
                output::warn(&failure.message);
            }
            failure.exit
        }
    }
}
