//! The command line, declared with clap derive. One variant per command; each command's
//! arguments live beside its implementation in `commands/`.

use crate::commands::{
    build, completion, deliveries, dlq, events, jobs, listen, receive, replay, schema_check,
    schema_compat, send, sign, subscriptions, tail, validate, verify,
};
use crate::exit::EXIT_CODES;
use crate::output::{ColorWhen, Format};
use clap::{Args, Parser, Subcommand};

/// CloudEvents from the command line: send, build, receive, sign and verify events; forward
/// live gateway traffic to a local endpoint, tail it, inspect events and their deliveries,
/// replay; manage the gateway's subscriptions and dead letters; check schemas and events.
#[derive(Debug, Parser)]
#[command(
    name = "cectl",
    version,
    after_help = concat!(
        "Examples:\n",
        "  cectl send -t com.acme.thing.done.v1 -f thing.id=t-1\n",
        "  cectl listen --forward-to http://127.0.0.1:3000/webhooks\n",
        "  cectl tail --from earliest --status failed\n",
        "  cectl events get --source /order-service --id 0190b2a4-7c1e-7000-8000-000000000001\n",
        "  cectl replay --subscription payments --since 1h\n",
        "  cectl receive --port 9000\n",
        "  cectl subscriptions apply -f subscriptions.yaml\n",
        "  cectl dlq list --subscription payments\n",
        "  cectl verify --secret whsec_… -H 'webhook-id: …' -H 'webhook-timestamp: …' \
         -H 'webhook-signature: …' body.json\n",
        "  cectl schema compat schemas/com.example.order.created.v1.json new.json\n\n",
        "Data goes to stdout, progress and errors to stderr.\n",
        "Exit codes: 0 ok, 1 error, 2 usage (bad flag, unreadable file), 3 the thing checked is \
         bad (incompatible, drifted, invalid, wrong signature), 4 not found."
    )
)]
pub struct Cli {
    /// Flags every command takes.
    #[command(flatten)]
    pub global: Global,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// Output format [default: table on a terminal, json otherwise]
    #[arg(short = 'o', long = "output", global = true, value_enum)]
    pub output: Option<Format>,
    /// The gateway, for commands that talk to it
    #[arg(
        long,
        global = true,
        env = "CECTL_GATEWAY",
        default_value = "http://127.0.0.1:8080"
    )]
    pub gateway: String,
    /// A bearer token for the gateway's API (sent to the gateway only)
    #[arg(long, global = true, env = "CECTL_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// When to colour the output (NO_COLOR in the environment turns auto off)
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send one event to the gateway or any receiver; print the answer
    #[command(after_help = send::EXAMPLES)]
    Send(send::SendArgs),
    /// Build the event `send` would send, offline: its JSON, or -o curl for a curl line
    #[command(after_help = build::EXAMPLES)]
    Build(build::BuildArgs),
    /// Forward live gateway traffic to a local endpoint, signed (a temporary pull subscription)
    #[command(after_help = listen::EXAMPLES)]
    Listen(listen::ListenArgs),
    /// Run a local sink that prints every event it receives
    #[command(after_help = receive::EXAMPLES)]
    Receive(receive::ReceiveArgs),
    /// Follow events and delivery outcomes as they happen
    #[command(after_help = tail::EXAMPLES)]
    Tail(tail::TailArgs),
    /// Read the gateway's retained events and where each went
    #[command(after_help = events::EXAMPLES)]
    Events(events::EventsArgs),
    /// Read delivery attempts: status, latency, the response
    #[command(after_help = deliveries::EXAMPLES)]
    Deliveries(deliveries::DeliveriesArgs),
    /// Manage the gateway's subscriptions
    #[command(after_help = subscriptions::EXAMPLES)]
    Subscriptions(subscriptions::SubscriptionsArgs),
    /// Inspect, redeliver and purge the gateway's dead letters
    #[command(after_help = dlq::EXAMPLES)]
    Dlq(dlq::DlqArgs),
    /// Send a subscription past events again (a replay job), following its progress
    #[command(after_help = replay::EXAMPLES)]
    Replay(replay::ReplayArgs),
    /// Follow and cancel the gateway's replay jobs
    #[command(after_help = jobs::EXAMPLES)]
    Jobs(jobs::JobsArgs),
    /// Print the Standard Webhooks headers that sign a body
    #[command(after_help = sign::EXAMPLES)]
    Sign(sign::SignArgs),
    /// Check a body's Standard Webhooks signature and say why it fails
    #[command(after_help = verify::EXAMPLES)]
    Verify(verify::VerifyArgs),
    /// Check schemas: compatibility between versions, drift against the Rust types
    Schema(SchemaArgs),
    /// Validate a structured-mode CloudEvent: attribute rules and its data against the catalog schema
    #[command(after_help = validate::EXAMPLES)]
    Validate(validate::ValidateArgs),
    /// Print a shell completion script
    #[command(after_help = completion::EXAMPLES)]
    Completion(completion::CompletionArgs),
}

/// `cectl schema …`.
#[derive(Debug, Args)]
#[command(after_help = EXIT_CODES)]
pub struct SchemaArgs {
    /// Which check.
    #[command(subcommand)]
    pub command: SchemaCommand,
}

/// The `schema` subcommands.
#[derive(Debug, Subcommand)]
pub enum SchemaCommand {
    /// Is the last schema a compatible successor of the earlier ones?
    #[command(after_help = schema_compat::EXAMPLES)]
    Compat(schema_compat::CompatArgs),
    /// Do the committed schemas match the Rust types and pass their compatibility rules?
    #[command(after_help = schema_check::EXAMPLES)]
    Check(schema_check::CheckArgs),
}
