//! The stream side: reading retained events by cursor, per-key ordered claims, lease renewal,
//! per-lease outcomes and replay jobs.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use super::*;

/// `event` with a `partitionkey`.
pub(super) fn keyed(id: &str, key: &str, subs: &[&str]) -> NewEvent {
    NewEvent {
        partition_key: Some(key.to_owned()),
        ..event(id, subs)
    }
}

pub(super) fn ordered(sub: &str, limit: u32) -> ClaimRequest {
    ClaimRequest {
        ordered: true,
        ..request(sub, limit)
    }
}

fn positions(ingested: &[Ingested]) -> Vec<Position> {
    ingested
        .iter()
        .map(|i| match i {
            Ingested::Accepted(p) => *p,
            Ingested::Duplicate => panic!("a duplicate"),
        })
        .collect()
}

/// Reads `limit` at a time after `after` until `want` events were read, as a client pages: a
/// short or empty page means "nothing more readable yet" (on PostgreSQL an event is readable
/// once every older transaction on the server has ended, and other tests share the server).
pub(super) async fn read_until(
    store: &impl Store,
    mut after: Option<Cursor>,
    limit: u32,
    want: usize,
) -> Vec<StoredEvent> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut read: Vec<StoredEvent> = Vec::new();
    while read.len() < want {
        let page = store.read_events(after, limit).await.expect("read");
        assert!(page.len() <= limit as usize, "a page holds at most `limit`");
        if page.is_empty() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "only {} of {want} events became readable",
                read.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        }
        after = page.last().map(|e| e.cursor);
        read.extend(page);
    }
    read
}

fn job(subscription: &str, skip_known: bool, at: DateTime<Utc>) -> Job {
    Job {
        id: JobId::generate(),
        subscription: sid(subscription),
        spec: r#"{"from":"earliest"}"#.to_owned(),
        skip_known,
        status: JobStatus::Running,
        total: None,
        scheduled: 0,
        scanned: None,
        error: None,
        created_at: at,
        updated_at: at,
    }
}

/// A job for subscription `s`, created at `t(0)` and claimed until `lease_until` by a fresh owner.
async fn claimed_job(store: &impl Store, lease_until: DateTime<Utc>) -> (Job, LeaseOwner) {
    let j = job("s", false, t(0));
    store.insert_job(&j).await.expect("insert");
    let owner = LeaseOwner::generate();
    store
        .claim_job(&owner, lease_until, t(1))
        .await
        .expect("claim")
        .expect("the job");
    (j, owner)
}

fn step<'a>(job: &'a JobId, owner: &'a LeaseOwner, positions: &'a [Position]) -> JobStep<'a> {
    JobStep {
        job,
        owner: owner.as_str(),
        lease_until: t(1000),
        positions,
        scanned: None,
        total: None,
        finish: None,
    }
}

