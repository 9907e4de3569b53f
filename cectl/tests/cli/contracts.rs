//! The contract checks: `schema compat`, `schema check` and `validate`, their outputs and exit
//! codes.

use crate::helpers::{cectl, stdout_json, workspace};
use predicates::prelude::*;
use serde_json::{Value, json};
use shared_events::catalog::values::{Currency, OrderId};
use shared_events::catalog::{OrderCreatedV1, lookup};
use shared_events::producer::{DEFAULT_SCHEMA_BASE, Producer};
use shared_events::trace::Traceparent;
use std::path::{Path, PathBuf};

fn write(dir: &Path, name: &str, value: &Value) -> PathBuf {
    crate::helpers::write(
        dir,
        name,
        &serde_json::to_string_pretty(value).expect("json"),
    )
}

fn schema(v: &str) -> Value {
    (lookup(v).expect("catalog type").schema)()
}

#[test]
fn a_compatible_successor_exits_0() {
    let dir = tempfile::tempdir().expect("tempdir");
    let old = schema("com.example.order.created.v1");
    let mut new = old.clone();
    new["properties"]["note"] = json!({"type": "string"});
    let (a, b) = (
        write(dir.path(), "a.json", &old),
        write(dir.path(), "b.json", &new),
    );
    let output = cectl()
        .args(["schema", "compat"])
        .arg(&a)
        .arg(&b)
        .output()
        .expect("run");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = stdout_json(&output);
    assert_eq!(report["compatible"], true);
    assert_eq!(report["mode"], "FULL_TRANSITIVE");
}

#[test]
fn a_v2_shaped_revision_of_v1_exits_3_and_names_the_broken_consumer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut v2 = schema("com.example.order.created.v2");
    v2["title"] = "com.example.order.created.v1".into();
    let new = write(dir.path(), "new.json", &v2);
    let output = cectl()
        .args([
            "schema",
            "compat",
            "schemas/com.example.order.created.v1.json",
        ])
        .arg(&new)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(3));
    let report = stdout_json(&output);
    assert_eq!(report["compatible"], false);
    assert_eq!(report["consumers"][0]["consumer"], "analytics");
    let kinds: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["breaking"] == true)
        .filter_map(|f| f["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"),
        "{kinds:?}"
    );

    cectl()
        .args([
            "-o",
            "table",
            "schema",
            "compat",
            "schemas/com.example.order.created.v1.json",
        ])
        .arg(&new)
        .assert()
        .code(3)
        .stdout(predicate::str::contains("incompatible"))
        .stdout(predicate::str::contains("analytics"))
        .stdout(predicate::str::contains(
            "create com.example.order.created.v2",
        ));
}

#[test]
fn usage_errors_exit_2() {
    cectl()
        .args([
            "schema",
            "compat",
            "--mode",
            "SIDEWAYS",
            "schemas/a.json",
            "schemas/b.json",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown compatibility mode"));
    cectl()
        .args([
            "schema",
            "compat",
            "schemas/com.example.order.paid.v1.json",
            "no/such.json",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no/such.json"));
    cectl()
        .args(["schema", "compat", "only-one.json"])
        .assert()
        .code(2);
    cectl()
        .args(["validate", "no/such/event.json"])
        .assert()
        .code(2);
}

#[test]
fn the_lowercase_xregistry_mode_spelling_is_accepted() {
    cectl()
        .args(["schema", "compat", "--mode", "backward_transitive"])
        .args([
            "schemas/com.example.order.paid.v1.json",
            "schemas/com.example.order.paid.v1.json",
        ])
        .assert()
        .code(0);
}

#[test]
fn schema_check_passes_on_the_workspace_and_fails_on_drift() {
    cectl()
        .args(["-o", "table", "schema", "check"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("ok:"));
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("schemas");
    copy_dir(&workspace().join("schemas"), &copy);
    let mut paid = schema("com.example.order.paid.v1");
    paid["properties"]["order_id"]["type"] = "integer".into();
    write(&copy, "com.example.order.paid.v1.json", &paid);
    let output = cectl()
        .args(["schema", "check", "--dir"])
        .arg(&copy)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(3));
    let report = stdout_json(&output);
    assert_eq!(report["ok"], false);
    assert!(
        report["issues"][0]
            .as_str()
            .expect("issue")
            .contains("com.example.order.paid.v1")
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

fn order_created() -> Value {
    let producer = Producer::new("/order-service", DEFAULT_SCHEMA_BASE.parse().expect("url"));
    let data = OrderCreatedV1 {
        order_id: OrderId::new(),
        customer_id: "c-1".try_into().expect("customer"),
        items: vec![
            serde_json::from_value(json!({"sku": "A", "quantity": 1, "unit_price_cents": 5}))
                .expect("item"),
        ],
        total_cents: 5.try_into().expect("amount"),
        currency: Currency::try_from("EUR").expect("currency"),
    };
    let event = producer.event(&data, &Traceparent::generate());
    serde_json::from_slice(&shared_events::format::to_vec(&event)).expect("json")
}

#[test]
fn a_valid_event_exits_0_from_a_file_or_stdin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "event.json", &order_created());
    let output = cectl().arg("validate").arg(&file).output().expect("run");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(stdout_json(&output)["valid"], true);
    cectl()
        .args(["validate", "-"])
        .write_stdin(serde_json::to_vec(&order_created()).expect("json"))
        .assert()
        .code(0);
}

#[test]
fn an_invalid_event_exits_3_with_every_error_and_its_pointer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut event = order_created();
    event["data"]["items"][0]["quantity"] = 0.into();
    event["data"]["currency"] = "euro".into();
    let file = write(dir.path(), "bad.json", &event);
    let output = cectl().arg("validate").arg(&file).output().expect("run");
    assert_eq!(output.status.code(), Some(3));
    let report = stdout_json(&output);
    let pointers: Vec<&str> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["pointer"].as_str())
        .collect();
    assert!(pointers.contains(&"/data/items/0/quantity"), "{pointers:?}");
    assert!(pointers.contains(&"/data/currency"), "{pointers:?}");

    let mut no_source = order_created();
    no_source.as_object_mut().expect("object").remove("source");
    let file = write(dir.path(), "nosource.json", &no_source);
    cectl()
        .args(["-o", "table", "validate"])
        .arg(&file)
        .assert()
        .code(3)
        .stdout(predicate::str::contains("/source"));
}
