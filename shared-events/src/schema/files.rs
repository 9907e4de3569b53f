//! The committed schema files and the rules that keep them honest.
//!
//! ```text
//! schemas/<type>.json                  the current schema (what the types generate)
//! schemas/<type>/versions/<n>.json     every published revision, immutable, n = 1, 2, …
//! schemas/<type>/meta.json             {"compatibility": "FULL_TRANSITIVE", "deprecated": …}
//! ```
//!
//! [`check`] reports every way the directory disagrees with the Rust types (the drift test and
//! `cectl schema check` run it); [`update`] regenerates the files, publishing a changed schema
//! as revision n+1 only when it passes the type's compatibility rule against the earlier
//! revisions, and refusing otherwise with a message that says to create a new major version.

use crate::catalog::{CATALOG, CatalogEntry};
use schema_compat::{CheckOptions, Mode, Report};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The command that regenerates the schema files.
pub const REGENERATE: &str = "UPDATE_SCHEMAS=1 cargo test -p shared-events --test schemas";

/// Per-type metadata kept beside the versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// The compatibility rule new revisions must pass.
    #[serde(default = "default_mode")]
    pub compatibility: Mode,
    /// Set when the type is deprecated, saying what replaces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<Deprecation>,
}

/// What replaces a deprecated type (the xRegistry `deprecated` attribute's shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deprecation {
    /// The type to move to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternative: Option<String>,
    /// Where to read about the migration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs: Option<String>,
}

fn default_mode() -> Mode {
    Mode::FullTransitive
}

impl Default for Meta {
    fn default() -> Self {
        Self {
            compatibility: default_mode(),
            deprecated: None,
        }
    }
}

/// One way the schema directory disagrees with the types.
#[derive(Debug, thiserror::Error)]
pub enum Issue {
    /// A file could not be read or parsed.
    #[error("{path}: {reason}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The current schema file is missing or differs from what the types generate.
    #[error(
        "{event_type}: schemas/{event_type}.json differs from the Rust type; run `{REGENERATE}`"
    )]
    Drift {
        /// The type.
        event_type: &'static str,
    },
    /// The current schema is not the latest published revision.
    #[error(
        "{event_type}: the current schema is not published as schemas/{event_type}/versions/{next}.json; run `{REGENERATE}`"
    )]
    Unpublished {
        /// The type.
        event_type: &'static str,
        /// The revision it would become.
        next: u32,
    },
    /// Revisions are not numbered 1, 2, … without gaps.
    #[error("{event_type}: revisions must be numbered 1..n without gaps, found {found:?}")]
    Gap {
        /// The type.
        event_type: &'static str,
        /// The revision numbers found.
        found: Vec<u32>,
    },
    /// The schema breaks the type's compatibility rule.
    #[error("{}", incompatible_message(event_type, *mode, report, consumers))]
    Incompatible {
        /// The type.
        event_type: &'static str,
        /// Its rule.
        mode: Mode,
        /// What the checker found.
        report: Report,
        /// The consumers (from `contracts/`) whose expectations the new schema breaks.
        consumers: Vec<crate::contracts::BrokenConsumer>,
    },
}

fn incompatible_message(
    event_type: &str,
    mode: Mode,
    report: &Report,
    consumers: &[crate::contracts::BrokenConsumer],
) -> String {
    let findings: Vec<String> = report.breaking().map(|f| format!("  - {f}")).collect();
    let consumers = if consumers.is_empty() {
        String::new()
    } else {
        let lines: Vec<String> = consumers.iter().map(|c| format!("  - {c}")).collect();
        format!(
            "\nIt breaks these consumers' expectations (contracts/):\n{}",
            lines.join("\n")
        )
    };
    let (unversioned, next) = match crate::EventType::parse(event_type) {
        Ok(ty) => (ty.unversioned().to_owned(), ty.version() + 1),
        Err(_) => (event_type.to_owned(), 2),
    };
    format!(
        "{event_type}: the new schema breaks its {mode} compatibility rule:\n{}\n\
         A breaking change needs a new major version: create `{unversioned}.v{next}` (a new Rust \
         type and catalog entry), emit both for a while, and mark `{event_type}` deprecated in \
         schemas/{event_type}/meta.json.{consumers}",
        findings.join("\n")
    )
}

/// The workspace's `schemas/` directory (as seen from this crate's sources).
pub fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("schemas")
}

struct TypeFiles {
    current: Option<Value>,
    versions: Vec<(u32, Value)>,
    meta: Meta,
}

fn read_json(path: &Path) -> Result<Option<Value>, Issue> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| Issue::Unreadable {
                path: path.to_owned(),
                reason: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Issue::Unreadable {
            path: path.to_owned(),
            reason: e.to_string(),
        }),
    }
}