pub async fn events_are_read_in_ingest_order_page_by_page(store: impl Store) {
    let mut sent = Vec::new();
    for (batch, size) in [7, 1, 12, 5].into_iter().enumerate() {
        let events: Vec<NewEvent> = (0..size)
            .map(|i| event(&format!("b{batch}-{i}"), &[]))
            .collect();
        let at = t(i64::try_from(batch).expect("small") * 10);
        let done = store.ingest(&events, at, t(-1)).await.expect("ingest");
        sent.extend(positions(&done));
    }
    let read = read_until(&store, None, 4, sent.len()).await;
    let got: Vec<Position> = read.iter().map(|e| e.cursor.position).collect();
    assert_eq!(
        got, sent,
        "every event once, in ingest order, batches in batch order"
    );
    assert!(read.windows(2).all(|w| w[0].cursor < w[1].cursor));
    let last = read.last().expect("events").cursor;
    assert!(
        store
            .read_events(Some(last), 10)
            .await
            .expect("read")
            .is_empty()
    );
    assert_eq!(store.head().await.expect("head"), Some(last));
    // From the middle: exactly the rest.
    let rest = store
        .read_events(Some(read[9].cursor), 100)
        .await
        .expect("read");
    assert_eq!(rest.len(), sent.len() - 10);
    assert_eq!(rest[0].cursor, read[10].cursor);
    // A cursor survives its text form.
    let text = read[3].cursor.to_string();
    assert_eq!(Cursor::parse(&text), Ok(read[3].cursor));
    // The first event ingested at or after a time: the first of the third batch.
    assert_eq!(
        store.first_since(t(15)).await.expect("first since"),
        Some(read[8].cursor)
    );
    assert_eq!(store.first_since(t(31)).await.expect("first since"), None);
    // Lookups by identity and by position.
    let found = store
        .find_event("/test", "b2-3")
        .await
        .expect("find")
        .expect("found");
    assert_eq!(found.cursor, read[11].cursor);
    assert_eq!(found.ingested_at, t(20));
    assert_eq!(found.body, event("b2-3", &[]).body);
    assert!(
        store
            .find_event("/test", "nope")
            .await
            .expect("find")
            .is_none()
    );
    let at = store
        .event_at(read[11].cursor.position)
        .await
        .expect("event at")
        .expect("found");
    assert_eq!((at.cursor, at.body), (found.cursor, found.body));
    assert!(store.event_at(-5).await.expect("event at").is_none());
}

pub async fn nothing_is_readable_before_the_first_event(store: impl Store) {
    assert!(store.read_events(None, 10).await.expect("read").is_empty());
    assert_eq!(store.head().await.expect("head"), None);
    assert_eq!(store.first_since(t(0)).await.expect("first since"), None);
    // A cursor from before every event (none is handed out) reads from the start.
    store
        .ingest(&[event("a", &[])], t(0), t(-1))
        .await
        .expect("ingest");
    let before = Cursor {
        order: -1,
        position: -1,
    };
    assert_eq!(read_until(&store, Some(before), 10, 1).await.len(), 1);
}

pub async fn an_event_shows_its_pending_deliveries_dead_letters_and_history(store: impl Store) {
    let done = store
        .ingest(&[event("a", &["s1", "s2", "s3", "s4"])], t(0), t(-1))
        .await
        .expect("ingest");
    let position = positions(&done)[0];
    let owner = LeaseOwner::generate();
    let c = store
        .claim(
            &[request("s1", 1), request("s2", 1), request("s3", 1)],
            &owner,
            t(1),
        )
        .await
        .expect("claim");
    let of = |s: &str| {
        c.iter()
            .find(|c| c.subscription == sid(s))
            .expect("claimed")
    };
    store
        .complete(&[settle(of("s1"), t(2), "delivered", 200)])
        .await
        .expect("complete");
    let dead = store
        .dead_letter(
            &[GiveUp {
                settled: settle(of("s2"), t(2), "dead_lettered", 400),
                reason: "non_retryable".into(),
            }],
            t(2),
        )
        .await
        .expect("dead letter");
    store
        .retry(&[RetryLater {
            settled: settle(of("s3"), t(2), "retry", 503),
            due_at: t(60),
        }])
        .await
        .expect("retry");
    let d = store.event_deliveries(position).await.expect("deliveries");
    let mut pending = d.pending.clone();
    pending.sort_by(|a, b| a.subscription.as_str().cmp(b.subscription.as_str()));
    assert_eq!(
        pending,
        [
            PendingDelivery {
                subscription: sid("s3"),
                attempts: 1,
                due_at: t(60),
                claimed: false,
                replay: None,
            },
            PendingDelivery {
                subscription: sid("s4"),
                attempts: 0,
                due_at: t(0),
                claimed: false,
                replay: None,
            },
        ]
    );
    assert_eq!(d.dead_letters, [(sid("s2"), dead[0].expect("held"))]);
    let mut history: Vec<(String, String, Option<u16>)> = d
        .history
        .iter()
        .map(|(s, r)| (s.as_str().to_owned(), r.outcome.clone(), r.status))
        .collect();
    history.sort();
    assert_eq!(
        history,
        [
            ("s1".to_owned(), "delivered".to_owned(), Some(200)),
            ("s2".to_owned(), "dead_lettered".to_owned(), Some(400)),
            ("s3".to_owned(), "retry".to_owned(), Some(503)),
        ]
    );
    // Claimed rows show as such.
    let s4 = store
        .claim(&[request("s4", 1)], &owner, t(3))
        .await
        .expect("claim");
    assert_eq!(s4.len(), 1);
    let d = store.event_deliveries(position).await.expect("deliveries");
    let s4 = d
        .pending
        .iter()
        .find(|p| p.subscription == sid("s4"))
        .expect("s4 pending");
    assert!(s4.claimed && s4.attempts == 1);
    assert!(
        store
            .event_deliveries(position + 1000)
            .await
            .expect("deliveries")
            .pending
            .is_empty()
    );
}

