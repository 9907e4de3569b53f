//! The xRegistry HTTP binding of [`Registry`]: read-only `GET`s, `$details` for the metadata of
//! Resources and Versions that have a document, `?inline`, conditional requests, and errors as
//! problem+json with the xRegistry error types.

use super::entities::GroupKind;
use super::headers::document_headers;
use super::{Inline, Registry, TypeEntry};
use crate::problem::Problem;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::Value;
use std::sync::Arc;
use url::Url;

/// How long clients may cache an immutable schema Version document: a year.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// What everything else says: cache, but revalidate (its `ETag`) every time.
pub const REVALIDATE: &str = "no-cache";

type Shared = Arc<Registry>;

/// The registry's routes, mounted under the path of `base` (e.g. `/registry` for the default
/// `http://127.0.0.1:8080/registry`), so every `self` URL and every event's `dataschema` made
/// with the same base resolves here.
///
/// ```
/// # use url::Url;
/// let base = Url::parse("http://127.0.0.1:8080/registry").unwrap();
/// let app: axum::Router = axum::Router::new().merge(shared_events::registry::router(base));
/// ```
pub fn router<S: Clone + Send + Sync + 'static>(base: Url) -> Router<S> {
    let path = base.path().trim_end_matches('/').to_owned();
    let registry: Shared = Arc::new(Registry::new(base));
    let routes = Router::new()
        .route("/", get(get_registry))
        .route("/capabilities", get(get_capabilities))
        .route("/model", get(get_model))
        .route("/export", get(get_export))
        .route("/{groups}", get(get_groups))
        .route("/{groups}/{group}", get(get_group))
        .route("/{groups}/{group}/{resources}", get(get_resources))
        .route("/{groups}/{group}/{resources}/{id}", get(get_resource))
        .route("/{groups}/{group}/{resources}/{id}/meta", get(get_meta))
        .route(
            "/{groups}/{group}/{resources}/{id}/versions",
            get(get_versions),
        )
        .route(
            "/{groups}/{group}/{resources}/{id}/versions/{vid}",
            get(get_version),
        )
        .with_state(registry);
    if path.is_empty() {
        routes
    } else {
        Router::new().nest(&path, routes)
    }
}

const ERRORS: &str = "https://github.com/xregistry/spec/blob/main/core/";

fn not_found(xid: &str) -> Response {
    Problem::new(StatusCode::NOT_FOUND)
        .with_type(format!("{ERRORS}spec.md#not_found"))
        .with_title(format!("The targeted entity ({xid}) cannot be found."))
        .with_detail(format!("the registry has no entity at {xid}"))
        .with("subject", xid)
        .into_response()
}

fn api_not_found(path: &str) -> Response {
    Problem::new(StatusCode::NOT_FOUND)
        .with_type(format!("{ERRORS}http.md#api_not_found"))
        .with_title(format!("The specified API is not supported: {path}."))
        .with("subject", path)
        .into_response()
}

fn inline_of(query: &Option<String>) -> Inline {
    let query = query.as_deref().unwrap_or("");
    let values: Vec<String> = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k == "inline")
        .map(|(_, v)| v.into_owned())
        .collect();
    Inline::parse(values.iter().map(String::as_str))
}

/// A stable, cheap fingerprint of a body (FNV-1a, 64 bits) for its strong `ETag`.
fn etag(body: &[u8]) -> String {
    let hash = body.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("\"{hash:016x}\"")
}

fn not_modified(request: &HeaderMap, tag: &str) -> bool {
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().trim_start_matches("W/"))
        .any(|v| v == "*" || v == tag)
}

