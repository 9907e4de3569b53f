//! Replays every case of every file of the CESQL v1 TCK (`shared/conformance/cesql-tck/`,
//! beside the repository) and reports each case that fails by file and name.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use cesql::{ErrorKind, Expression, Value};
use serde::Deserialize;
use serde_json::{Map, Value as Json};

/// The number of cases in the TCK as vendored; a change in the data must be looked at.
const EXPECTED_CASES: usize = 275;

#[derive(Deserialize)]
struct Suite {
    name: String,
    tests: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Case {
    name: String,
    expression: serde_yaml::Value,
    result: Option<serde_yaml::Value>,
    error: Option<String>,
    event: Option<Json>,
    event_overrides: Option<Map<String, Json>>,
}

fn tck_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/cesql-tck")
}

/// The event a case runs against: its `event`, or a minimal valid event with its
/// `eventOverrides` applied.
fn event_for(case: &Case) -> Map<String, Json> {
    if let Some(Json::Object(event)) = &case.event {
        return event.clone();
    }
    let mut event = Map::new();
    for (k, v) in [
        ("specversion", "1.0"),
        ("id", "tck-id"),
        ("source", "/tck"),
        ("type", "tck.type"),
    ] {
        event.insert(k.into(), Json::String(v.into()));
    }
    for (k, v) in case.event_overrides.iter().flatten() {
        event.insert(k.clone(), v.clone());
    }
    event
}

fn expected_value(result: &serde_yaml::Value) -> Option<Value> {
    match result {
        serde_yaml::Value::Bool(b) => Some(Value::Boolean(*b)),
        serde_yaml::Value::Number(n) => n
            .as_i64()
            .and_then(|i| i32::try_from(i).ok())
            .map(Value::Integer),
        serde_yaml::Value::String(s) => Some(Value::String(s.clone())),
        _ => None,
    }
}

/// The raw text after each `expression:` key, in order. YAML reads an unquoted `TRUE` or `0`
/// as a boolean or a number; the expression is the text as written.
fn raw_expressions(yaml: &str) -> Vec<String> {
    yaml.lines()
        .filter_map(|line| line.trim_start().strip_prefix("expression:"))
        .map(|raw| raw.trim().to_owned())
        .collect()
}

/// Runs one case; `Err` says how it failed.
fn run(case: &Case, source: &str) -> Result<(), String> {
    let expected_error = case.error.as_deref();
    let expr = match Expression::parse(source) {
        Ok(expr) => expr,
        Err(_) if expected_error == Some(ErrorKind::Parse.as_str()) => return Ok(()),
        Err(e) => return Err(format!("unexpected parse error: {e}")),
    };
    if expected_error == Some(ErrorKind::Parse.as_str()) {
        return Err(format!("expected a parse error, but it parsed as `{expr}`"));
    }
    let evaluation = expr.evaluate(&event_for(case));
    if let Some(result) = &case.result {
        let expected =
            expected_value(result).ok_or_else(|| format!("unusable result {result:?}"))?;
        if evaluation.value != expected {
            return Err(format!("expected {expected:?}, got {:?}", evaluation.value));
        }
    }
    let kinds: Vec<&str> = evaluation
        .errors
        .iter()
        .map(|e| e.kind().as_str())
        .collect();
    match expected_error {
        None if kinds.is_empty() => Ok(()),
        None => Err(format!("expected no error, got {:?}", evaluation.errors)),
        Some(kind) if !kinds.is_empty() && kinds.iter().all(|k| *k == kind) => Ok(()),
        Some(kind) => Err(format!(
            "expected only {kind} errors, got {:?}",
            evaluation.errors
        )),
    }
}

#[test]
fn every_case_of_the_cesql_tck_passes() {
    let dir = tck_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read the TCK at {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no TCK files in {}", dir.display());

    let (mut total, mut failures) = (0, String::new());
    for path in &files {
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let yaml = std::fs::read_to_string(path).expect("readable TCK file");
        let suite: Suite = serde_yaml::from_str(&yaml).unwrap_or_else(|e| panic!("{file}: {e}"));
        let raw = raw_expressions(&yaml);
        assert_eq!(
            raw.len(),
            suite.tests.len(),
            "{file}: one `expression:` line per case"
        );
        assert!(
            !suite.tests.is_empty(),
            "{file} ({}) has no cases",
            suite.name
        );
        for (case, raw) in suite.tests.iter().zip(raw) {
            total += 1;
            let source = match &case.expression {
                serde_yaml::Value::String(s) => s.clone(),
                _ => raw,
            };
            if let Err(why) = run(case, &source) {
                let _ = writeln!(failures, "{file}: {:?} (`{source}`): {why}", case.name);
            }
        }
    }
    assert!(failures.is_empty(), "TCK cases failed:\n{failures}");
    assert_eq!(
        total,
        EXPECTED_CASES,
        "ran {total} TCK cases from {} files",
        files.len()
    );
    println!("{total} TCK cases from {} files passed", files.len());
}