pub async fn an_ordered_claim_holds_back_a_key_behind_its_head_until_it_is_settled(
    store: impl Store,
) {
    let done = store
        .ingest(
            &[
                keyed("a1", "a", &["s", "u"]),
                keyed("b1", "b", &["s"]),
                keyed("a2", "a", &["s", "u"]),
                event("n1", &["s"]),
                keyed("b2", "b", &["s"]),
                keyed("a3", "a", &["s"]),
                event("n2", &["s"]),
            ],
            t(0),
            t(-1),
        )
        .await
        .expect("ingest");
    let p = positions(&done);
    let (a1, b1, a2, n1, b2, a3, n2) = (p[0], p[1], p[2], p[3], p[4], p[5], p[6]);
    let owner = LeaseOwner::generate();
    let claim = |req: ClaimRequest, at: i64| {
        let store = &store;
        let owner = owner.clone();
        async move {
            let mut got = store.claim(&[req], &owner, t(at)).await.expect("claim");
            got.sort_by_key(|c| c.position);
            got
        }
    };
    let of = |claimed: &[Claimed]| claimed.iter().map(|c| c.position).collect::<Vec<_>>();
    // The head of each key and every unkeyed row.
    let first = claim(ordered("s", 10), 1).await;
    assert_eq!(of(&first), [a1, b1, n1, n2]);
    // An unordered subscription takes every due row of a key at once.
    assert_eq!(of(&claim(request("u", 10), 1).await), [a1, a2]);
    // While a head is in flight, nothing more of its key.
    assert!(claim(ordered("s", 10), 2).await.is_empty());
    // A head that will be retried still holds its key back, before and after it is due again.
    let find = |claimed: &[Claimed], p: Position| {
        claimed
            .iter()
            .find(|c| c.position == p)
            .expect("claimed")
            .clone()
    };
    assert_eq!(
        store
            .retry(&[RetryLater {
                settled: settle(&find(&first, a1), t(2), "retry", 503),
                due_at: t(10),
            }])
            .await
            .expect("retry"),
        [true]
    );
    assert!(claim(ordered("s", 10), 5).await.is_empty());
    let again = claim(ordered("s", 10), 10).await;
    assert_eq!(of(&again), [a1], "the head comes back first");
    assert_eq!(again[0].lease.attempt, 2);
    // Settled heads let their keys move on, one event at a time: a delivered one…
    assert_eq!(
        store
            .complete(&[settle(&again[0], t(11), "delivered", 200)])
            .await
            .expect("complete"),
        [true]
    );
    let next = claim(ordered("s", 10), 11).await;
    assert_eq!(of(&next), [a2]);
    // …and a dead-lettered one.
    let b1_lease = find(&first, b1);
    store
        .dead_letter(
            &[GiveUp {
                settled: settle(&b1_lease, t(12), "dead_lettered", 400),
                reason: "non_retryable".into(),
            }],
            t(12),
        )
        .await
        .expect("dead letter");
    assert_eq!(of(&claim(ordered("s", 10), 12).await), [b2]);
    store
        .complete(&[settle(&next[0], t(13), "delivered", 200)])
        .await
        .expect("complete");
    assert_eq!(of(&claim(ordered("s", 10), 13).await), [a3]);
}

