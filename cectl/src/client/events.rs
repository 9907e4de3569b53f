//! `/events` (reading, not ingest) and `/deliveries`: pages of retained events by cursor, one
//! event by identity or cursor with its deliveries, and the delivery log.

use http::Method;
use serde::Deserialize;
use serde_json::Value;

use super::{ClientError, GatewayClient};

/// A page of retained events: `{"cursor", "ingestedAt", "event"}` entries in ingest order.
#[derive(Debug, Clone, Deserialize)]
pub struct EventPage {
    /// The entries.
    pub events: Vec<Value>,
    /// Where the next page starts (`after`); the same as the request's when nothing was left.
    #[serde(default)]
    pub next: Option<String>,
}

/// `GET /events` parameters.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// After this cursor (`None`: the earliest retained event).
    pub after: Option<String>,
    /// At most this many (the gateway caps it at 1000).
    pub limit: Option<u32>,
    /// A CESQL expression the events must match.
    pub filter: Option<String>,
}

/// A page of the delivery log: every attempt in the order it was recorded.
#[derive(Debug, Clone, Deserialize)]
pub struct DeliveryPage {
    /// The attempts.
    pub deliveries: Vec<Value>,
    /// The `after` of the next page (the last attempt's id), when there is one.
    #[serde(default)]
    pub next: Option<i64>,
}

/// `GET /deliveries` parameters.
#[derive(Debug, Clone, Default)]
pub struct DeliveryQuery {
    /// Only this subscription's attempts.
    pub subscription: Option<String>,
    /// After this attempt id.
    pub after: Option<i64>,
    /// At most this many (the gateway caps it at 1000).
    pub limit: Option<u32>,
}

impl GatewayClient {
    /// `GET /events?after=&limit=&filter=`.
    ///
    /// # Errors
    /// As [`GatewayClient::send`] (400 for a malformed cursor or filter), or
    /// [`ClientError::InvalidBody`].
    pub async fn events(&self, query: &EventQuery) -> Result<EventPage, ClientError> {
        let mut url = self.url(&["events"]);
        {
            let mut pairs = url.query_pairs_mut();
            if let Some(after) = &query.after {
                pairs.append_pair("after", after);
            }
            if let Some(limit) = query.limit {
                pairs.append_pair("limit", &limit.to_string());
            }
            if let Some(filter) = &query.filter {
                pairs.append_pair("filter", filter);
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        self.typed(self.request(Method::GET, url)).await
    }

    /// `GET /events?source=&id=`: the retained event with this CloudEvents identity, if any.
    ///
    /// # Errors
    /// As [`GatewayClient::events`].
    pub async fn find_event(&self, source: &str, id: &str) -> Result<Option<Value>, ClientError> {
        let mut url = self.url(&["events"]);
        url.query_pairs_mut()
            .append_pair("source", source)
            .append_pair("id", id);
        let page: EventPage = self.typed(self.request(Method::GET, url)).await?;
        Ok(page.events.into_iter().next())
    }

    /// `GET /events/{cursor}`: the event with its deliveries per subscription.
    ///
    /// # Errors
    /// As [`GatewayClient::send`]; 404 when no retained event has this cursor.
    pub async fn event(&self, cursor: &str) -> Result<Value, ClientError> {
        let url = self.url(&["events", cursor]);
        self.json(self.request(Method::GET, url)).await
    }

    /// `GET /deliveries?after=&limit=&subscription=`.
    ///
    /// # Errors
    /// As [`GatewayClient::send`], or [`ClientError::InvalidBody`].
    pub async fn deliveries(&self, query: &DeliveryQuery) -> Result<DeliveryPage, ClientError> {
        let mut url = self.url(&["deliveries"]);
        {
            let mut pairs = url.query_pairs_mut();
            if let Some(subscription) = &query.subscription {
                pairs.append_pair("subscription", subscription);
            }
            if let Some(after) = query.after {
                pairs.append_pair("after", &after.to_string());
            }
            if let Some(limit) = query.limit {
                pairs.append_pair("limit", &limit.to_string());
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        self.typed(self.request(Method::GET, url)).await
    }
}
