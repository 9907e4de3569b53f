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

/// Instantiates every behaviour test for one backend; `$make` is an async function of the test's
/// name that yields a fresh store and a guard that must outlive the test, or `None` when the
/// backend is unavailable here (it has then reported the test skipped). `@tests` instantiates
/// the named tests only (for backend-specific behaviour).
macro_rules! store_behaviour {
    ($make:path) => {
        store_behaviour!(@tests $make;
            ingest_accepts_new_events_and_flags_duplicates_inside_the_window,
            positions_grow_in_ingest_order,
            claims_take_due_rows_per_subscription_up_to_the_limit_and_lease_them,
            a_stale_lease_cannot_settle_a_delivery_claimed_again,
            a_retry_is_due_at_its_time_and_recorded,
            two_claimers_at_once_never_get_the_same_delivery,
            dead_letters_keep_the_event_and_history_and_redeliver_afresh,
            subscriptions_are_created_replaced_listed_and_deleted_with_their_deliveries,
            every_subscription_change_moves_the_version,
            retention_purges_settled_events_in_batches_and_dedupe_keys_outlive_them,
        );
    };
    (@tests $make:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some((store, _guard)) = $make(stringify!($name)).await else {
                    return;
                };
                $crate::store::behaviour::$name(store).await;
            }
        )*
    };
}

mod sqlite {
    use crate::store::sqlite::SqliteStore;

    async fn fresh(_test: &str) -> Option<(SqliteStore, tempfile::TempDir)> {
        let dir = tempfile::tempdir().expect("a temp dir");
        let url = format!("sqlite://{}", dir.path().join("gateway.db").display());
        Some((
            SqliteStore::connect(&url).await.expect("the store opens"),
            dir,
        ))
    }

    store_behaviour!(fresh);
    // One process per file: a restart may take back every lease at once.
    store_behaviour!(@tests fresh; abandoned_claims_of_a_dead_process_are_due_again_at_once);
}

mod postgres {
    use std::time::Duration;

    use super::{event, request, t};
    use crate::store::postgres::PostgresStore;
    use crate::store::testdb::TestDatabase;
    use crate::store::{LeaseOwner, Store};

    async fn fresh(test: &str) -> Option<(PostgresStore, TestDatabase)> {
        let db = TestDatabase::create(test).await?;
        let store = PostgresStore::connect(&db.url)
            .await
            .expect("the store opens");
        Some((store, db))
    }

    store_behaviour!(fresh);
    // Shared by replicas: a starting replica must not take a live replica's leases.
    store_behaviour!(@tests fresh; claims_of_other_replicas_stay_leased_on_a_shared_database);

    #[tokio::test]
    async fn a_claim_skips_rows_another_transaction_has_locked_instead_of_waiting() {
        let Some((store, _db)) = fresh("a_claim_skips_rows_another_transaction_has_locked").await
        else {
            return;
        };
        let events: Vec<_> = (0..5).map(|i| event(&format!("e{i}"), &["s"])).collect();
        store.ingest(&events, t(0), t(-1)).await.expect("ingest");
        let mut other = store.pool().begin().await.expect("a transaction");
        let locked: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM deliveries ORDER BY id LIMIT 2 FOR UPDATE")
                .fetch_all(&mut *other)
                .await
                .expect("locks two rows");
        let claimed = tokio::time::timeout(
            Duration::from_secs(10),
            store.claim(&[request("s", 10)], &LeaseOwner::generate(), t(1)),
        )
        .await
        .expect("the claim does not wait for the lock")
        .expect("claim");
        let ids: Vec<i64> = claimed.iter().map(|c| c.lease.delivery).collect();
        assert_eq!(ids.len(), 3);
        assert!(
            ids.iter().all(|id| !locked.contains(id)),
            "{ids:?} vs {locked:?}"
        );
        other.rollback().await.expect("rollback");
    }

    #[tokio::test]
    async fn replicas_starting_at_once_migrate_the_database_once() {
        let Some(db) =
            TestDatabase::create("replicas_starting_at_once_migrate_the_database_once").await
        else {
            return;
        };
        let starts: Vec<_> = (0..4)
            .map(|_| {
                let url = db.url.clone();
                tokio::spawn(async move { PostgresStore::connect(&url).await })
            })
            .collect();
        for start in starts {
            let store = start.await.expect("a start").expect("every replica starts");
            store.close().await;
        }
    }
}