pub async fn ordered_claimers_at_once_keep_every_key_in_order(store: impl Store + Clone) {
    let keys = 20;
    let per_key = 5;
    let mut events = Vec::new();
    for seq in 0..per_key {
        for k in 0..keys {
            events.push(keyed(&format!("k{k}-{seq}"), &format!("k{k}"), &["s"]));
        }
    }
    let done = store.ingest(&events, t(0), t(-1)).await.expect("ingest");
    let key_of: HashMap<Position, usize> = positions(&done)
        .into_iter()
        .enumerate()
        .map(|(i, p)| (p, i % keys))
        .collect();
    // Each claimer logs a claim after the claim and a completion before the completion, so a
    // claim logged after a completion of its key also happened after it.
    let log: Arc<Mutex<Vec<(bool, Position)>>> = Arc::default();
    let claimers: Vec<_> = (0..3)
        .map(|_| {
            let (store, log) = (store.clone(), log.clone());
            tokio::spawn(async move {
                let owner = LeaseOwner::generate();
                let mut idle = 0;
                while idle < 5 {
                    let claimed = store
                        .claim(&[ordered("s", 7)], &owner, t(1))
                        .await
                        .expect("claim");
                    if claimed.is_empty() {
                        idle += 1;
                        tokio::task::yield_now().await;
                        continue;
                    }
                    idle = 0;
                    {
                        let mut log = log.lock().expect("log");
                        log.extend(claimed.iter().map(|c| (true, c.position)));
                        log.extend(claimed.iter().map(|c| (false, c.position)));
                    }
                    let settled: Vec<Settled> = claimed
                        .iter()
                        .map(|c| settle(c, t(2), "delivered", 200))
                        .collect();
                    assert!(
                        store
                            .complete(&settled)
                            .await
                            .expect("complete")
                            .iter()
                            .all(|held| *held)
                    );
                }
            })
        })
        .collect();
    for claimer in claimers {
        claimer.await.expect("a claimer");
    }
    assert_eq!(
        store.pending().await.expect("pending"),
        0,
        "everything delivered"
    );
    let log = log.lock().expect("log").clone();
    let claims: Vec<Position> = log.iter().filter(|(c, _)| *c).map(|(_, p)| *p).collect();
    let unique: HashSet<Position> = claims.iter().copied().collect();
    assert_eq!(unique.len(), claims.len(), "a delivery was claimed twice");
    assert_eq!(unique.len(), keys * per_key);
    let mut in_flight: HashMap<usize, Position> = HashMap::new();
    let mut last: HashMap<usize, Position> = HashMap::new();
    for (claim, p) in log {
        let key = key_of[&p];
        if claim {
            assert!(
                last.get(&key).is_none_or(|l| *l < p),
                "key {key}: {p} after {:?}",
                last.get(&key)
            );
            assert_eq!(
                in_flight.insert(key, p),
                None,
                "two events of key {key} in flight"
            );
            last.insert(key, p);
        } else {
            in_flight.remove(&key);
        }
    }
}

pub async fn renewing_extends_only_leases_that_still_hold(store: impl Store) {
    store
        .ingest(&[event("a", &["s"]), event("b", &["s"])], t(0), t(-1))
        .await
        .expect("ingest");
    let owner = LeaseOwner::generate();
    let mut c = store
        .claim(&[request("s", 2)], &owner, t(1))
        .await
        .expect("claim");
    c.sort_by_key(|c| c.lease.delivery);
    let stale_attempt = Lease {
        attempt: c[0].lease.attempt + 1,
        ..c[0].lease.clone()
    };
    let other_owner = Lease {
        owner: LeaseOwner::generate(),
        ..c[0].lease.clone()
    };
    assert_eq!(
        store
            .renew(&[stale_attempt, c[0].lease.clone(), other_owner], t(100))
            .await
            .expect("renew"),
        [false, true, false]
    );
    assert_eq!(
        store.renew(&[], t(100)).await.expect("renew"),
        Vec::<bool>::new()
    );
    // The first lease runs to t(100) now, the second ran out at t(31).
    let later = store
        .claim(&[request("s", 2)], &LeaseOwner::generate(), t(50))
        .await
        .expect("claim");
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].lease.delivery, c[1].lease.delivery);
    // Taken over: the old lease can no longer be renewed.
    assert_eq!(
        store
            .renew(&[c[1].lease.clone()], t(200))
            .await
            .expect("renew"),
        [false]
    );
    let d = store
        .event_deliveries(c[0].position)
        .await
        .expect("deliveries");
    assert_eq!(d.pending[0].due_at, t(100));
}

