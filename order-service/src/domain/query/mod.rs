//! Queries: questions answered from the event store, one file each with its handler. They go
//! through the command bus (one handler each) and change nothing.

mod get_order;

pub use get_order::{GetOrder, GetOrderHandler};
