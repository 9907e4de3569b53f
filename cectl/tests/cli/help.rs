//! `--help` snapshots (plain text files in `tests/help/`; regenerate with
//! `UPDATE_SNAPSHOTS=1 cargo test -p cectl --test cli help`), usage errors and completions.

use crate::helpers::cectl;
use predicates::prelude::*;
use std::path::Path;

#[test]
fn help_texts_match_their_snapshots() {
    let cases: &[(&str, &[&str])] = &[
        ("cectl", &["--help"]),
        ("send", &["send", "--help"]),
        ("build", &["build", "--help"]),
        ("receive", &["receive", "--help"]),
        ("listen", &["listen", "--help"]),
        ("tail", &["tail", "--help"]),
        ("events", &["events", "--help"]),
        ("events-list", &["events", "list", "--help"]),
        ("events-get", &["events", "get", "--help"]),
        ("deliveries", &["deliveries", "--help"]),
        ("deliveries-list", &["deliveries", "list", "--help"]),
        ("deliveries-get", &["deliveries", "get", "--help"]),
        ("replay", &["replay", "--help"]),
        ("jobs", &["jobs", "--help"]),
        ("jobs-list", &["jobs", "list", "--help"]),
        ("jobs-get", &["jobs", "get", "--help"]),
        ("jobs-cancel", &["jobs", "cancel", "--help"]),
        ("subscriptions", &["subscriptions", "--help"]),
        ("subscriptions-list", &["subscriptions", "list", "--help"]),
        ("subscriptions-get", &["subscriptions", "get", "--help"]),
        ("subscriptions-apply", &["subscriptions", "apply", "--help"]),
        (
            "subscriptions-delete",
            &["subscriptions", "delete", "--help"],
        ),
        ("dlq", &["dlq", "--help"]),
        ("dlq-list", &["dlq", "list", "--help"]),
        ("dlq-get", &["dlq", "get", "--help"]),
        ("dlq-redeliver", &["dlq", "redeliver", "--help"]),
        ("dlq-purge", &["dlq", "purge", "--help"]),
        ("sign", &["sign", "--help"]),
        ("verify", &["verify", "--help"]),
        ("completion", &["completion", "--help"]),
        ("schema", &["schema", "--help"]),
        ("schema-compat", &["schema", "compat", "--help"]),
        ("schema-check", &["schema", "check", "--help"]),
        ("validate", &["validate", "--help"]),
    ];
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/help");
    let mut stale = Vec::new();
    for (name, args) in cases {
        let output = cectl().args(*args).output().expect("run");
        assert_eq!(output.status.code(), Some(0), "{name}");
        let text = String::from_utf8(output.stdout).expect("utf-8");
        assert!(
            text.contains("Examples:") || *name == "schema",
            "{name} has no examples"
        );
        let path = dir.join(format!("{name}.txt"));
        if update {
            std::fs::write(&path, &text).expect("write snapshot");
            continue;
        }
        let expected = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e}; run with UPDATE_SNAPSHOTS=1", path.display()));
        if text != expected {
            stale.push(format!("{name}:\n{text}"));
        }
    }
    assert!(
        stale.is_empty(),
        "help changed; run with UPDATE_SNAPSHOTS=1 to accept:\n{}",
        stale.join("\n")
    );
}

#[test]
fn every_snapshot_file_names_a_command_that_exists() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/help");
    for entry in std::fs::read_dir(&dir).expect("tests/help").flatten() {
        let name = entry.file_name().to_string_lossy().replace(".txt", "");
        let args: Vec<&str> = if name == "cectl" {
            vec![]
        } else if let Some((group, sub)) = name.split_once('-') {
            vec![group, sub]
        } else {
            vec![name.as_str()]
        };
        cectl().args(&args).arg("--help").assert().code(0);
    }
}

#[test]
fn usage_errors_exit_2_before_anything_happens() {
    cectl().args(["send", "--nope"]).assert().code(2);
    cectl()
        .arg("send")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--type"));
    cectl()
        .args(["-o", "yaml", "subscriptions", "list"])
        .assert()
        .code(2);
    cectl()
        .args(["--color", "sometimes", "completion", "bash"])
        .assert()
        .code(2);
    cectl()
        .args(["dlq", "redeliver", "--all"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--subscription"));
    cectl()
        .args(["dlq", "redeliver", "1", "--all", "--subscription", "s"])
        .assert()
        .code(2);
    cectl().args(["dlq", "purge"]).assert().code(2);
    cectl()
        .args(["-o", "curl", "subscriptions", "list"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("only for `cectl build`"));
    cectl()
        .args(["--gateway", "localhost:8080", "subscriptions", "list"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a gateway URL"));
}

#[test]
fn completions_are_printed_for_bash_zsh_and_fish() {
    for (shell, marker) in [
        ("bash", "_cectl()"),
        ("zsh", "#compdef cectl"),
        ("fish", "complete -c cectl"),
    ] {
        cectl()
            .args(["completion", shell])
            .assert()
            .code(0)
            .stdout(predicate::str::contains(marker))
            .stdout(predicate::str::contains("subscriptions"));
    }
    cectl().args(["completion", "tcsh"]).assert().code(2);
}

#[test]
fn colour_follows_the_color_flag_and_stays_off_in_pipes() {
    let escape = "\u{1b}[";
    let verdict = |colour: Option<&str>, no_color: bool, output: &str| {
        let mut command = cectl();
        if !no_color {
            command.env_remove("NO_COLOR");
        }
        if let Some(colour) = colour {
            command.args(["--color", colour]);
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let body = crate::helpers::write(dir.path(), "body.json", "{}");
        let output = command
            .args([
                "-o",
                output,
                "verify",
                "--secret",
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            ])
            .arg(&body)
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(3));
        String::from_utf8(output.stdout).expect("utf-8")
    };
    assert!(
        !verdict(None, false, "table").contains(escape),
        "a pipe is not a terminal"
    );
    assert!(!verdict(Some("auto"), true, "table").contains(escape));
    assert!(!verdict(Some("never"), false, "json").contains(escape));
    let forced = verdict(Some("always"), true, "table");
    assert!(forced.starts_with(escape), "{forced:?}");
    assert!(verdict(Some("always"), false, "json").contains(escape));
}