pub async fn outcomes_answer_per_lease_in_batch_order(store: impl Store) {
    let events: Vec<NewEvent> = (0..4).map(|i| event(&format!("e{i}"), &["s"])).collect();
    store.ingest(&events, t(0), t(-1)).await.expect("ingest");
    let owner = LeaseOwner::generate();
    let mut c = store
        .claim(&[request("s", 4)], &owner, t(1))
        .await
        .expect("claim");
    c.sort_by_key(|c| c.position);
    let mut stranger = settle(&c[1], t(2), "delivered", 200);
    stranger.lease.owner = LeaseOwner::generate();
    assert_eq!(
        store
            .complete(&[
                settle(&c[2], t(2), "delivered", 200),
                stranger,
                settle(&c[0], t(2), "delivered", 200),
            ])
            .await
            .expect("complete"),
        [true, false, true]
    );
    let retry = |c: &Claimed| RetryLater {
        settled: settle(c, t(3), "retry", 503),
        due_at: t(10),
    };
    assert_eq!(
        store
            .retry(&[retry(&c[0]), retry(&c[3]), retry(&c[1])])
            .await
            .expect("retry"),
        [false, true, true],
        "c[0] was settled already"
    );
    assert_eq!(
        store.complete(&[]).await.expect("complete"),
        Vec::<bool>::new()
    );
    assert_eq!(store.pending().await.expect("pending"), 2);
    let history = store
        .history(c[1].position, &sid("s"))
        .await
        .expect("history");
    assert_eq!(history.len(), 1, "only the lease that held is recorded");
    assert_eq!(history[0].outcome, "retry");
}

pub async fn a_job_is_held_by_one_runner_at_a_time(store: impl Store) {
    let first = job("s", false, t(0));
    let second = job("s", true, t(1));
    store.insert_job(&first).await.expect("insert");
    store.insert_job(&second).await.expect("insert");
    assert_eq!(
        store.job(&first.id).await.expect("job"),
        Some(first.clone())
    );
    assert!(store.job(&JobId::generate()).await.expect("job").is_none());
    let listed: Vec<JobId> = store
        .jobs(10)
        .await
        .expect("jobs")
        .into_iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(
        listed,
        [second.id.clone(), first.id.clone()],
        "newest first"
    );
    assert_eq!(store.jobs(1).await.expect("jobs").len(), 1);

    let (a, b) = (LeaseOwner::generate(), LeaseOwner::generate());
    // The oldest running job first; a held job is not taken by another runner.
    let took = store.claim_job(&a, t(30), t(0)).await.expect("claim job");
    assert_eq!(took.map(|j| j.id), Some(first.id.clone()));
    let took = store.claim_job(&b, t(30), t(0)).await.expect("claim job");
    assert_eq!(took.map(|j| j.id), Some(second.id.clone()));
    assert!(
        store
            .claim_job(&b, t(30), t(1))
            .await
            .expect("claim job")
            .is_none(),
        "a held job is not handed out again, not even to its holder"
    );
    let none = LeaseOwner::generate();
    assert!(
        store
            .claim_job(&none, t(30), t(10))
            .await
            .expect("claim job")
            .is_none()
    );
    // A runner whose lease ran out loses the job to another…
    let took = store
        .claim_job(&none, t(100), t(31))
        .await
        .expect("claim job");
    assert_eq!(took.map(|j| j.id), Some(first.id.clone()));
    // …and can no longer write a step of it.
    let done = store
        .ingest(&[event("e", &[])], t(0), t(-1))
        .await
        .expect("ingest");
    let p = positions(&done);
    assert!(
        !store
            .step_job(&step(&first.id, &a, &p), t(32))
            .await
            .expect("step")
    );
    assert_eq!(store.job_pending(&first.id).await.expect("pending"), 0);
    assert!(
        store
            .step_job(&step(&first.id, &none, &p), t(32))
            .await
            .expect("step")
    );
    assert_eq!(store.job_pending(&first.id).await.expect("pending"), 1);
    // Ended jobs are not taken.
    let finish = JobStep {
        finish: Some((JobStatus::Failed, Some("broken".to_owned()))),
        ..step(&first.id, &none, &[])
    };
    assert!(store.step_job(&finish, t(33)).await.expect("step"));
    let failed = store.job(&first.id).await.expect("job").expect("a job");
    assert_eq!(
        (failed.status, failed.error.as_deref(), failed.scheduled),
        (JobStatus::Failed, Some("broken"), 1)
    );
    assert!(
        !store
            .step_job(&step(&first.id, &none, &p), t(34))
            .await
            .expect("step")
    );
    let c = LeaseOwner::generate();
    let took = store
        .claim_job(&c, t(1000), t(500))
        .await
        .expect("claim job");
    assert_eq!(took.map(|j| j.id), Some(second.id), "only the running job");
    assert!(
        store
            .claim_job(&c, t(1000), t(500))
            .await
            .expect("claim job")
            .is_none(),
        "held by c now"
    );
}

