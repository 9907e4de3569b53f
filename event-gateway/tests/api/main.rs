//! The gateway through its real HTTP API: a real server on port 0, a fresh database per test
//! (a SQLite file; for the tests marked so, also a PostgreSQL database), real subscribers; and
//! the real binary as child processes, alone on SQLite and as replicas on PostgreSQL.

mod console;
mod crash;
mod deadletters;
mod delivery;
mod flow;
mod fuzz;
mod helpers;
mod inbound;
mod ingest;
mod limits;
mod ordering;
mod pull;
mod receiver;
mod registry;
mod replay;
mod replicas;
mod replies;
mod signing;
mod ssrf;
mod streams;
mod subscriptions;
#[path = "../../src/store/testdb.rs"]
mod testdb;
