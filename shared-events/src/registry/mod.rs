//! The catalog as a read-only [xRegistry](https://xregistry.io) (v1.0-rc4): a `messagegroups`
//! Group with one message definition per catalog type (envelope `CloudEvents/1.0`) and a
//! `schemagroups` Group with one schema Resource per type whose Versions are the published,
//! immutable revisions of `schemas/<type>/versions/<n>.json`.
//!
//! Everything is built once from [`CATALOG`](crate::catalog::CATALOG), the revisions embedded at
//! compile time ([`schema::published`]) and each type's `meta.json` (compatibility rule and
//! deprecation), so serving it reads no file. [`Registry`] renders each entity as JSON;
//! [`router`] (feature `axum`) serves them over HTTP under the base URL's path.
//!
//! Both Groups are keyed by the types' domain (`com.example`), so a schema Version's URL is
//! exactly what [`Producer::dataschema`](crate::producer::Producer::dataschema) puts in
//! `dataschema` when both are given the same base URL.
//!
//! Decisions where the specification and the published CloudEvents document schema leave room:
//! - `compatibility` and `deprecated` are `meta` attributes in rc4: they appear in `meta` (the
//!   `…/meta` URL, `?inline=meta`, and [`Registry::export`]); `compatibilityvalidated` is a
//!   Version attribute and appears in every `$details` view.
//! - [`Registry::export`] is the whole registry with everything inlined. It keeps absolute
//!   `self` URLs and drops the `…url` attribute of each inlined collection (its `…count` stays),
//!   because the published document schema asserts `format: uri` on `self` and allows a schema
//!   Resource either `versionsurl` or `versions`, not both.
//!
//! # Layout
//! - `entities`: the JSON of the Registry, Groups, Resources and Versions; `meta`: of message
//!   definitions' attributes and of `meta` entities.
//! - `model`: the `model` and `capabilities` documents.
//! - `inline`: the `?inline` flag.
//! - `routes` (feature `axum`): the HTTP binding: conditional GETs, `$details`, problem+json;
//!   `headers`: the `xRegistry-` headers of document responses.

mod entities;
#[cfg(feature = "axum")]
mod headers;
mod inline;
mod meta;
mod model;
#[cfg(feature = "axum")]
mod routes;

pub use inline::Inline;
#[cfg(feature = "axum")]
pub use routes::router;

use crate::catalog::{CATALOG, Kind};
use crate::schema::{self, files::Meta};
use chrono::{DateTime, SecondsFormat, Utc};
use schema_compat::CheckOptions;
use serde_json::Value;
use url::Url;

/// The xRegistry specification version served.
pub const SPEC_VERSION: &str = "1.0-rc4";
/// The `format` of every schema: JSON Schema draft 2020-12, spelled as the schema spec asks.
pub const SCHEMA_FORMAT: &str = "JsonSchema/draft/2020-12";
/// The media type of a schema document.
pub const SCHEMA_CONTENT_TYPE: &str = "application/schema+json";
/// The message envelope of every message definition.
pub const ENVELOPE: &str = "CloudEvents/1.0";

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/meta.rs"));
}

/// One published revision of a type's schema, as a Version.
#[derive(Debug, Clone)]
pub struct SchemaVersion {
    /// The revision number (the `versionid`).
    pub revision: u32,
    /// The document exactly as committed (the bytes served).
    pub document: String,
    /// Whether this revision passes the type's compatibility rule against the earlier ones.
    pub compatibility_validated: bool,
    /// Why not, when it does not.
    pub compatibility_reason: Option<String>,
}

/// One catalog type: its message definition and its schema Resource.
#[derive(Debug, Clone)]
pub struct TypeEntry {
    /// The CloudEvents `type`, also the `messageid` and `schemaid`.
    pub event_type: &'static str,
    /// The Group id: the type's domain (`com.example`).
    pub group: String,
    /// Event, command, query or reply.
    pub kind: Kind,
    /// One sentence on what it means.
    pub description: &'static str,
    /// Its compatibility rule and deprecation.
    pub meta: Meta,
    /// The `source` its producer stamps, when one service produces it.
    pub source: Option<&'static str>,
    /// Its published revisions, oldest first (never empty).
    pub versions: Vec<SchemaVersion>,
}

impl TypeEntry {
    /// The latest revision: the Resource's default Version.
    pub fn latest(&self) -> &SchemaVersion {
        // `Registry::new` never builds an entry without versions.
        &self.versions[self.versions.len() - 1]
    }

    /// The revision `revision`, if published.
    pub fn version(&self, revision: &str) -> Option<&SchemaVersion> {
        self.versions
            .iter()
            .find(|v| v.revision.to_string() == revision)
    }
}

/// The whole registry, built once from the catalog; cheap to render from.
#[derive(Debug, Clone)]
pub struct Registry {
    base: Url,
    created: String,
    types: Vec<TypeEntry>,
}

impl Registry {
    /// The registry served at `base` (e.g. `http://127.0.0.1:8080/registry`): every `self` URL
    /// and every message's `dataschema` starts with it.
    pub fn new(base: Url) -> Self {
        Self::with_time(base, Utc::now())
    }