/// Answers `body` with its `ETag`, or 304 when the client already has it.
fn respond(
    request: &HeaderMap,
    body: Vec<u8>,
    mut headers: HeaderMap,
    cache: &'static str,
) -> Response {
    let tag = etag(&body);
    if let Ok(value) = HeaderValue::from_str(&tag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if not_modified(request, &tag) {
        headers.remove(header::CONTENT_TYPE);
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (StatusCode::OK, headers, body).into_response()
}

fn json(request: &HeaderMap, value: &Value) -> Response {
    let mut body = serde_json::to_vec_pretty(value).unwrap_or_default();
    body.push(b'\n');
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    respond(request, body, headers, REVALIDATE)
}

async fn get_registry(State(r): State<Shared>, RawQuery(q): RawQuery, h: HeaderMap) -> Response {
    json(&h, &r.root(&inline_of(&q), false))
}

async fn get_capabilities(h: HeaderMap) -> Response {
    json(&h, &super::model::capabilities())
}

async fn get_model(h: HeaderMap) -> Response {
    json(&h, &super::model::model())
}

async fn get_export(State(r): State<Shared>, h: HeaderMap) -> Response {
    json(&h, &r.export())
}

async fn get_groups(
    State(r): State<Shared>,
    Path(groups): Path<String>,
    RawQuery(q): RawQuery,
    h: HeaderMap,
) -> Response {
    let Some(kind) = GroupKind::from_groups(&groups) else {
        return api_not_found(&format!("/{groups}"));
    };
    json(
        &h,
        &Value::Object(r.groups_map(kind, &inline_of(&q), false)),
    )
}

async fn get_group(
    State(r): State<Shared>,
    Path((groups, group)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    h: HeaderMap,
) -> Response {
    let xid = format!("/{groups}/{group}");
    let Some(kind) = GroupKind::from_groups(&groups) else {
        return api_not_found(&xid);
    };
    match r.group(kind, &group, &inline_of(&q), false) {
        Some(value) => json(&h, &value),
        None => not_found(&xid),
    }
}

/// Resolves a Group kind and checks the Resources collection name belongs to it.
fn kind_of(groups: &str, resources: &str) -> Option<GroupKind> {
    GroupKind::from_groups(groups).filter(|k| k.resources() == resources)
}

async fn get_resources(
    State(r): State<Shared>,
    Path((groups, group, resources)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
    h: HeaderMap,
) -> Response {
    let xid = format!("/{groups}/{group}/{resources}");
    let Some(kind) = kind_of(&groups, &resources) else {
        return not_found(&xid);
    };
    if !r.groups().contains(&group.as_str()) {
        return not_found(&xid);
    }
    json(
        &h,
        &Value::Object(r.resources_map(kind, &group, &inline_of(&q), false)),
    )
}

/// The Resource named by a path, its kind, and whether `$details` was asked for; the 404
/// otherwise.
fn lookup<'a>(
    r: &'a Registry,
    path: &(String, String, String, String),
) -> Result<(GroupKind, &'a TypeEntry, bool), Box<Response>> {
    find_resource(r, path).map_err(|xid| Box::new(not_found(&xid)))
}

/// [`lookup`], failing with the xid that was not found.
fn find_resource<'a>(
    r: &'a Registry,
    (groups, group, resources, id): &(String, String, String, String),
) -> Result<(GroupKind, &'a TypeEntry, bool), String> {
    let (id, details) = match id.strip_suffix("$details") {
        Some(id) => (id, true),
        None => (id.as_str(), false),
    };
    let xid = format!("/{groups}/{group}/{resources}/{id}");
    let kind = kind_of(groups, resources).ok_or_else(|| xid.clone())?;
    let entry = r.find(group, id).ok_or(xid)?;
    Ok((kind, entry, details))
}

async fn get_resource(
    State(r): State<Shared>,
    Path(path): Path<(String, String, String, String)>,
    RawQuery(q): RawQuery,
    h: HeaderMap,
) -> Response {
    let (kind, entry, details) = match lookup(&r, &path) {
        Ok(found) => found,
        Err(response) => return *response,
    };
    let inline = inline_of(&q);
    let value = r.resource(kind, entry, &inline, false);
    if details || !kind.has_document() {
        return json(&h, &value);
    }
    let latest = entry.latest();
    let mut headers = document_headers(&value, entry.event_type);
    if let Ok(location) = HeaderValue::from_str(&r.schema_version_url(entry, latest.revision)) {
        headers.insert(header::CONTENT_LOCATION, location);
    }
    respond(
        &h,
        latest.document.clone().into_bytes(),
        headers,
        REVALIDATE,
    )
}

async fn get_meta(
    State(r): State<Shared>,
    Path(path): Path<(String, String, String, String)>,
    h: HeaderMap,
) -> Response {
    match lookup(&r, &path) {
        Ok((kind, entry, false)) => json(&h, &r.meta(kind, entry)),
        Ok((_, _, true)) => not_found(&format!(
            "/{}/{}/{}/{}/meta",
            path.0, path.1, path.2, path.3
        )),
        Err(response) => *response,
    }
}

async fn get_versions(
    State(r): State<Shared>,
    Path(path): Path<(String, String, String, String)>,
    RawQuery(q): RawQuery,
    h: HeaderMap,
) -> Response {
    match lookup(&r, &path) {
        Ok((kind, entry, false)) => json(
            &h,
            &Value::Object(r.versions_map(kind, entry, &inline_of(&q))),
        ),
        Ok((_, _, true)) => not_found(&format!(
            "/{}/{}/{}/{}/versions",
            path.0, path.1, path.2, path.3
        )),
        Err(response) => *response,
    }
}

async fn get_version(
    State(r): State<Shared>,
    Path((groups, group, resources, id, vid)): Path<(String, String, String, String, String)>,
    RawQuery(q): RawQuery,
    h: HeaderMap,
) -> Response {
    let (kind, entry, _) = match lookup(&r, &(groups, group, resources, id)) {
        Ok(found) => found,
        Err(response) => return *response,
    };
    let (vid, details) = match vid.strip_suffix("$details") {
        Some(vid) => (vid.to_owned(), true),
        None => (vid, false),
    };
    let version = match kind {
        GroupKind::Messages if vid == "1" => Some(entry.latest()),
        GroupKind::Messages => None,
        GroupKind::Schemas => entry.version(&vid),
    };
    let xid = format!(
        "/{}/{}/{}/{}/versions/{vid}",
        kind.groups(),
        entry.group,
        kind.resources(),
        entry.event_type
    );
    let Some(version) = version else {
        return not_found(&xid);
    };
    let value = Value::Object(r.version(kind, entry, version, &inline_of(&q)));
    if details || !kind.has_document() {
        return json(&h, &value);
    }
    // The document of a published revision never changes: cache it for a year.
    let headers = document_headers(&value, entry.event_type);
    respond(
        &h,
        version.document.clone().into_bytes(),
        headers,
        IMMUTABLE,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", W/\"abc\""),
        );
        assert!(not_modified(&h, "\"abc\""));
        assert!(!not_modified(&h, "\"abd\""));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(not_modified(&h, "\"anything\""));
    }
}
