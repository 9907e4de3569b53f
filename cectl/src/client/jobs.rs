//! `POST /subscriptions/{id}/replay` and `/jobs`: count what a replay would send, start it,
//! follow and cancel jobs.

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ClientError, GatewayClient};

/// What to replay: bounds as the gateway takes them (RFC 3339 times, cursors, `earliest`,
/// `latest`) and a CESQL filter.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplayRange {
    /// The first event (inclusive); `None`: the earliest retained.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The last event (inclusive); `None`: the newest when the job starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Only the events this CESQL expression selects (besides the subscription's filters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
}

/// A job as `GET /jobs/{id}` shows it: the fields a follower needs, and the whole document.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Its id.
    pub id: String,
    /// `running`, `completed`, `cancelled` or `failed`.
    pub status: String,
    /// The events it will schedule, once the gateway has counted them.
    pub total: Option<u64>,
    /// Scheduled deliveries that are settled (delivered or dead-lettered).
    pub done: u64,
    /// The document as the gateway wrote it.
    pub raw: Value,
}

impl Job {
    /// Reads a job document.
    ///
    /// # Errors
    /// A message when a field the follower needs is missing.
    pub fn from_value(raw: Value) -> Result<Self, String> {
        #[derive(Deserialize)]
        struct Fields {
            id: String,
            status: String,
            #[serde(default)]
            total: Option<u64>,
            #[serde(default)]
            done: Option<u64>,
        }
        let fields: Fields = serde_json::from_value(raw.clone()).map_err(|e| e.to_string())?;
        Ok(Self {
            id: fields.id,
            status: fields.status,
            total: fields.total,
            done: fields.done.unwrap_or(0),
            raw,
        })
    }

    /// The total as text: `?` while the gateway is still counting.
    pub fn total_text(&self) -> String {
        self.total.map_or_else(|| "?".to_owned(), |t| t.to_string())
    }

    /// Whether it is still going.
    pub fn is_running(&self) -> bool {
        self.status == "running"
    }
}

impl GatewayClient {
    /// `POST /subscriptions/{id}/replay` with `dryRun`: how many events the replay would send.
    ///
    /// # Errors
    /// As [`GatewayClient::send`]; 404 for an unknown subscription, 400 for a bad range or
    /// filter.
    pub async fn replay_count(
        &self,
        subscription: &str,
        range: &ReplayRange,
    ) -> Result<u64, ClientError> {
        #[derive(Deserialize)]
        struct Count {
            count: u64,
        }
        let mut body = serde_json::to_value(range).unwrap_or_default();
        body["dryRun"] = Value::Bool(true);
        let url = self.url(&["subscriptions", subscription, "replay"]);
        let count: Count = self
            .typed(self.request(Method::POST, url).json(&body))
            .await?;
        Ok(count.count)
    }

    /// `POST /subscriptions/{id}/replay`: starts a replay job.
    ///
    /// # Errors
    /// As [`GatewayClient::replay_count`], or [`ClientError::InvalidBody`].
    pub async fn start_replay(
        &self,
        subscription: &str,
        range: &ReplayRange,
    ) -> Result<Job, ClientError> {
        let url = self.url(&["subscriptions", subscription, "replay"]);
        let raw = self
            .json(self.request(Method::POST, url).json(range))
            .await?;
        self.job_from(raw)
    }

    /// `GET /jobs?limit=`: the newest first.
    ///
    /// # Errors
    /// As [`GatewayClient::send`], or [`ClientError::InvalidBody`].
    pub async fn jobs(&self, limit: Option<u32>) -> Result<Vec<Value>, ClientError> {
        #[derive(Deserialize)]
        struct List {
            jobs: Vec<Value>,
        }
        let mut url = self.url(&["jobs"]);
        if let Some(limit) = limit {
            url.query_pairs_mut()
                .append_pair("limit", &limit.to_string());
        }
        let list: List = self.typed(self.request(Method::GET, url)).await?;
        Ok(list.jobs)
    }

    /// `GET /jobs/{id}`.
    ///
    /// # Errors
    /// As [`GatewayClient::send`]; 404 when there is no such job.
    pub async fn job(&self, id: &str) -> Result<Job, ClientError> {
        let url = self.url(&["jobs", id]);
        let raw = self.json(self.request(Method::GET, url)).await?;
        self.job_from(raw)
    }

    /// `DELETE /jobs/{id}`: cancels a running job; answers it as it stands.
    ///
    /// # Errors
    /// As [`GatewayClient::send`]; 404 when there is no such job, 409 when it is not running.
    pub async fn cancel_job(&self, id: &str) -> Result<Job, ClientError> {
        let url = self.url(&["jobs", id]);
        let raw = self.json(self.request(Method::DELETE, url)).await?;
        self.job_from(raw)
    }

    fn job_from(&self, raw: Value) -> Result<Job, ClientError> {
        Job::from_value(raw).map_err(|reason| ClientError::InvalidBody {
            url: self.url(&["jobs"]).to_string(),
            reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_range_leaves_out_what_is_not_given() {
        let range = ReplayRange {
            from: Some("2025-01-01T00:00:00Z".into()),
            ..ReplayRange::default()
        };
        assert_eq!(
            serde_json::to_value(&range).expect("serialises"),
            json!({"from": "2025-01-01T00:00:00Z"})
        );
    }

    #[test]
    fn a_job_needs_an_id_and_a_status() {
        let job = Job::from_value(json!({"id": "j", "status": "running", "total": 3, "done": 1}))
            .expect("a job");
        assert!(job.is_running());
        assert_eq!((job.total, job.done), (Some(3), 1));
        let counting = Job::from_value(json!({"id": "j", "status": "running", "total": null}))
            .expect("a job still counting");
        assert_eq!((counting.total, counting.done), (None, 0));
        assert!(Job::from_value(json!({"status": "running"})).is_err());
    }
}