fn read_type(dir: &Path, event_type: &str) -> Result<TypeFiles, Issue> {
    let current = read_json(&dir.join(format!("{event_type}.json")))?;
    let meta_path = dir.join(event_type).join("meta.json");
    let meta = match read_json(&meta_path)? {
        Some(value) => serde_json::from_value(value).map_err(|e| Issue::Unreadable {
            path: meta_path,
            reason: e.to_string(),
        })?,
        None => Meta::default(),
    };
    let mut versions = Vec::new();
    let versions_dir = dir.join(event_type).join("versions");
    if let Ok(entries) = std::fs::read_dir(&versions_dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(n) = path
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(value) = read_json(&path)? {
                versions.push((n, value));
            }
        }
    }
    versions.sort_by_key(|(n, _)| *n);
    Ok(TypeFiles {
        current,
        versions,
        meta,
    })
}

fn compat(
    dir: &Path,
    entry: &CatalogEntry,
    meta: &Meta,
    history: &[Value],
    new: &Value,
) -> Option<Issue> {
    let report = schema_compat::check(meta.compatibility, history, new, &CheckOptions::default());
    (!report.compatible).then(|| Issue::Incompatible {
        event_type: entry.event_type,
        mode: meta.compatibility,
        report,
        // The consumers' contracts live beside `schemas/`.
        consumers: crate::contracts::broken_by(
            &dir.join("..").join("contracts"),
            entry.event_type,
            new,
        ),
    })
}

/// Every way `dir` disagrees with the catalog's Rust types; empty when all is well.
pub fn check(dir: &Path) -> Vec<Issue> {
    check_entries(dir, CATALOG)
}

/// [`check`] over any list of entries (tests use made-up ones).
pub fn check_entries(dir: &Path, entries: &[CatalogEntry]) -> Vec<Issue> {
    let mut issues = Vec::new();
    for entry in entries {
        let files = match read_type(dir, entry.event_type) {
            Ok(files) => files,
            Err(issue) => {
                issues.push(issue);
                continue;
            }
        };
        let generated = (entry.schema)();
        if files.current.as_ref() != Some(&generated) {
            issues.push(Issue::Drift {
                event_type: entry.event_type,
            });
        }
        let numbers: Vec<u32> = files.versions.iter().map(|(n, _)| *n).collect();
        if numbers
            .iter()
            .enumerate()
            .any(|(i, n)| *n as usize != i + 1)
        {
            issues.push(Issue::Gap {
                event_type: entry.event_type,
                found: numbers.clone(),
            });
        }
        let history: Vec<Value> = files.versions.iter().map(|(_, v)| v.clone()).collect();
        if history.last() != Some(&generated) {
            issues.push(Issue::Unpublished {
                event_type: entry.event_type,
                next: numbers.last().copied().unwrap_or(0) + 1,
            });
            issues.extend(compat(dir, entry, &files.meta, &history, &generated));
        }
        // Published revisions must each have passed the rule against their predecessors.
        for i in 1..history.len() {
            issues.extend(compat(dir, entry, &files.meta, &history[..i], &history[i]));
        }
    }
    issues
}

/// What [`update`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The type.
    pub event_type: &'static str,
    /// The new revision number.
    pub revision: u32,
}

fn write_json(path: &Path, value: &impl Serialize) -> Result<(), Issue> {
    let unreadable = |e: String| Issue::Unreadable {
        path: path.to_owned(),
        reason: e,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| unreadable(e.to_string()))?;
    }
    let mut text = serde_json::to_string_pretty(value).map_err(|e| unreadable(e.to_string()))?;
    text.push('\n');
    std::fs::write(path, text).map_err(|e| unreadable(e.to_string()))
}

/// Regenerates the files in `dir` from the types: a type whose schema changed gets its next
/// revision published, provided the change passes its compatibility rule.
///
/// # Errors
/// Every [`Issue`] that prevents it; nothing is written for a type that has one.
pub fn update(dir: &Path) -> Result<Vec<Published>, Vec<Issue>> {
    update_entries(dir, CATALOG)
}

/// [`update`] over any list of entries (tests use made-up ones).
///
/// # Errors
/// As [`update`].
pub fn update_entries(dir: &Path, entries: &[CatalogEntry]) -> Result<Vec<Published>, Vec<Issue>> {
    let mut published = Vec::new();
    let mut issues = Vec::new();
    for entry in entries {
        let result = (|| {
            let files = read_type(dir, entry.event_type)?;
            let generated = (entry.schema)();
            let history: Vec<Value> = files.versions.iter().map(|(_, v)| v.clone()).collect();
            if history.last() != Some(&generated) {
                if let Some(issue) = compat(dir, entry, &files.meta, &history, &generated) {
                    return Err(issue);
                }
                let revision = files.versions.last().map_or(0, |(n, _)| *n) + 1;
                let path = dir
                    .join(entry.event_type)
                    .join("versions")
                    .join(format!("{revision}.json"));
                write_json(&path, &generated)?;
                published.push(Published {
                    event_type: entry.event_type,
                    revision,
                });
            }
            if files.current.as_ref() != Some(&generated) {
                write_json(&dir.join(format!("{}.json", entry.event_type)), &generated)?;
            }
            let meta_path = dir.join(entry.event_type).join("meta.json");
            if !meta_path.exists() {
                write_json(&meta_path, &files.meta)?;
            }
            Ok(())
        })();
        if let Err(issue) = result {
            issues.push(issue);
        }
    }
    if issues.is_empty() {
        Ok(published)
    } else {
        Err(issues)
    }
}
