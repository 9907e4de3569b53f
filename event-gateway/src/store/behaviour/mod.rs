//! The store's behaviour, written once against [`Store`] and run for every backend: each test
//! is a generic function ([`hot`]: ingest, claims, outcomes; [`cold`]: dead letters,
//! subscriptions, retention), and `store_behaviour!` instantiates the list for one backend.

use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::*;

mod cold;
mod hot;

use crate::domain::{DeliveryPolicy, Subscription, SubscriptionId};
pub use cold::*;
pub use hot::*;

pub(super) fn t(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + secs, 0).expect("a valid time")
}

pub(super) fn sub(id: &str) -> Subscription {
    Subscription::from_json(
        &json!({"id": id, "sink": "http://127.0.0.1:9/"}),
        None,
        &DeliveryPolicy::default(),
    )
    .expect("a valid subscription")
}

pub(super) fn sid(id: &str) -> SubscriptionId {
    SubscriptionId::parse(id).expect("a valid id")
}

pub(super) fn event(id: &str, subs: &[&str]) -> NewEvent {
    NewEvent {
        source: "/test".to_owned(),
        id: id.to_owned(),
        event_type: "com.example.test.v1".to_owned(),
        subject: None,
        time: None,
        partition_key: None,
        body: Bytes::from(format!(
            r#"{{"specversion":"1.0","id":"{id}","source":"/test","type":"com.example.test.v1"}}"#
        )),
        subscriptions: subs.iter().map(|s| sid(s)).collect(),
    }
}

pub(super) fn request(sub: &str, limit: u32) -> ClaimRequest {
    ClaimRequest {
        subscription: sid(sub),
        limit,
        lease: Duration::from_secs(30),
    }
}

pub(super) fn settle(c: &Claimed, at: DateTime<Utc>, outcome: &str, status: u16) -> Settled {
    Settled {
        lease: c.lease.clone(),
        position: c.position,
        subscription: c.subscription.clone(),
        record: AttemptRecord {
            attempt: c.lease.attempt,
            at,
            outcome: outcome.to_owned(),
            status: Some(status),
            latency_ms: 1,
            error: None,
            response: None,
        },
    }
}

/// Instantiates every behaviour test for one backend; `$make` is an async expression that
/// yields a fresh store (and may capture a guard that must outlive the test).
macro_rules! store_behaviour {
    ($make:path) => {
        store_behaviour!(@tests $make;
            ingest_accepts_new_events_and_flags_duplicates_inside_the_window,
            positions_grow_in_ingest_order,
            claims_take_due_rows_per_subscription_up_to_the_limit_and_lease_them,
            a_stale_lease_cannot_settle_a_delivery_claimed_again,
            a_retry_is_due_at_its_time_and_recorded,
            dead_letters_keep_the_event_and_history_and_redeliver_afresh,
            abandoned_claims_of_a_dead_process_are_due_again_at_once,
            subscriptions_are_created_replaced_listed_and_deleted_with_their_deliveries,
            retention_purges_settled_events_in_batches_and_dedupe_keys_outlive_them,
        );
    };
    (@tests $make:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let (store, _guard) = $make().await;
                $crate::store::behaviour::$name(store).await;
            }
        )*
    };
}

mod sqlite {
    use crate::store::sqlite::SqliteStore;

    async fn fresh() -> (SqliteStore, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("a temp dir");
        let url = format!("sqlite://{}", dir.path().join("gateway.db").display());
        (
            SqliteStore::connect(&url).await.expect("the store opens"),
            dir,
        )
    }

    store_behaviour!(fresh);
}
