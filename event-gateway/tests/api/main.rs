//! The gateway through its real HTTP API: a real server on port 0, a real SQLite file per test,
//! real subscribers.

mod crash;
mod deadletters;
mod delivery;
mod flow;
mod fuzz;
mod helpers;
mod inbound;
mod ingest;
mod limits;
mod registry;
mod signing;
mod ssrf;
mod subscriptions;