    /// [`Registry::new`] with a fixed creation time (its `createdat` and `modifiedat`).
    pub fn with_time(base: Url, created: DateTime<Utc>) -> Self {
        let types = CATALOG
            .iter()
            .map(|entry| {
                let meta = meta_of(entry.event_type);
                let documents: Vec<(u32, String)> = schema::published()
                    .filter(|p| p.event_type == entry.event_type)
                    .map(|p| (p.revision, p.document.to_owned()))
                    .collect();
                let documents = if documents.is_empty() {
                    // Not published yet (a type added since the last regenerate): serve what the
                    // type generates as revision 1, as the producer's `dataschema` assumes.
                    let generated = serde_json::to_string_pretty(&(entry.schema)())
                        .unwrap_or_else(|_| "{}".to_owned());
                    vec![(1, generated)]
                } else {
                    documents
                };
                TypeEntry {
                    event_type: entry.event_type,
                    group: crate::EventType::parse(entry.event_type)
                        .map(|t| t.domain().to_owned())
                        .unwrap_or_else(|_| "default".to_owned()),
                    kind: entry.kind,
                    description: entry.description,
                    source: crate::asyncapi::producer_of(entry.event_type),
                    versions: validate_history(&meta, documents),
                    meta,
                }
            })
            .collect();
        Self {
            base,
            created: created.to_rfc3339_opts(SecondsFormat::Secs, true),
            types,
        }
    }

    /// The base URL everything is served under.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// Every type, in catalog order.
    pub fn types(&self) -> &[TypeEntry] {
        &self.types
    }

    /// The type `id` in Group `group`, if there is one.
    pub fn find(&self, group: &str, id: &str) -> Option<&TypeEntry> {
        self.types
            .iter()
            .find(|t| t.group == group && t.event_type == id)
    }

    /// The Group ids, sorted and without duplicates.
    pub fn groups(&self) -> Vec<&str> {
        let mut groups: Vec<&str> = self.types.iter().map(|t| t.group.as_str()).collect();
        groups.sort_unstable();
        groups.dedup();
        groups
    }

    /// The absolute URL of `path` (which starts with `/`) under the base.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.as_str().trim_end_matches('/'))
    }

    /// The whole registry as one document: what `GET /export` answers
    /// (`?inline=*,capabilities,modelsource` in the document view).
    pub fn export(&self) -> Value {
        self.root(&Inline::parse(["*,capabilities,modelsource"]), true)
    }
}

/// What replaces `event_type` when its `meta.json` marks it deprecated (the alternative type,
/// or an empty string when none is named).
pub fn deprecation_of(event_type: &str) -> Option<String> {
    meta_of(event_type)
        .deprecated
        .map(|d| d.alternative.unwrap_or_default())
}

/// The compatibility rule and deprecation of `event_type` from its embedded `meta.json`
/// (the defaults when it has none).
pub fn meta_of(event_type: &str) -> Meta {
    embedded::META
        .iter()
        .find(|(ty, _)| *ty == event_type)
        .and_then(|(_, text)| serde_json::from_str(text).ok())
        .unwrap_or_default()
}

/// Checks each revision against its predecessors under the type's rule, as publishing did.
fn validate_history(meta: &Meta, documents: Vec<(u32, String)>) -> Vec<SchemaVersion> {
    let parsed: Vec<Value> = documents
        .iter()
        .map(|(_, text)| serde_json::from_str(text).unwrap_or(Value::Null))
        .collect();
    documents
        .into_iter()
        .enumerate()
        .map(|(i, (revision, document))| {
            let report = schema_compat::check(
                meta.compatibility,
                &parsed[..i],
                &parsed[i],
                &CheckOptions::default(),
            );
            let reason = (!report.compatible).then(|| {
                report
                    .breaking()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            });
            SchemaVersion {
                revision,
                document,
                compatibility_validated: report.compatible,
                compatibility_reason: reason,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> Registry {
        Registry::new(Url::parse("http://localhost:9/registry").expect("url"))
    }

    #[test]
    fn every_catalog_type_has_a_schema_with_at_least_one_validated_version() {
        let registry = registry();
        assert_eq!(registry.types().len(), CATALOG.len());
        for entry in registry.types() {
            assert!(!entry.versions.is_empty(), "{}", entry.event_type);
            assert!(
                entry.latest().compatibility_validated,
                "{}",
                entry.event_type
            );
            assert_eq!(entry.group, "com.example");
        }
    }

    #[test]
    fn the_deprecation_of_order_created_v1_comes_from_its_meta_file() {
        let registry = registry();
        let v1 = registry
            .find("com.example", "com.example.order.created.v1")
            .expect("v1");
        let deprecated = v1.meta.deprecated.as_ref().expect("deprecated");
        assert_eq!(
            deprecated.alternative.as_deref(),
            Some("com.example.order.created.v2")
        );
        assert!(
            registry
                .find("com.example", "com.example.order.created.v2")
                .expect("v2")
                .meta
                .deprecated
                .is_none()
        );
    }
}
