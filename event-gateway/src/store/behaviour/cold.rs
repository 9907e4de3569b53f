//! Dead letters, redelivery, recovery, subscriptions and retention.

use super::*;

pub async fn dead_letters_keep_the_event_and_history_and_redeliver_afresh(store: impl Store) {
    store
        .insert_subscription(&sub("s"), t(0))
        .await
        .expect("insert");
    let accepted = store
        .ingest(&[event("a", &["s"])], t(0), t(-1))
        .await
        .expect("ingest");
    let owner = LeaseOwner::generate();
    let c = store
        .claim(&[request("s", 1)], &owner, t(1))
        .await
        .expect("claim");
    let give_up = GiveUp {
        settled: settle(&c[0], t(2), "dead_lettered", 400),
        reason: "non_retryable".into(),
    };
    let ids = store
        .dead_letter(&[give_up], t(2))
        .await
        .expect("dead letter");
    let id = ids[0].expect("the lease held");
    assert_eq!(store.pending().await.expect("pending"), 0);
    let listed = store
        .dead_letters(&DeadLetterQuery {
            subscription: Some(sid("s")),
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0].reason.as_str(),
            listed[0].last_status,
            listed[0].attempts
        ),
        ("non_retryable", Some(400), 1)
    );
    assert_eq!(
        listed[0].event,
        event("a", &[]).body,
        "the event is untouched"
    );
    assert_eq!(Ingested::Accepted(listed[0].position), accepted[0]);
    let none = store
        .dead_letters(&DeadLetterQuery {
            event_type: Some("other".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("list");
    assert!(none.is_empty());
    assert_eq!(
        store
            .redeliver(&Redeliver::One(id), t(3))
            .await
            .expect("redeliver"),
        vec![id]
    );
    assert!(store.dead_letter_by_id(id).await.expect("get").is_none());
    let again = store
        .claim(&[request("s", 1)], &owner, t(3))
        .await
        .expect("claim");
    assert_eq!(again[0].lease.attempt, 1, "attempts are counted afresh");
    let history: Vec<String> = store
        .history(again[0].position, &sid("s"))
        .await
        .expect("history")
        .into_iter()
        .map(|h| h.outcome)
        .collect();
    assert_eq!(history, ["dead_lettered", "redelivered"]);
}

pub async fn abandoned_claims_of_a_dead_process_are_due_again_at_once(store: impl Store) {
    store
        .ingest(&[event("a", &["s"])], t(0), t(-1))
        .await
        .expect("ingest");
    let (dead, alive) = (LeaseOwner::generate(), LeaseOwner::generate());
    store
        .claim(&[request("s", 1)], &dead, t(1))
        .await
        .expect("claim");
    assert_eq!(
        store
            .recover_abandoned(&alive, t(2))
            .await
            .expect("recover"),
        1
    );
    assert_eq!(
        store
            .claim(&[request("s", 1)], &alive, t(2))
            .await
            .expect("claim")
            .len(),
        1
    );
}

pub async fn subscriptions_are_created_replaced_listed_and_deleted_with_their_deliveries(
    store: impl Store,
) {
    assert!(
        store
            .insert_subscription(&sub("s"), t(0))
            .await
            .expect("insert")
    );
    assert!(
        !store
            .insert_subscription(&sub("s"), t(0))
            .await
            .expect("insert"),
        "the id is taken"
    );
    let mut changed = sub("s");
    changed.delivery.retry = 9;
    assert!(
        store
            .update_subscription(&changed, t(1))
            .await
            .expect("update")
    );
    assert!(
        !store
            .update_subscription(&sub("missing"), t(1))
            .await
            .expect("update")
    );
    store
        .upsert_subscription(&sub("t"), t(1))
        .await
        .expect("upsert");
    assert_eq!(
        store.subscription(&sid("s")).await.expect("get"),
        Some(changed)
    );
    assert_eq!(store.subscriptions().await.expect("list").len(), 2);
    store
        .ingest(&[event("a", &["s", "t"])], t(2), t(1))
        .await
        .expect("ingest");
    assert!(store.delete_subscription(&sid("s")).await.expect("delete"));
    assert_eq!(
        store.pending().await.expect("pending"),
        1,
        "only t's delivery is left"
    );
    assert!(!store.delete_subscription(&sid("s")).await.expect("delete"));
}

pub async fn retention_purges_settled_events_in_batches_and_dedupe_keys_outlive_them(
    store: impl Store,
) {
    let events: Vec<NewEvent> = (0..25).map(|i| event(&format!("e{i}"), &[])).collect();
    store.ingest(&events, t(0), t(-1)).await.expect("ingest");
    store
        .ingest(&[event("pending", &["s"])], t(0), t(-1))
        .await
        .expect("ingest");
    let purge = Purge {
        events_before: t(10),
        history_before: t(10),
        dedupe_before: t(-100),
        batch: 10,
    };
    let purged = store.purge(purge).await.expect("purge");
    assert_eq!(purged.events, 25, "the event with a pending delivery stays");
    assert_eq!(purged.dedupe, 0);
    let again = store
        .ingest(&[event("e1", &[])], t(20), t(-1))
        .await
        .expect("ingest");
    assert_eq!(
        again[0],
        Ingested::Duplicate,
        "the dedupe key outlived its event"
    );
    assert_eq!(
        store
            .claim(&[request("s", 1)], &LeaseOwner::generate(), t(20))
            .await
            .expect("claim")
            .len(),
        1
    );
}

pub async fn claims_of_other_replicas_stay_leased_on_a_shared_database(store: impl Store) {
    store
        .ingest(&[event("a", &["s"])], t(0), t(-1))
        .await
        .expect("ingest");
    let (other, starting) = (LeaseOwner::generate(), LeaseOwner::generate());
    store
        .claim(&[request("s", 1)], &other, t(1))
        .await
        .expect("claim");
    assert_eq!(
        store
            .recover_abandoned(&starting, t(2))
            .await
            .expect("recover"),
        0,
        "the other owner may be a live replica"
    );
    assert!(
        store
            .claim(&[request("s", 1)], &starting, t(2))
            .await
            .expect("claim")
            .is_empty()
    );
}

pub async fn every_subscription_change_moves_the_version(store: impl Store) {
    let mut last = store.subscriptions_version().await.expect("version");
    let mut moved = |now: i64, what: &str| {
        assert_ne!(now, last, "{what} did not move the version");
        last = now;
    };
    store
        .insert_subscription(&sub("s"), t(0))
        .await
        .expect("insert");
    moved(
        store.subscriptions_version().await.expect("version"),
        "insert",
    );
    store
        .set_failing_since(&sid("s"), Some(t(1)))
        .await
        .expect("state");
    moved(
        store.subscriptions_version().await.expect("version"),
        "update",
    );
    store.delete_subscription(&sid("s")).await.expect("delete");
    moved(
        store.subscriptions_version().await.expect("version"),
        "delete",
    );
}
