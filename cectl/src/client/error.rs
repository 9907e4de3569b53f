//! [`ClientError`]: why an API call failed, with the exit code it maps to.

use http::StatusCode;
use reqwest::Response;
use shared_events::Problem;

use crate::exit::{Exit, Failure};

/// Why an API call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// `--gateway` is not an http(s) URL.
    #[error("`{url}` is not a gateway URL: {reason}")]
    InvalidUrl {
        /// What was given.
        url: String,
        /// Why it is refused.
        reason: String,
    },
    /// No answer: connection refused, a timeout, a TLS failure.
    #[error("cannot reach the gateway at {url}: {}", root_cause(.source))]
    Unreachable {
        /// The URL asked.
        url: String,
        /// The transport error.
        source: reqwest::Error,
    },
    /// The gateway answered an error status.
    #[error("{} {}: {}", .status.as_u16(), .status.canonical_reason().unwrap_or(""), detail_of(.problem.as_deref(), .body))]
    Status {
        /// The status.
        status: StatusCode,
        /// The problem+json body, when it was one.
        problem: Option<Box<Problem>>,
        /// The body as text otherwise (cut to 500 characters).
        body: String,
    },
    /// A success answer whose body is not what the API promises.
    #[error("the gateway's answer to {url} is not the expected JSON: {reason}")]
    InvalidBody {
        /// The URL asked.
        url: String,
        /// What is wrong.
        reason: String,
    },
}

impl ClientError {
    /// The exit code: 4 for a 404, 2 for a bad `--gateway`, 1 otherwise.
    pub fn exit(&self) -> Exit {
        match self {
            Self::Status { status, .. } if *status == StatusCode::NOT_FOUND => Exit::NotFound,
            Self::InvalidUrl { .. } => Exit::Usage,
            _ => Exit::Error,
        }
    }

    /// The problem's `detail` (or `title`), or the body; the whole message for other errors.
    pub fn detail(&self) -> String {
        match self {
            Self::Status { problem, body, .. } => detail_of(problem.as_deref(), body),
            other => other.to_string(),
        }
    }

    /// Reads an error answer.
    pub async fn from_response(response: Response) -> Self {
        let status = response.status();
        let bytes = response.bytes().await.unwrap_or_default();
        Self::status(status, &bytes)
    }

    /// An error answer from its status and body (a problem+json body is read as one).
    pub fn status(status: StatusCode, body: &[u8]) -> Self {
        let problem = serde_json::from_slice::<Problem>(body).ok().map(Box::new);
        let body: String = String::from_utf8_lossy(body).chars().take(500).collect();
        Self::Status {
            status,
            problem,
            body,
        }
    }
}

/// What a transport error comes down to: the innermost cause (`Connection refused (os error
/// 111)`, `operation timed out`) rather than reqwest's "error sending request for url".
pub fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// The problem's `detail` (or `title`), or the body, or a placeholder.
fn detail_of(problem: Option<&Problem>, body: &str) -> String {
    let from_problem = problem.map(|p| p.detail.clone().unwrap_or_else(|| p.title.clone()));
    let detail = from_problem.unwrap_or_else(|| body.trim().to_owned());
    if detail.is_empty() {
        "(no detail)".to_owned()
    } else {
        detail
    }
}

impl From<ClientError> for Failure {
    fn from(error: ClientError) -> Self {
        let hint = match &error {
            ClientError::Status { status, .. } if *status == StatusCode::UNAUTHORIZED => {
                " (pass --token or set CECTL_TOKEN)"
            }
            ClientError::Status { status, .. } if *status == StatusCode::FORBIDDEN => {
                " (a read token cannot change anything)"
            }
            _ => "",
        };
        Failure::new(error.exit(), format!("{error}{hint}"))
    }
}
