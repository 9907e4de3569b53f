//! The console's static files, embedded in the binary: htmx (vendored, unmodified, with its
//! licence header), the stylesheet and the two scripts. Pages link them with a content hash in
//! the query (`?v=…`), so they can be cached for a year and still change with a new build.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/htmx.min.js"),
    },
    Asset {
        name: "console.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../assets/console.css"),
    },
    Asset {
        name: "console.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/console.js"),
    },
    Asset {
        name: "tail.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/tail.js"),
    },
];

/// The first 12 hex digits of each asset's SHA-256, computed once.
fn hashes() -> &'static Vec<String> {
    static HASHES: OnceLock<Vec<String>> = OnceLock::new();
    HASHES.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                Sha256::digest(a.body)
                    .iter()
                    .take(6)
                    .map(|b| format!("{b:02x}"))
                    .collect()
            })
            .collect()
    })
}

/// The URL of asset `name`, with its content hash.
pub fn url(name: &str) -> String {
    match ASSETS.iter().position(|a| a.name == name) {
        Some(i) => format!("/console/assets/{name}?v={}", hashes()[i]),
        None => format!("/console/assets/{name}"),
    }
}

/// `GET /console/assets/{name}`: the file, cacheable for a year, or 404.
pub async fn serve_asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let Some(i) = ASSETS.iter().position(|a| a.name == name) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let asset = &ASSETS[i];
    let etag = format!("\"{}\"", hashes()[i]);
    let cache = "public, max-age=31536000, immutable";
    if headers
        .get("if-none-match")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        return (
            StatusCode::NOT_MODIFIED,
            [(ETAG, etag), (CACHE_CONTROL, cache.to_owned())],
        )
            .into_response();
    }
    (
        [
            (CONTENT_TYPE, asset.content_type.to_owned()),
            (CACHE_CONTROL, cache.to_owned()),
            (ETAG, etag),
        ],
        asset.body,
    )
        .into_response()
}
