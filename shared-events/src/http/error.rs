//! What can go wrong receiving a CloudEvent over HTTP, and the problem+json it becomes.

use http::StatusCode;

use super::percent::PercentError;
use super::{BATCH_CONTENT_TYPE, STRUCTURED_CONTENT_TYPE};
use crate::attributes::AttributeError;
use crate::format::FormatError;
use crate::problem::Problem;

/// Why an HTTP message is not an acceptable CloudEvent (or batch). Each becomes a 400, 413 or
/// 415 `application/problem+json` naming the attribute and header at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BindingError {
    /// Binary mode without `ce-specversion`: not a CloudEvent at all.
    #[error(
        "not a CloudEvent: the ce-specversion header is missing and Content-Type is not a \
         CloudEvents media type (application/cloudevents+json or \
         application/cloudevents-batch+json); supported versions: 1.0"
    )]
    MissingSpecVersion,
    /// A binary-mode attribute header breaks the attribute rules.
    #[error("header {header}: {source}")]
    Header {
        /// The header, lower case (`ce-id`, `content-type`).
        header: String,
        /// What is wrong with the attribute.
        source: AttributeError,
    },
    /// A binary-mode header's value is not percent-encoded UTF-8.
    #[error("header {header} is not a valid attribute value: {source}")]
    HeaderEncoding {
        /// The header, lower case.
        header: String,
        /// What is wrong with its encoding.
        source: PercentError,
    },
    /// A `ce-` header appears more than once.
    #[error("header {header} appears more than once; an attribute appears at most once")]
    DuplicateHeader {
        /// The header, lower case.
        header: String,
    },
    /// A binary-mode message carries a `ce-datacontenttype` header.
    #[error(
        "a ce-datacontenttype header must not be present: binary mode carries datacontenttype \
         in Content-Type"
    )]
    DataContentTypeHeader,
    /// A binary-mode body is not JSON although Content-Type declares JSON.
    #[error(
        "the body is not valid JSON although Content-Type {content_type} declares JSON: {source}"
    )]
    InvalidJsonData {
        /// The declared content type.
        content_type: String,
        /// The parser's complaint.
        source: serde_json::Error,
    },
    /// A structured or batched body is not a valid JSON-format event or batch.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// Content-Type names a CloudEvents format this binding does not support.
    #[error(
        "unsupported media type {0}: supported event formats are application/cloudevents+json \
         and application/cloudevents-batch+json; any other Content-Type is binary mode"
    )]
    UnsupportedMediaType(String),
    /// The body exceeds the receiver's limit.
    #[error("the body is larger than the limit of {limit} bytes")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body could not be read.
    #[error("the body could not be read: {0}")]
    Body(String),
    /// A batch was sent where one event is expected.
    #[error(
        "this endpoint takes one event, not a batch: send a single event in binary or \
         structured mode, or send the batch to the batch endpoint"
    )]
    UnexpectedBatch,
    /// One event was sent where a batch is expected.
    #[error(
        "this endpoint takes a batch: Content-Type must be application/cloudevents-batch+json, \
         not {found:?}"
    )]
    ExpectedBatch {
        /// The Content-Type received (empty if none).
        found: String,
    },
}

impl BindingError {
    /// 415 for unsupported media types, 413 for oversized bodies, 400 otherwise.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::UnsupportedMediaType(_) | Self::ExpectedBatch { .. } => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            Self::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The header at fault, lower case, if one is.
    pub fn header(&self) -> Option<&str> {
        match self {
            Self::MissingSpecVersion => Some("ce-specversion"),
            Self::Header { header, .. }
            | Self::HeaderEncoding { header, .. }
            | Self::DuplicateHeader { header } => Some(header),
            Self::DataContentTypeHeader => Some("ce-datacontenttype"),
            Self::UnsupportedMediaType(_) | Self::ExpectedBatch { .. } => Some("content-type"),
            Self::InvalidJsonData { .. }
            | Self::Format(_)
            | Self::BodyTooLarge { .. }
            | Self::Body(_)
            | Self::UnexpectedBatch => None,
        }
    }

    /// The attribute at fault, if one is.
    pub fn attribute(&self) -> Option<&str> {
        match self {
            Self::MissingSpecVersion => Some("specversion"),
            Self::Header { source, .. } => Some(source.attribute()),
            Self::HeaderEncoding { header, .. } | Self::DuplicateHeader { header } => {
                header.strip_prefix("ce-")
            }
            Self::DataContentTypeHeader => Some("datacontenttype"),
            Self::InvalidJsonData { .. } => Some("data"),
            Self::Format(error) => error.attribute(),
            _ => None,
        }
    }
}

impl From<BindingError> for Problem {
    /// The status of [`BindingError::status`], the error as `detail`, and `attribute`, `header`,
    /// `index`, `supported_versions` or `supported_media_types` members where they apply.
    fn from(error: BindingError) -> Self {
        let mut problem = match &error {
            BindingError::Header { source, .. } => Problem::from(source.clone()),
            BindingError::Format(FormatError::Attribute { source, .. }) => {
                Problem::from(source.clone())
            }
            BindingError::MissingSpecVersion => Problem::new(error.status()).with(
                "supported_versions",
                crate::attributes::SUPPORTED_SPEC_VERSIONS,
            ),
            _ => Problem::new(error.status()),
        };
        problem.detail = Some(error.to_string());
        if let Some(attribute) = error.attribute() {
            problem = problem.with("attribute", attribute);
        }
        if let Some(header) = error.header() {
            problem = problem.with("header", header);
        }
        match &error {
            BindingError::Format(format) => {
                if let Some(index) = format.index() {
                    problem = problem.with("index", index);
                }
            }
            BindingError::UnsupportedMediaType(_) | BindingError::ExpectedBatch { .. } => {
                problem = problem.with(
                    "supported_media_types",
                    [STRUCTURED_CONTENT_TYPE, BATCH_CONTENT_TYPE].as_slice(),
                );
            }
            BindingError::BodyTooLarge { limit } => problem = problem.with("limit", *limit),
            _ => {}
        }
        problem
    }
}

#[cfg(feature = "axum")]
impl axum::response::IntoResponse for BindingError {
    fn into_response(self) -> axum::response::Response {
        tracing::debug!(error = %self, "rejected a CloudEvents request");
        Problem::from(self).into_response()
    }
}
