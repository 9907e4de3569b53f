//! The JSON of each entity: the Registry, its Groups, Resources, `meta` and Versions.
//!
//! `doc` selects the document view used by [`Registry::export`]: an inlined collection carries
//! its `…count` but not its `…url`.

use super::{ENVELOPE, Inline, Registry, SCHEMA_CONTENT_TYPE, SCHEMA_FORMAT, SPEC_VERSION};
use super::{SchemaVersion, TypeEntry};
use serde_json::{Map, Value, json};

/// The two Group types of the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupKind {
    /// `messagegroups`/`messages`: one message definition per type (no document).
    Messages,
    /// `schemagroups`/`schemas`: one schema per type; its Versions are documents.
    Schemas,
}

impl GroupKind {
    /// Both, in the order they are listed.
    pub const ALL: [GroupKind; 2] = [GroupKind::Messages, GroupKind::Schemas];

    /// The Groups collection name (`messagegroups`).
    pub fn groups(self) -> &'static str {
        match self {
            Self::Messages => "messagegroups",
            Self::Schemas => "schemagroups",
        }
    }

    fn group_id(self) -> &'static str {
        match self {
            Self::Messages => "messagegroupid",
            Self::Schemas => "schemagroupid",
        }
    }

    /// The Resources collection name (`messages`).
    pub fn resources(self) -> &'static str {
        match self {
            Self::Messages => "messages",
            Self::Schemas => "schemas",
        }
    }

    pub(super) fn resource_id(self) -> &'static str {
        match self {
            Self::Messages => "messageid",
            Self::Schemas => "schemaid",
        }
    }

    /// Whether its Resources have a domain-specific document (then `$details` is the metadata).
    pub fn has_document(self) -> bool {
        self == Self::Schemas
    }

    /// The Group kind named by a Groups collection name.
    pub fn from_groups(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.groups() == name)
    }
}

fn insert_collection(
    object: &mut Map<String, Value>,
    url: String,
    name: &str,
    entries: impl FnOnce() -> Map<String, Value>,
    count: usize,
    inline: &Inline,
    doc: bool,
) {
    let inlined = inline.covers(name);
    if !(doc && inlined) {
        object.insert(format!("{name}url"), Value::from(url));
    }
    object.insert(format!("{name}count"), Value::from(count));
    if inlined {
        object.insert(name.to_owned(), Value::Object(entries()));
    }
}

impl Registry {
    pub(super) fn common(
        &self,
        id_key: &str,
        id: &str,
        xid: &str,
        self_url: String,
    ) -> Map<String, Value> {
        let mut object = Map::new();
        object.insert(id_key.to_owned(), Value::from(id));
        object.insert("self".to_owned(), Value::from(self_url));
        object.insert("xid".to_owned(), Value::from(xid));
        object.insert("epoch".to_owned(), Value::from(1));
        object
    }

    pub(super) fn times(&self, object: &mut Map<String, Value>) {
        object.insert("createdat".to_owned(), Value::from(self.created.clone()));
        object.insert("modifiedat".to_owned(), Value::from(self.created.clone()));
    }

    /// The Registry entity (`GET /`).
    pub fn root(&self, inline: &Inline, doc: bool) -> Value {
        let mut object = self.common("registryid", "cloudevents-catalog", "/", self.url("/"));
        object.insert("specversion".to_owned(), Value::from(SPEC_VERSION));
        object.insert("name".to_owned(), Value::from("CloudEvents catalog"));
        object.insert(
            "description".to_owned(),
            Value::from(
                "Every event, command, query and reply type of the catalog: message \
                 definitions and their JSON Schemas, generated from the Rust types.",
            ),
        );
        self.times(&mut object);
        if inline.covers("capabilities") {
            object.insert("capabilities".to_owned(), super::model::capabilities());
        }
        if inline.covers("model") {
            object.insert("model".to_owned(), super::model::model());
        }
        if inline.covers("modelsource") {
            object.insert("modelsource".to_owned(), json!({}));
        }
        for kind in GroupKind::ALL {
            let name = kind.groups();
            let nested = inline.descend(name);
            insert_collection(
                &mut object,
                self.url(&format!("/{name}")),
                name,
                || self.groups_map(kind, &nested, doc),
                self.groups().len(),
                inline,
                doc,
            );
        }
        Value::Object(object)
    }

    /// A Groups collection (`GET /messagegroups`), keyed by Group id.
    pub fn groups_map(&self, kind: GroupKind, inline: &Inline, doc: bool) -> Map<String, Value> {
        self.groups()
            .into_iter()
            .filter_map(|g| Some((g.to_owned(), self.group(kind, g, inline, doc)?)))
            .collect()
    }

    /// One Group (`GET /messagegroups/{group}`), if it exists.
    pub fn group(&self, kind: GroupKind, group: &str, inline: &Inline, doc: bool) -> Option<Value> {
        let members: Vec<&TypeEntry> = self.types.iter().filter(|t| t.group == group).collect();
        if members.is_empty() {
            return None;
        }
        let xid = format!("/{}/{group}", kind.groups());
        let mut object = self.common(kind.group_id(), group, &xid, self.url(&xid));
        object.insert("name".to_owned(), Value::from(group));
        self.times(&mut object);
        match kind {
            GroupKind::Messages => object.insert("envelope".to_owned(), Value::from(ENVELOPE)),
            GroupKind::Schemas => object.insert("format".to_owned(), Value::from(SCHEMA_FORMAT)),
        };
        let name = kind.resources();
        let nested = inline.descend(name);
        insert_collection(
            &mut object,
            self.url(&format!("{xid}/{name}")),
            name,
            || self.resources_map(kind, group, &nested, doc),
            members.len(),
            inline,
            doc,
        );
        Some(Value::Object(object))
    }