pub async fn two_runners_at_once_never_take_the_same_job(store: impl Store + Clone) {
    let jobs: Vec<Job> = (0..6).map(|i| job("s", false, t(i))).collect();
    for j in &jobs {
        store.insert_job(j).await.expect("insert");
    }
    let runners: Vec<_> = (0..2)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let owner = LeaseOwner::generate();
                let mut took = Vec::new();
                // Each runner finishes what it takes, so it moves on to the next job.
                while let Some(job) = store.claim_job(&owner, t(100), t(10)).await.expect("claim") {
                    let finish = JobStep {
                        finish: Some((JobStatus::Completed, None)),
                        ..step(&job.id, &owner, &[])
                    };
                    assert!(store.step_job(&finish, t(10)).await.expect("step"));
                    took.push(job.id);
                }
                took
            })
        })
        .collect();
    let mut all = Vec::new();
    for runner in runners {
        all.extend(runner.await.expect("a runner"));
    }
    let unique: HashSet<String> = all.iter().map(|id| id.as_str().to_owned()).collect();
    assert_eq!(unique.len(), all.len(), "a job was taken twice");
    assert_eq!(unique.len(), jobs.len());
}

pub async fn a_job_step_schedules_tagged_deliveries_and_moves_the_job_on(store: impl Store) {
    let done = store
        .ingest(
            &[
                keyed("a", "k", &[]),
                event("b", &[]),
                keyed("c", "k", &["s"]),
            ],
            t(0),
            t(-1),
        )
        .await
        .expect("ingest");
    let p = positions(&done);
    let (j, owner) = claimed_job(&store, t(30)).await;
    let scanned = Cursor {
        order: 7,
        position: p[1],
    };
    let first = JobStep {
        scanned: Some(scanned),
        total: Some(3),
        lease_until: t(60),
        ..step(&j.id, &owner, &p[..2])
    };
    assert!(store.step_job(&first, t(2)).await.expect("step"));
    let now = store.job(&j.id).await.expect("job").expect("a job");
    assert_eq!(
        (
            now.status,
            now.scheduled,
            now.total,
            now.scanned,
            now.updated_at
        ),
        (JobStatus::Running, 2, Some(3), Some(scanned), t(2))
    );
    assert_eq!(store.job_pending(&j.id).await.expect("pending"), 2);
    // The lease was extended: another runner cannot take the job at t(31).
    assert!(
        store
            .claim_job(&LeaseOwner::generate(), t(90), t(31))
            .await
            .expect("claim")
            .is_none()
    );
    // Replayed rows carry the job, and the key of their event: ordered behind the live row of
    // the same key that comes first.
    let live = store
        .claim(&[ordered("s", 10)], &owner, t(3))
        .await
        .expect("claim");
    let mut got: Vec<(Position, Option<JobId>)> = live
        .iter()
        .map(|c| (c.position, c.replay.clone()))
        .collect();
    got.sort_by_key(|g| g.0);
    assert_eq!(
        got,
        [(p[0], Some(j.id.clone())), (p[1], Some(j.id.clone()))]
    );
    assert!(
        store
            .claim(&[ordered("s", 10)], &owner, t(4))
            .await
            .expect("claim")
            .is_empty(),
        "the live `c` waits behind the replayed `a` of its key"
    );
    let settled: Vec<Settled> = live
        .iter()
        .map(|c| settle(c, t(5), "delivered", 200))
        .collect();
    store.complete(&settled).await.expect("complete");
    assert_eq!(store.job_pending(&j.id).await.expect("pending"), 0);
    let c = store
        .claim(&[ordered("s", 10)], &owner, t(5))
        .await
        .expect("claim");
    assert_eq!(
        c.iter()
            .map(|c| (c.position, c.replay.clone()))
            .collect::<Vec<_>>(),
        [(p[2], None)]
    );
    // A step with nothing to schedule still records progress; the last one ends the job.
    let last = JobStep {
        scanned: Some(Cursor {
            order: 9,
            position: p[2],
        }),
        finish: Some((JobStatus::Completed, None)),
        ..step(&j.id, &owner, &[])
    };
    assert!(store.step_job(&last, t(6)).await.expect("step"));
    let ended = store.job(&j.id).await.expect("job").expect("a job");
    assert_eq!(
        (
            ended.status,
            ended.scheduled,
            ended.total,
            ended.scanned.map(|c| c.order)
        ),
        (JobStatus::Completed, 2, Some(3), Some(9))
    );
}

