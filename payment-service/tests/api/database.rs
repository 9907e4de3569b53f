//! The test databases (SQLite file or a PostgreSQL database of its own), from `test-support`.

pub use test_support::{Backend, TestDatabase};
