//! RFC 9457 problem details (`application/problem+json`), the one error body every component
//! answers with.
//!
//! Each component keeps its own error enum (thiserror) and converts it into a [`Problem`] in its
//! single `IntoResponse`; this type only knows the wire shape.

use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The media type of a problem body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem: `type`, `title`, `status`, `detail`, `instance`, plus extension members
/// (for example `attribute`, `pointer` or `supported_types`) that say precisely what was wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// A URI reference identifying the problem type; `about:blank` when the status says it all.
    #[serde(rename = "type", default = "about_blank")]
    pub problem_type: String,
    /// A short, human-readable summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// A human-readable explanation specific to this occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// A URI reference identifying this occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Extension members, serialised at the top level of the object.
    #[serde(flatten)]
    pub extensions: Map<String, Value>,
}

fn about_blank() -> String {
    "about:blank".to_owned()
}

impl Problem {
    /// A problem with the status's canonical reason as its title and no detail.
    pub fn new(status: StatusCode) -> Self {
        Self {
            problem_type: about_blank(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: None,
            instance: None,
            extensions: Map::new(),
        }
    }

    /// 400 Bad Request with `detail`.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST).with_detail(detail)
    }

    /// 404 Not Found with `detail`.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND).with_detail(detail)
    }

    /// 409 Conflict with `detail`.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT).with_detail(detail)
    }

    /// 500 Internal Server Error with a generic detail: the cause is logged, never sent.
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR)
            .with_detail("the server failed to handle the request; see its logs")
    }

    /// Sets `detail`.
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Sets `title`.
    #[must_use]
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// Sets `type`.
    #[must_use]
    pub fn with_type(mut self, problem_type: impl Into<String>) -> Self {
        self.problem_type = problem_type.into();
        self
    }

    /// Adds an extension member.
    #[must_use]
    pub fn with(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extensions.insert(key.into(), value.into());
        self
    }

    /// The status as an [`http::StatusCode`] (500 if the stored number is not a valid status).
    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.title)?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problem {}

#[cfg(feature = "axum")]
impl axum::response::IntoResponse for Problem {
    fn into_response(self) -> axum::response::Response {
        let status = self.status_code();
        let body = serde_json::to_vec(&self).unwrap_or_default();
        (status, [(http::header::CONTENT_TYPE, PROBLEM_JSON)], body).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_are_flattened_into_the_object() {
        let problem = Problem::bad_request("id must not be empty").with("attribute", "id");
        let json = serde_json::to_value(&problem).expect("serialises");
        assert_eq!(json["type"], "about:blank");
        assert_eq!(json["status"], 400);
        assert_eq!(json["title"], "Bad Request");
        assert_eq!(json["attribute"], "id");
        let back: Problem = serde_json::from_value(json).expect("parses");
        assert_eq!(back, problem);
    }
}
