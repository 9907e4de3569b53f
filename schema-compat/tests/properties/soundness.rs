//! Soundness: whenever the checker says a reader can read a writer, every instance valid under
//! the writer (as judged by the `jsonschema` crate) is valid under the reader — with the
//! reader's `additionalProperties: false` relaxed when open reader views are on.
//!
//! Schemas come from a small generator (objects with typed properties, required lists, enums,
//! bounds, nested objects, arrays, `additionalProperties` variants, `patternProperties`); the
//! new schema is the old one with random edits, so compatible pairs are common. Instances are
//! sampled from the writer's own description (mostly valid) with random extras.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use schema_compat::{CheckOptions, can_read};

use super::generator::{Spec, apply, case};
use super::instances::{Rng, relax, sample, schema};

/// Checks one reader/writer pair: `Ok(None)` when the checker said incompatible, else
/// `Ok(Some(n))` with `n` sampled writer instances that the reader also accepted.
fn check_pair(
    reader: &Spec,
    writer: &Spec,
    seed: u64,
    open: bool,
) -> Result<Option<usize>, String> {
    let (reader_schema, writer_schema) = (schema(reader), schema(writer));
    let options = CheckOptions {
        open_reader_views: open,
    };
    let findings = can_read(&reader_schema, &writer_schema, &options);
    if findings.iter().any(|f| f.breaking) {
        return Ok(None);
    }
    let mut effective = reader_schema.clone();
    if open {
        relax(&mut effective);
    }
    let writer_validator = jsonschema::validator_for(&writer_schema).map_err(|e| e.to_string())?;
    let reader_validator = jsonschema::validator_for(&effective).map_err(|e| e.to_string())?;
    let mut rng = Rng::new(seed);
    let mut valid = 0;
    for _ in 0..48 {
        let instance = sample(&mut rng, writer);
        if !writer_validator.is_valid(&instance) {
            continue;
        }
        valid += 1;
        if !reader_validator.is_valid(&instance) {
            return Err(format!(
                "judged compatible (open reader views: {open}), but\n  instance {instance}\n  \
                 is valid under the writer {writer_schema}\n  and not under the reader \
                 {effective}\n  findings: {findings:#?}"
            ));
        }
    }
    Ok(Some(valid))
}

proptest! {
    #![proptest_config(Config { cases: 256, failure_persistence: None, ..Config::default() })]

    #[test]
    fn compatible_verdicts_never_lose_writer_data((old, edits, seed, open) in case()) {
        let new = apply(&old, &edits);
        check_pair(&new, &old, seed, open).map_err(TestCaseError::fail)?;
        check_pair(&old, &new, seed.rotate_left(17), open).map_err(TestCaseError::fail)?;
    }
}

#[test]
fn the_generator_yields_compatible_pairs_often_enough_to_matter() {
    let mut runner = TestRunner::deterministic();
    let strategy = case();
    let (mut compatible, mut changed, mut instances, total) = (0, 0, 0, 200);
    for _ in 0..total {
        let Ok(tree) = strategy.new_tree(&mut runner) else {
            continue;
        };
        let (old, edits, seed, open) = tree.current();
        let new = apply(&old, &edits);
        if let Some(valid) = check_pair(&new, &old, seed, open).expect("sound") {
            compatible += 1;
            instances += valid;
            if schema(&new) != schema(&old) {
                changed += 1;
            }
        }
    }
    assert!(
        compatible * 5 >= total,
        "only {compatible} of {total} generated pairs were judged compatible"
    );
    assert!(
        changed * 10 >= total,
        "only {changed} of {total} generated pairs were compatible changes"
    );
    assert!(
        instances >= compatible * 10,
        "only {instances} writer-valid instances over {compatible} compatible pairs"
    );
}
