//! The drift test: `schemas/` must hold exactly what the Rust types generate, every published
//! revision must pass its type's compatibility rule, and nothing else may be there.
//!
//! Regenerate with `UPDATE_SCHEMAS=1 cargo test -p shared-events --test schemas`.

use serde_json::{Value, json};
use shared_events::catalog::{CATALOG, CatalogEntry, Kind};
use shared_events::schema::files::{self, Issue};

#[test]
fn the_committed_schemas_match_the_rust_types() {
    let dir = files::workspace_dir();
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        match files::update(&dir) {
            Ok(published) => {
                for p in published {
                    eprintln!("published {} revision {}", p.event_type, p.revision);
                }
            }
            Err(issues) => panic!("{}", render(&issues)),
        }
    }
    let issues = files::check(&dir);
    assert!(issues.is_empty(), "{}", render(&issues));

    let mut found: Vec<String> = std::fs::read_dir(&dir)
        .expect("schemas/ exists")
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|name| name.ends_with(".json"))
        .collect();
    found.sort();
    let mut expected: Vec<String> = CATALOG
        .iter()
        .map(|e| format!("{}.json", e.event_type))
        .collect();
    expected.sort();
    assert_eq!(
        found, expected,
        "schemas/ holds one current file per catalog type and nothing else"
    );
}

fn schema(properties: Value, required: &[&str]) -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": false,
        "properties": properties,
        "required": required,
    })
}

fn v1() -> Value {
    schema(json!({"order_id": {"type": "string"}}), &["order_id"])
}
fn v1_with_optional_note() -> Value {
    schema(
        json!({"order_id": {"type": "string"}, "note": {"type": "string"}}),
        &["order_id"],
    )
}
fn v1_with_retyped_id() -> Value {
    schema(json!({"order_id": {"type": "integer"}}), &["order_id"])
}

const fn entry(schema: fn() -> Value) -> CatalogEntry {
    CatalogEntry {
        event_type: "com.example.widget.made.v1",
        kind: Kind::Event,
        description: "test",
        schema,
    }
}

#[test]
fn a_compatible_change_is_published_as_the_next_revision() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_eq!(
        files::update_entries(dir.path(), &[entry(v1)])
            .expect("first")
            .len(),
        1
    );
    let published =
        files::update_entries(dir.path(), &[entry(v1_with_optional_note)]).expect("compatible");
    assert_eq!(published[0].revision, 2);
    assert!(
        dir.path()
            .join("com.example.widget.made.v1/versions/2.json")
            .exists()
    );
    assert!(files::check_entries(dir.path(), &[entry(v1_with_optional_note)]).is_empty());
    // The old revision is stale now: checking against v1 reports drift.
    assert!(matches!(
        files::check_entries(dir.path(), &[entry(v1)]).first(),
        Some(Issue::Drift { .. })
    ));
}

#[test]
fn an_incompatible_change_is_refused_with_advice_to_bump_the_major_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    files::update_entries(dir.path(), &[entry(v1)]).expect("first");
    let issues =
        files::update_entries(dir.path(), &[entry(v1_with_retyped_id)]).expect_err("breaking");
    let message = render(&issues);
    assert!(message.contains("com.example.widget.made.v2"), "{message}");
    assert!(message.contains("deprecated"), "{message}");
    assert!(
        !dir.path()
            .join("com.example.widget.made.v1/versions/2.json")
            .exists()
    );
    assert!(matches!(
        files::check_entries(dir.path(), &[entry(v1_with_retyped_id)]).as_slice(),
        [
            Issue::Drift { .. },
            Issue::Unpublished { .. },
            Issue::Incompatible { .. }
        ]
    ));
}

fn render(issues: &[Issue]) -> String {
    issues
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}
