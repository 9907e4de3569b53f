//! The console's read models: traffic and percentiles, backlog, dead-letter counts, recent
//! failures, event search with reach, and event types.

use super::*;

/// Three events to `a` and `b`; `a` delivers all three one second after ingest (answers in
/// 1 ms), `b` retries the first and dead-letters the other two.
async fn three_events_two_outcomes(store: &impl Store) -> Vec<Position> {
    for id in ["a", "b"] {
        store
            .insert_subscription(&sub(id), t(0))
            .await
            .expect("insert");
    }
    let events: Vec<NewEvent> = ["e0", "e1", "e2"]
        .iter()
        .map(|id| event(id, &["a", "b"]))
        .collect();
    let positions = store
        .ingest(&events, t(0), t(-1))
        .await
        .expect("ingest")
        .into_iter()
        .map(|i| match i {
            Ingested::Accepted(p) => p,
            Ingested::Duplicate => panic!("new events"),
        })
        .collect();
    let owner = LeaseOwner::generate();
    let a = store
        .claim(&[request("a", 10)], &owner, t(0))
        .await
        .expect("claim a");
    let done: Vec<Settled> = a
        .iter()
        .map(|c| settle(c, t(1), "delivered", 200))
        .collect();
    assert!(
        store
            .complete(&done)
            .await
            .expect("complete")
            .iter()
            .all(|held| *held)
    );
    let mut b = store
        .claim(&[request("b", 10)], &owner, t(0))
        .await
        .expect("claim b");
    b.sort_by_key(|c| c.position);
    let retry = RetryLater {
        settled: settle(&b[0], t(1), "retry", 503),
        due_at: t(100),
    };
    assert_eq!(store.retry(&[retry]).await.expect("retry"), vec![true]);
    let give_ups: Vec<GiveUp> = b[1..]
        .iter()
        .map(|c| GiveUp {
            settled: settle(c, t(2), "dead_lettered", 400),
            reason: "non_retryable".into(),
        })
        .collect();
    let dead = store
        .dead_letter(&give_ups, t(2))
        .await
        .expect("dead letter");
    assert!(dead.iter().all(Option::is_some));
    positions
}

pub async fn the_console_reads_traffic_backlog_and_failures_exactly(store: impl Store) {
    three_events_two_outcomes(&store).await;
    let traffic = store.traffic(t(0)).await.expect("traffic");
    assert_eq!(traffic.events, 3);
    let total = traffic.total;
    assert_eq!(
        (total.delivered, total.retried, total.dead_lettered),
        (3, 1, 2)
    );
    assert_eq!(
        total.p99_delivery_ms,
        Some(1000),
        "ingested at 0 s, delivered at 1 s"
    );
    assert_eq!(total.p99_response_ms, Some(1));
    let by_sub: Vec<(&str, u64, u64, u64)> = traffic
        .per_subscription
        .iter()
        .map(|(id, c)| (id.as_str(), c.delivered, c.retried, c.dead_lettered))
        .collect();
    assert_eq!(by_sub, vec![("a", 3, 0, 0), ("b", 0, 1, 2)]);
    assert_eq!(traffic.per_subscription[1].1.p99_delivery_ms, None);
    assert_eq!(
        store.traffic(t(3)).await.expect("traffic").events,
        0,
        "a later window"
    );
    let backlog = store.backlog().await.expect("backlog");
    assert_eq!(
        backlog,
        vec![Backlog {
            subscription: sid("b"),
            pending: 1,
            retrying: 1,
            oldest_ingested_at: Some(t(0)),
        }]
    );
    assert_eq!(
        store.dead_letter_counts().await.expect("counts"),
        vec![(sid("b"), 2)]
    );
    let failures = store.recent_failures(10).await.expect("failures");
    assert_eq!(failures.len(), 3);
    assert!(
        failures
            .windows(2)
            .all(|w| w[0].attempt.id > w[1].attempt.id),
        "newest first"
    );
    let dead: Vec<bool> = failures.iter().map(|f| f.dead_letter.is_some()).collect();
    assert_eq!(dead.iter().filter(|d| **d).count(), 2);
    let retried = failures
        .iter()
        .find(|f| f.attempt.record.outcome == "retry")
        .expect("the retried attempt");
    assert_eq!(retried.dead_letter, None);
    assert_eq!(retried.attempt.record.status, Some(503));
    assert_eq!(
        retried.attempt.event.as_ref().map(|(id, _, _)| id.as_str()),
        Some("e0")
    );
    assert_eq!(store.recent_failures(1).await.expect("failures").len(), 1);
}

pub async fn the_console_searches_events_newest_first_with_their_reach(store: impl Store) {
    let positions = three_events_two_outcomes(&store).await;
    let all = store
        .search_events(&EventSearch {
            limit: 10,
            ..EventSearch::default()
        })
        .await
        .expect("search");
    let ids: Vec<&str> = all.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, vec!["e2", "e1", "e0"]);
    assert_eq!(all[2].cursor.position, positions[0]);
    assert_eq!(all[2].ingested_at, t(0));
    assert_eq!(
        all[2].reach,
        Reach {
            routed: 2,
            delivered: 1,
            dead_lettered: 0
        },
        "e0: delivered to a, retrying for b"
    );
    assert_eq!(
        all[0].reach,
        Reach {
            routed: 2,
            delivered: 1,
            dead_lettered: 1
        }
    );
    let found = |search: EventSearch| {
        let store = &store;
        async move {
            store
                .search_events(&EventSearch {
                    limit: 10,
                    ..search
                })
                .await
                .expect("search")
                .into_iter()
                .map(|e| e.id)
                .collect::<Vec<_>>()
        }
    };
    let by_id = found(EventSearch {
        id: Some("e1".into()),
        ..EventSearch::default()
    })
    .await;
    assert_eq!(by_id, vec!["e1"]);
    let by_type = found(EventSearch {
        type_prefix: Some("com.example.te".into()),
        source: Some("/test".into()),
        ..EventSearch::default()
    })
    .await;
    assert_eq!(by_type.len(), 3);
    let none = found(EventSearch {
        type_prefix: Some("com.example.x".into()),
        ..EventSearch::default()
    })
    .await;
    assert!(none.is_empty());
    let older = found(EventSearch {
        before: Some(positions[1]),
        ..EventSearch::default()
    })
    .await;
    assert_eq!(older, vec!["e0"]);
    let later = found(EventSearch {
        since: Some(t(1)),
        ..EventSearch::default()
    })
    .await;
    assert!(later.is_empty(), "every event was accepted at 0 s");
    let page = store
        .search_events(&EventSearch {
            limit: 2,
            ..EventSearch::default()
        })
        .await
        .expect("search");
    assert_eq!(page.len(), 2);
    let types = store.event_types().await.expect("types");
    assert_eq!(
        types,
        vec![TypeCount {
            event_type: "com.example.test.v1".into(),
            count: 3,
            newest: positions[2],
            last_ingested_at: t(0),
        }]
    );
}
