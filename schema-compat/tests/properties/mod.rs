//! Property tests, compiled into the corpus test binary (one test binary per crate).

mod generator;
mod instances;
mod robustness;
mod soundness;
