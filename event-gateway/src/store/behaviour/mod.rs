//! The store's behaviour, written once against [`Store`] and run for every backend: each test
//! is a generic function ([`hot`]: ingest, claims, outcomes; [`cold`]: dead letters,
//! subscriptions, retention; [`stream`]: reading by cursor, ordered claims, renewals, replay
//! jobs; [`console`]: the console's read models), and `store_behaviour!` instantiates the list
//! for one backend.

use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::*;

mod cold;
mod console;
mod hot;
mod stream;

use crate::domain::{DeliveryPolicy, Subscription, SubscriptionId};
pub use cold::*;
pub use console::*;
pub use hot::*;
pub use stream::*;

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
        matched_with: 0,
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
        ordered: false,
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
            events_are_read_in_ingest_order_page_by_page,
            nothing_is_readable_before_the_first_event,
            an_event_shows_its_pending_deliveries_dead_letters_and_history,
            an_ordered_claim_holds_back_a_key_behind_its_head_until_it_is_settled,
            ordered_claimers_at_once_keep_every_key_in_order,
            a_redelivered_dead_letter_takes_its_place_in_its_key_again,
            renewing_extends_only_leases_that_still_hold,
            outcomes_answer_per_lease_in_batch_order,
            a_job_is_held_by_one_runner_at_a_time,
            two_runners_at_once_never_take_the_same_job,
            a_job_step_schedules_tagged_deliveries_and_moves_the_job_on,
            a_catch_up_skips_events_its_subscription_already_has,
            cancelling_a_job_drops_its_deliveries_and_stops_its_steps,
            the_console_reads_traffic_backlog_and_failures_exactly,
            the_console_searches_events_newest_first_with_their_reach,
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
            SqliteStore::connect(&url, Default::default())
                .await
                .expect("the store opens"),
            dir,
        ))
    }

    store_behaviour!(fresh);
    // One process per file: a restart may take back every lease at once.
    store_behaviour!(@tests fresh; abandoned_claims_of_a_dead_process_are_due_again_at_once);
}

mod postgres {
    use std::time::Duration;

    use super::stream::read_until;
    use super::{event, request, t};
    use crate::store::postgres::PostgresStore;
    use crate::store::testdb::TestDatabase;
    use crate::store::{Ingested, LeaseOwner, Store};

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

    /// The late committer: a transaction that drew its id first but whose events are inserted
    /// (and committed) around a later one's. Until it commits, nothing at or after its id is
    /// readable, so a reader's cursor cannot move past its events; once it commits, its events
    /// come first (cursor order is commit-transaction order, not position order).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_reader_never_passes_an_event_whose_transaction_is_still_open() {
        let Some((store, _db)) = fresh("a_reader_never_passes_a_late_committer").await else {
            return;
        };
        store
            .ingest(&[event("before", &[])], t(0), t(-1))
            .await
            .expect("ingest");
        let start = read_until(&store, None, 10, 1).await[0].cursor;
        let insert = "INSERT INTO events (source, id, type, ingested_at, body) \
                      VALUES ('/test', $1, 'com.example.test.v1', 0, '{}') RETURNING position";
        let mut late = store.pool().begin().await.expect("a transaction");
        let late_tx: i64 = sqlx::query_scalar("SELECT pg_current_xact_id()::text::bigint")
            .fetch_one(&mut *late)
            .await
            .expect("a transaction id");
        let first: i64 = sqlx::query_scalar(insert)
            .bind("late-1")
            .fetch_one(&mut *late)
            .await
            .expect("insert");
        let committed = store
            .ingest(&[event("early", &[])], t(1), t(-1))
            .await
            .expect("ingest");
        let Ingested::Accepted(early) = committed[0] else {
            panic!("accepted")
        };
        let second: i64 = sqlx::query_scalar(insert)
            .bind("late-2")
            .fetch_one(&mut *late)
            .await
            .expect("insert");
        assert!(first < early && early < second);
        // `early` is committed (and found by identity), yet not readable: it would put the
        // reader's cursor past `late-1`.
        let found = store.find_event("/test", "early").await.expect("find");
        assert_eq!(found.map(|e| e.cursor.position), Some(early));
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            store
                .read_events(Some(start), 10)
                .await
                .expect("read")
                .is_empty()
        );
        assert!(store.read_events(None, 10).await.expect("read").len() <= 1);
        assert_eq!(store.first_since(t(1)).await.expect("first since"), None);
        // The head waits for the transactions running when it was asked (so that it covers
        // `early`, committed before), and never answers past what is readable.
        let head = tokio::spawn({
            let store = store.clone();
            async move { store.head().await.expect("head") }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            !head.is_finished(),
            "the head waits for the open transaction"
        );
        late.commit().await.expect("commit");
        let head = head.await.expect("the head");
        let read = read_until(&store, Some(start), 10, 3).await;
        assert_eq!(
            head,
            Some(read[2].cursor),
            "the head covers what committed before it"
        );
        let order: Vec<i64> = read.iter().map(|e| e.cursor.position).collect();
        assert_eq!(
            order,
            [first, second, early],
            "the late transaction's events first"
        );
        assert!(read[..2].iter().all(|e| e.cursor.order == late_tx));
        assert!(read[2].cursor.order > late_tx);
        assert_eq!(store.head().await.expect("head"), Some(read[2].cursor));
        assert!(
            store
                .read_events(Some(read[2].cursor), 10)
                .await
                .expect("read")
                .is_empty()
        );
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
