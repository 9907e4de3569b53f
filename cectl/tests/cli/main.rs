//! `cectl` driven as a user would: the real binary (assert_cmd) against a real gateway started
//! in this process on port 0, real sinks, and the long-running commands (`receive`, `tail`,
//! `listen`, a followed `replay`) as child processes; exit codes, outputs and `--help`
//! snapshots.

mod build;
mod contracts;
mod dlq;
mod events;
mod help;
mod helpers;
mod listen;
mod process;
mod receive;
mod replay;
mod send;
mod signing;
mod subscriptions;
mod tail;
