//! `cectl` driven as a user would: the real binary (assert_cmd) against a real gateway started
//! in this process on port 0, real sinks, and `cectl receive` as a child process; exit codes,
//! outputs and `--help` snapshots.

mod build;
mod contracts;
mod dlq;
mod help;
mod helpers;
mod receive;
mod send;
mod signing;
mod subscriptions;
