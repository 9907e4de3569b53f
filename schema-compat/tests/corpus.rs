//! The crate's test binary: replays the data-driven corpus in `tests/corpus/*.json`, and runs
//! the property tests in `tests/properties/`.
//!
//! Each file is a JSON array of cases:
//!
//! ```json
//! {
//!   "name": "a sentence saying what the case shows",
//!   "mode": "BACKWARD",
//!   "options": {"open_reader_views": false},
//!   "history": [{"type": "string"}],
//!   "new": {"type": "integer"},
//!   "compatible": false,
//!   "findings": ["TYPE_CHANGED"],
//!   "pointers": ["/type"]
//! }
//! ```
//!
//! `history` is oldest first; `options` defaults to open reader views; `findings` is the exact
//! set of finding kinds reported (breaking or not); `pointers`, when given, must each appear as
//! the reader or writer pointer of some finding.

use std::collections::BTreeSet;
use std::path::PathBuf;

use schema_compat::{CheckOptions, FindingKind, Mode, Report, check};
use serde::Deserialize;
use serde_json::Value;

#[path = "properties/mod.rs"]
mod properties;

const MIN_CASES: usize = 80;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    mode: Mode,
    #[serde(default)]
    options: CheckOptions,
    history: Vec<Value>,
    new: Value,
    compatible: bool,
    findings: BTreeSet<FindingKind>,
    #[serde(default)]
    pointers: Vec<String>,
}

fn load() -> Vec<(String, Case)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the corpus directory exists")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a readable corpus file");
        let parsed: Vec<Case> = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} does not parse: {e}", file.display()));
        let stem = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        cases.extend(parsed.into_iter().map(|case| (stem.clone(), case)));
    }
    cases
}

fn problems(case: &Case, report: &Report) -> Vec<String> {
    let mut problems = Vec::new();
    if report.compatible != case.compatible {
        problems.push(format!(
            "expected compatible = {}, got {}",
            case.compatible, report.compatible
        ));
    }
    let kinds: BTreeSet<FindingKind> = report.findings.iter().map(|f| f.kind).collect();
    if kinds != case.findings {
        problems.push(format!(
            "expected kinds {:?}, got {:?}",
            case.findings, kinds
        ));
    }
    for pointer in &case.pointers {
        let found = report
            .findings
            .iter()
            .any(|f| &f.pointer == pointer || &f.writer_pointer == pointer);
        if !found {
            problems.push(format!("no finding at pointer {pointer:?}"));
        }
    }
    problems
}

#[test]
fn every_corpus_case_gives_the_expected_verdict_and_findings() {
    let cases = load();
    let mut failures = Vec::new();
    let mut names = BTreeSet::new();
    for (file, case) in &cases {
        assert!(
            names.insert(case.name.clone()),
            "duplicate case name {:?}",
            case.name
        );
        let report = check(case.mode, &case.history, &case.new, &case.options);
        let problems = problems(case, &report);
        if !problems.is_empty() {
            let findings: Vec<String> = report.findings.iter().map(ToString::to_string).collect();
            failures.push(format!(
                "[{file}] {}:\n    {}\n    findings:\n      {}",
                case.name,
                problems.join("\n    "),
                findings.join("\n      ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert!(
        cases.len() >= MIN_CASES,
        "the corpus has {} cases, fewer than {MIN_CASES}",
        cases.len()
    );
}

#[test]
fn the_corpus_covers_every_mode_and_both_option_settings() {
    let cases = load();
    for mode in Mode::ALL {
        assert!(
            cases.iter().any(|(_, c)| c.mode == mode),
            "no corpus case uses {mode}"
        );
    }
    for open in [true, false] {
        assert!(
            cases
                .iter()
                .any(|(_, c)| c.options.open_reader_views == open),
            "no corpus case has open_reader_views = {open}"
        );
    }
}
