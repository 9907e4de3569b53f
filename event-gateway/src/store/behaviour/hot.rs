//! Ingest, claims and fenced outcomes.

use super::*;

pub async fn ingest_accepts_new_events_and_flags_duplicates_inside_the_window(store: impl Store) {
    let first = store
        .ingest(&[event("a", &["s"]), event("b", &[])], t(0), t(-60))
        .await
        .expect("ingest");
    assert!(matches!(
        first[..],
        [Ingested::Accepted(_), Ingested::Accepted(_)]
    ));
    let again = store
        .ingest(&[event("a", &["s"]), event("c", &["s"])], t(10), t(-50))
        .await
        .expect("ingest");
    assert_eq!(again[0], Ingested::Duplicate);
    assert!(matches!(again[1], Ingested::Accepted(_)));
    assert_eq!(
        store.pending().await.expect("pending"),
        2,
        "a duplicate schedules no delivery"
    );
    let late = store
        .ingest(&[event("a", &["s"])], t(100), t(50))
        .await
        .expect("ingest");
    assert!(
        matches!(late[0], Ingested::Accepted(_)),
        "outside the window a key is new again"
    );
}

pub async fn positions_grow_in_ingest_order(store: impl Store) {
    let out = store
        .ingest(
            &[event("a", &[]), event("b", &[]), event("c", &[])],
            t(0),
            t(-1),
        )
        .await
        .expect("ingest");
    let positions: Vec<Position> = out
        .iter()
        .map(|o| match o {
            Ingested::Accepted(p) => *p,
            Ingested::Duplicate => 0,
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
}

pub async fn claims_take_due_rows_per_subscription_up_to_the_limit_and_lease_them(
    store: impl Store,
) {
    store
        .ingest(
            &[
                event("a", &["s1", "s2"]),
                event("b", &["s1"]),
                event("c", &["s1"]),
            ],
            t(0),
            t(-1),
        )
        .await
        .expect("ingest");
    let owner = LeaseOwner::generate();
    let claimed = store
        .claim(&[request("s1", 2), request("s2", 5)], &owner, t(1))
        .await
        .expect("claim");
    assert_eq!(
        claimed
            .iter()
            .filter(|c| c.subscription == sid("s1"))
            .count(),
        2
    );
    assert_eq!(
        claimed
            .iter()
            .filter(|c| c.subscription == sid("s2"))
            .count(),
        1
    );
    assert!(
        claimed
            .iter()
            .all(|c| c.lease.attempt == 1 && c.body.starts_with(b"{"))
    );
    let rest = store
        .claim(&[request("s1", 10), request("s2", 10)], &owner, t(2))
        .await
        .expect("claim");
    assert_eq!(
        rest.len(),
        1,
        "leased rows are not claimed again while the lease holds"
    );
    let after_lease = store
        .claim(&[request("s1", 10), request("s2", 10)], &owner, t(100))
        .await
        .expect("claim");
    assert_eq!(after_lease.len(), 4, "every lease ran out");
    assert!(after_lease.iter().all(|c| c.lease.attempt == 2));
}

pub async fn a_stale_lease_cannot_settle_a_delivery_claimed_again(store: impl Store) {
    store
        .ingest(&[event("a", &["s"])], t(0), t(-1))
        .await
        .expect("ingest");
    let (dead, alive) = (LeaseOwner::generate(), LeaseOwner::generate());
    let old = store
        .claim(&[request("s", 1)], &dead, t(1))
        .await
        .expect("claim");
    let new = store
        .claim(&[request("s", 1)], &alive, t(100))
        .await
        .expect("claim");
    assert_eq!(
        store
            .complete(&[settle(&old[0], t(101), "delivered", 200)])
            .await
            .expect("complete"),
        [false]
    );
    let retry = RetryLater {
        settled: settle(&old[0], t(101), "retry", 503),
        due_at: t(500),
    };
    assert_eq!(store.retry(&[retry]).await.expect("retry"), [false]);
    let give_up = GiveUp {
        settled: settle(&old[0], t(101), "dead_lettered", 400),
        reason: "non_retryable".into(),
    };
    assert_eq!(
        store
            .dead_letter(&[give_up], t(101))
            .await
            .expect("dead letter"),
        vec![None]
    );
    assert_eq!(
        store
            .complete(&[settle(&new[0], t(102), "delivered", 200)])
            .await
            .expect("complete"),
        [true]
    );
    assert_eq!(store.pending().await.expect("pending"), 0);
    let history = store
        .history(new[0].position, &sid("s"))
        .await
        .expect("history");
    assert_eq!(history.len(), 1, "only the fenced write is recorded");
}

pub async fn a_retry_is_due_at_its_time_and_recorded(store: impl Store) {
    store
        .ingest(&[event("a", &["s"])], t(0), t(-1))
        .await
        .expect("ingest");
    let owner = LeaseOwner::generate();
    let c = store
        .claim(&[request("s", 1)], &owner, t(1))
        .await
        .expect("claim");
    let retry = RetryLater {
        settled: settle(&c[0], t(2), "retry", 503),
        due_at: t(10),
    };
    assert_eq!(store.retry(&[retry]).await.expect("retry"), [true]);
    assert_eq!(store.next_due().await.expect("next due"), Some(t(10)));
    assert!(
        store
            .claim(&[request("s", 1)], &owner, t(9))
            .await
            .expect("claim")
            .is_empty()
    );
    let again = store
        .claim(&[request("s", 1)], &owner, t(10))
        .await
        .expect("claim");
    assert_eq!(again[0].lease.attempt, 2);
    let history = store
        .history(again[0].position, &sid("s"))
        .await
        .expect("history");
    assert_eq!(
        (history[0].outcome.as_str(), history[0].status),
        ("retry", Some(503))
    );
}

pub async fn two_claimers_at_once_never_get_the_same_delivery(store: impl Store + Clone) {
    let events: Vec<NewEvent> = (0..400).map(|i| event(&format!("e{i}"), &["s"])).collect();
    store.ingest(&events, t(0), t(-1)).await.expect("ingest");
    let claimers: Vec<_> = (0..2)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let owner = LeaseOwner::generate();
                let mut got = Vec::new();
                loop {
                    let claimed = store
                        .claim(&[request("s", 7)], &owner, t(1))
                        .await
                        .expect("claim");
                    if claimed.is_empty() {
                        return got;
                    }
                    got.extend(claimed.into_iter().map(|c| c.lease.delivery));
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for claimer in claimers {
        all.extend(claimer.await.expect("a claimer"));
    }
    let unique: std::collections::HashSet<i64> = all.iter().copied().collect();
    assert_eq!(unique.len(), all.len(), "a delivery was claimed twice");
    assert_eq!(unique.len(), 400, "every delivery was claimed");
}