pub async fn a_catch_up_skips_events_its_subscription_already_has(store: impl Store) {
    let done = store
        .ingest(
            &[
                event("pending", &["s"]),
                event("delivered", &["s"]),
                event("dead", &["s"]),
                event("elsewhere", &["other"]),
                event("unseen", &[]),
            ],
            t(0),
            t(-1),
        )
        .await
        .expect("ingest");
    let p = positions(&done);
    let owner = LeaseOwner::generate();
    let mut c = store
        .claim(&[request("s", 3)], &owner, t(1))
        .await
        .expect("claim");
    c.sort_by_key(|c| c.position);
    let by = |position: Position| c.iter().find(|c| c.position == position).expect("claimed");
    store
        .retry(&[RetryLater {
            settled: settle(by(p[0]), t(2), "retry", 503),
            due_at: t(100),
        }])
        .await
        .expect("retry");
    store
        .complete(&[settle(by(p[1]), t(2), "delivered", 200)])
        .await
        .expect("complete");
    store
        .dead_letter(
            &[GiveUp {
                settled: settle(by(p[2]), t(2), "dead_lettered", 400),
                reason: "non_retryable".into(),
            }],
            t(2),
        )
        .await
        .expect("dead letter");
    let catch_up = job("s", true, t(3));
    let replay = job("s", false, t(4));
    store.insert_job(&catch_up).await.expect("insert");
    store.insert_job(&replay).await.expect("insert");
    let runner = LeaseOwner::generate();
    let took = store.claim_job(&owner, t(60), t(5)).await.expect("claim");
    assert_eq!(took.map(|j| j.id), Some(catch_up.id.clone()));
    let took = store.claim_job(&runner, t(60), t(5)).await.expect("claim");
    assert_eq!(took.map(|j| j.id), Some(replay.id.clone()));
    assert!(
        store
            .step_job(&step(&catch_up.id, &owner, &p), t(6))
            .await
            .expect("step")
    );
    assert_eq!(
        store
            .job(&catch_up.id)
            .await
            .expect("job")
            .map(|j| j.scheduled),
        Some(2),
        "only `elsewhere` and `unseen` were new to `s`"
    );
    for (position, scheduled) in [(p[0], 0), (p[3], 1), (p[4], 1)] {
        let d = store.event_deliveries(position).await.expect("deliveries");
        let tagged = d
            .pending
            .iter()
            .filter(|d| d.subscription == sid("s") && d.replay.as_ref() == Some(&catch_up.id))
            .count();
        assert_eq!(tagged, scheduled, "at {position}");
    }
    // A plain replay takes every event again.
    assert!(
        store
            .step_job(&step(&replay.id, &runner, &p), t(6))
            .await
            .expect("step")
    );
    assert_eq!(
        store
            .job(&replay.id)
            .await
            .expect("job")
            .map(|j| j.scheduled),
        Some(5)
    );
    assert_eq!(store.job_pending(&replay.id).await.expect("pending"), 5);
}

