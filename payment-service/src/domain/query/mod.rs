//! Queries: questions answered from the payments table, one file each with its handler. They go
//! through the command bus (one handler each) and change nothing.

mod get_payment;

pub use get_payment::{GetPayment, GetPaymentHandler};
