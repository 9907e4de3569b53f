//! End-to-end tests of the payment saga: the real order-service and payment-service on port 0,
//! wired directly to each other (each one's `K_SINK` is the other's `/events`), each on its own
//! SQLite file, plus the contract test of everything either service emits.

mod contract;
mod database;

use test_support::on_both_backends;
mod helpers;
mod receiver;
mod saga;
