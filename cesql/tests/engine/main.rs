//! Property and integration tests of the engine through its public API.
//!
//! - `strategies`: proptest generators of syntax trees, events and token soup.
//! - `roundtrip`: printed expressions parse back to the same tree.
//! - `fuzz`: no input, valid or not, makes parsing or evaluation panic.
//! - `sdk`: `EventView` for `cloudevents::Event` (feature `cloudevents`).

mod fuzz;
mod roundtrip;
#[cfg(feature = "cloudevents")]
mod sdk;
mod strategies;