    /// A Resources collection (`GET /schemagroups/{group}/schemas`), keyed by Resource id.
    pub fn resources_map(
        &self,
        kind: GroupKind,
        group: &str,
        inline: &Inline,
        doc: bool,
    ) -> Map<String, Value> {
        self.types
            .iter()
            .filter(|t| t.group == group)
            .map(|t| (t.event_type.to_owned(), self.resource(kind, t, inline, doc)))
            .collect()
    }

    pub(super) fn resource_xid(kind: GroupKind, t: &TypeEntry) -> String {
        format!(
            "/{}/{}/{}/{}",
            kind.groups(),
            t.group,
            kind.resources(),
            t.event_type
        )
    }

    pub(super) fn details(kind: GroupKind) -> &'static str {
        if kind.has_document() { "$details" } else { "" }
    }

    /// A Resource's metadata: its default Version's attributes, `meta` and `versions`.
    pub fn resource(&self, kind: GroupKind, t: &TypeEntry, inline: &Inline, doc: bool) -> Value {
        let xid = Self::resource_xid(kind, t);
        let mut object = self.version(kind, t, t.latest(), inline);
        object.insert(
            "self".to_owned(),
            Value::from(self.url(&format!("{xid}{}", Self::details(kind)))),
        );
        object.insert("xid".to_owned(), Value::from(xid.clone()));
        object.insert(
            "metaurl".to_owned(),
            Value::from(self.url(&format!("{xid}/meta"))),
        );
        if inline.covers("meta") {
            object.insert("meta".to_owned(), self.meta(kind, t));
        }
        let nested = inline.descend("versions");
        insert_collection(
            &mut object,
            self.url(&format!("{xid}/versions")),
            "versions",
            || self.versions_map(kind, t, &nested),
            self.version_count(kind, t),
            inline,
            doc,
        );
        Value::Object(object)
    }

    fn version_count(&self, kind: GroupKind, t: &TypeEntry) -> usize {
        match kind {
            GroupKind::Messages => 1,
            GroupKind::Schemas => t.versions.len(),
        }
    }

    /// The Versions of a Resource (`GET …/versions`), keyed by `versionid`.
    pub fn versions_map(
        &self,
        kind: GroupKind,
        t: &TypeEntry,
        inline: &Inline,
    ) -> Map<String, Value> {
        match kind {
            GroupKind::Messages => {
                let v = t.latest();
                [(
                    "1".to_owned(),
                    Value::Object(self.version(kind, t, v, inline)),
                )]
                .into_iter()
                .collect()
            }
            GroupKind::Schemas => t
                .versions
                .iter()
                .map(|v| {
                    (
                        v.revision.to_string(),
                        Value::Object(self.version(kind, t, v, inline)),
                    )
                })
                .collect(),
        }
    }

    /// A Version's metadata. A message definition has one Version, `1`, describing events that
    /// carry the latest schema revision; a schema has one Version per published revision.
    pub fn version(
        &self,
        kind: GroupKind,
        t: &TypeEntry,
        v: &SchemaVersion,
        inline: &Inline,
    ) -> Map<String, Value> {
        let id = match kind {
            GroupKind::Messages => "1".to_owned(),
            GroupKind::Schemas => v.revision.to_string(),
        };
        let xid = format!("{}/versions/{id}", Self::resource_xid(kind, t));
        let self_url = self.url(&format!("{xid}{}", Self::details(kind)));
        let mut object = self.common(kind.resource_id(), t.event_type, &xid, self_url);
        object.insert("versionid".to_owned(), Value::from(id.clone()));
        object.insert("name".to_owned(), Value::from(t.event_type));
        let latest = t.latest().revision;
        object.insert(
            "isdefault".to_owned(),
            Value::from(kind == GroupKind::Messages || v.revision == latest),
        );
        object.insert("description".to_owned(), Value::from(t.description));
        self.times(&mut object);
        let ancestor = match kind {
            GroupKind::Schemas if v.revision > 1 => (v.revision - 1).to_string(),
            _ => id,
        };
        object.insert("ancestorid".to_owned(), Value::from(ancestor));
        match kind {
            GroupKind::Messages => self.message_attributes(&mut object, t),
            GroupKind::Schemas => {
                object.insert("contenttype".to_owned(), Value::from(SCHEMA_CONTENT_TYPE));
                object.insert("format".to_owned(), Value::from(SCHEMA_FORMAT));
                object.insert(
                    "compatibilityvalidated".to_owned(),
                    Value::from(v.compatibility_validated),
                );
                if let Some(reason) = &v.compatibility_reason {
                    object.insert(
                        "compatibilityvalidatedreason".to_owned(),
                        Value::from(reason.clone()),
                    );
                }
                if inline.covers("schema") {
                    let document = serde_json::from_str(&v.document).unwrap_or(Value::Null);
                    object.insert("schema".to_owned(), document);
                }
            }
        }
        object
    }

    /// The URL of schema revision `revision` of `t`: the events' `dataschema`.
    pub fn schema_version_url(&self, t: &TypeEntry, revision: u32) -> String {
        self.url(&format!(
            "/schemagroups/{}/schemas/{}/versions/{revision}",
            t.group, t.event_type
        ))
    }
}