pub async fn cancelling_a_job_drops_its_deliveries_and_stops_its_steps(store: impl Store) {
    let done = store
        .ingest(
            &[event("a", &["s"]), event("b", &[]), event("c", &[])],
            t(0),
            t(-1),
        )
        .await
        .expect("ingest");
    let p = positions(&done);
    let (j, owner) = claimed_job(&store, t(60)).await;
    assert!(
        store
            .step_job(&step(&j.id, &owner, &p[..2]), t(2))
            .await
            .expect("step")
    );
    assert_eq!(store.pending().await.expect("pending"), 3);
    assert!(store.cancel_job(&j.id, t(3)).await.expect("cancel"));
    assert_eq!(store.job_pending(&j.id).await.expect("pending"), 0);
    assert_eq!(
        store.pending().await.expect("pending"),
        1,
        "the live delivery stays"
    );
    let cancelled = store.job(&j.id).await.expect("job").expect("a job");
    assert_eq!(
        (cancelled.status, cancelled.updated_at),
        (JobStatus::Cancelled, t(3))
    );
    assert!(
        !store.cancel_job(&j.id, t(4)).await.expect("cancel"),
        "not running"
    );
    assert!(
        !store
            .cancel_job(&JobId::generate(), t(4))
            .await
            .expect("cancel")
    );
    assert!(
        !store
            .step_job(&step(&j.id, &owner, &p[2..]), t(5))
            .await
            .expect("step"),
        "the runner is turned away"
    );
    assert_eq!(store.pending().await.expect("pending"), 1);
    assert_eq!(
        store.job(&j.id).await.expect("job").map(|j| j.scheduled),
        Some(0),
        "the dropped deliveries are not counted as scheduled (nor done)"
    );
    assert!(
        store
            .claim_job(&owner, t(60), t(6))
            .await
            .expect("claim")
            .is_none()
    );
}

pub async fn a_redelivered_dead_letter_takes_its_place_in_its_key_again(store: impl Store) {
    let done = store
        .ingest(
            &[keyed("x1", "x", &["s"]), keyed("x2", "x", &["s"])],
            t(0),
            t(-1),
        )
        .await
        .expect("ingest");
    let p = positions(&done);
    let owner = LeaseOwner::generate();
    let head = store
        .claim(&[ordered("s", 10)], &owner, t(1))
        .await
        .expect("claim");
    assert_eq!(head.iter().map(|c| c.position).collect::<Vec<_>>(), [p[0]]);
    let dead = store
        .dead_letter(
            &[GiveUp {
                settled: settle(&head[0], t(2), "dead_lettered", 400),
                reason: "non_retryable".into(),
            }],
            t(2),
        )
        .await
        .expect("dead letter");
    store
        .redeliver(&Redeliver::One(dead[0].expect("held")), t(3))
        .await
        .expect("redeliver");
    let again = store
        .claim(&[ordered("s", 10)], &owner, t(3))
        .await
        .expect("claim");
    assert_eq!(
        again.iter().map(|c| c.position).collect::<Vec<_>>(),
        [p[0]],
        "the redelivered head keeps its key, so `x2` still waits behind it"
    );
}
