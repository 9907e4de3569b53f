//! payment-service API tests: the real application on port 0, a real SQLite file in a
//! temporary directory, and a real `TestReceiver` as `K_SINK`.

mod database;

use test_support::on_both_backends;
mod events;
mod helpers;
mod payments;
