//! Replicas: the real binary, twice, on one PostgreSQL database (a fresh one per test). They
//! share subscriptions and dedupe, a replica killed with SIGKILL mid-burst loses nothing that
//! was acknowledged (its leased work is taken over when the leases run out, so only what it had
//! in flight may arrive twice), and a replica whose connections are terminated reconnects.

use std::collections::{HashMap, HashSet};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use shared_events::AttributesReader;
use shared_events::http::reqwest::RequestBuilderExt;
use tokio::process::{Child, Command};

use crate::helpers::{DEADLINE, TestReceiver, event, wait_for};
use crate::testdb::TestDatabase;

/// One gateway process.
struct Replica {
    child: Child,
    url: String,
    /// The owner id its leases carry (from `/healthz`).
    id: String,
}

/// Starts the binary on `database` with only `GATEWAY_LISTEN` and `GATEWAY_DATABASE_URL` (and
/// a short lease grace, so a dead replica's work is due again quickly).
async fn start_replica(database: &str) -> Replica {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("binds")
        .local_addr()
        .expect("an address")
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_event-gateway"))
        .env_clear()
        .env("GATEWAY_LISTEN", format!("127.0.0.1:{port}"))
        .env("GATEWAY_DATABASE_URL", database)
        .env("GATEWAY_LEASE_GRACE", "PT1S")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(if std::env::var_os("TEST_LOG").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .kill_on_drop(true)
        .spawn()
        .expect("the gateway binary starts");
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let health: Value = wait_for(|| async {
        let response = client.get(format!("{url}/healthz")).send().await.ok()?;
        response.json().await.ok()
    })
    .await;
    let id = health["replica"].as_str().expect("a replica id").to_owned();
    Replica { child, url, id }
}

/// Posts `id` to `replica`; whether it was acknowledged (202).
async fn post(client: &reqwest::Client, replica: &str, id: &str) -> bool {
    let request = client
        .post(format!("{replica}/events"))
        .cloudevent(&event(id, "com.acme.replicated.v1"))
        .expect("encodes");
    matches!(request.send().await, Ok(r) if r.status() == 202)
}

/// Subscribes `sink` through `replica` (a 2 s attempt timeout: with the 1 s grace, a 3 s lease).
async fn subscribe(client: &reqwest::Client, replica: &str, sink: &str) -> String {
    let response = client
        .post(format!("{replica}/subscriptions"))
        .json(&json!({"sink": sink, "delivery": {"timeout": "PT2S"}}))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.expect("JSON");
    body["id"].as_str().expect("an id").to_owned()
}

/// Posts probes to `replica` until one reaches `receiver`: from then on the replica's cache has
/// the subscription (made through another replica).
async fn wait_until_routed(client: &reqwest::Client, replica: &str, receiver: &mut TestReceiver) {
    let started = std::time::Instant::now();
    for probe in 0.. {
        assert!(
            started.elapsed() < DEADLINE,
            "never routed within {DEADLINE:?}"
        );
        let id = format!("probe-{probe}");
        assert!(post(client, replica, &id).await, "a probe is acknowledged");
        if receiver.within(Duration::from_millis(300)).await.is_some() {
            return;
        }
    }
}

/// Burst posters: `posters` tasks posting `each` distinct events round-robin to `replicas`,
/// recording what was acknowledged, going on past refusals (a killed replica).
fn burst(
    replicas: Vec<String>,
    posters: usize,
    each: usize,
    acked: Arc<Mutex<HashSet<String>>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let client = reqwest::Client::new();
    (0..posters)
        .map(|poster| {
            let (client, replicas, acked) = (client.clone(), replicas.clone(), acked.clone());
            tokio::spawn(async move {
                for i in 0..each {
                    let id = format!("burst-{poster}-{i}");
                    let to = &replicas[(poster + i) % replicas.len()];
                    if post(&client, to, &id).await {
                        acked.lock().expect("not poisoned").insert(id);
                    }
                }
            })
        })
        .collect()
}

/// Receives until every id in `expected` has arrived; answers how often each id arrived.
async fn receive_all(
    receiver: &mut TestReceiver,
    expected: &HashSet<String>,
) -> HashMap<String, u32> {
    let mut seen: HashMap<String, u32> = HashMap::new();
    while !expected.iter().all(|id| seen.contains_key(id)) {
        *seen
            .entry(receiver.next().await.event.id().to_owned())
            .or_default() += 1;
    }
    seen
}

fn acked_count(acked: &Mutex<HashSet<String>>) -> usize {
    acked.lock().expect("not poisoned").len()
}

#[tokio::test]
async fn a_subscription_made_on_one_replica_is_served_by_the_other_and_an_event_posted_to_both_is_delivered_once()
 {
    let Some(db) =
        TestDatabase::create("replicas::a_subscription_made_on_one_replica_is_served_by_the_other")
            .await
    else {
        return;
    };
    let (a, b) = (start_replica(&db.url).await, start_replica(&db.url).await);
    assert_ne!(a.id, b.id);
    let client = reqwest::Client::new();
    let mut receiver = TestReceiver::start().await;
    subscribe(&client, &a.url, &receiver.url).await;
    wait_until_routed(&client, &b.url, &mut receiver).await;

    assert!(post(&client, &a.url, "twice-posted").await);
    assert!(post(&client, &b.url, "twice-posted").await);
    let got = receiver.next_with_id("twice-posted").await;
    assert_eq!(got.event.id(), "twice-posted");
    while let Some(more) = receiver.within(Duration::from_millis(500)).await {
        assert_ne!(more.event.id(), "twice-posted", "delivered twice");
    }
}

#[tokio::test]
async fn a_replica_killed_mid_burst_loses_no_acknowledged_event_and_serves_again_after_restart() {
    let Some(db) =
        TestDatabase::create("replicas::a_replica_killed_mid_burst_loses_no_acknowledged_event")
            .await
    else {
        return;
    };
    let (mut a, b) = (start_replica(&db.url).await, start_replica(&db.url).await);
    let client = reqwest::Client::new();
    let mut receiver = TestReceiver::start().await;
    subscribe(&client, &b.url, &receiver.url).await;
    wait_until_routed(&client, &a.url, &mut receiver).await;
    let pool = sqlx::PgPool::connect(&db.url).await.expect("connects");

    let acked: Arc<Mutex<HashSet<String>>> = Arc::default();
    let posters = burst(vec![a.url.clone(), b.url.clone()], 4, 300, acked.clone());
    wait_for(|| async { (acked_count(&acked) >= 300).then_some(()) }).await;
    a.child.kill().await.expect("SIGKILL");
    // What the killed replica held: rows still leased to it, whose outcome it never wrote.
    let in_flight: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE owner = $1")
        .bind(&a.id)
        .fetch_one(&pool)
        .await
        .expect("counts");
    for poster in posters {
        poster.await.expect("a poster");
    }
    let acked = acked.lock().expect("not poisoned").clone();
    let seen = receive_all(&mut receiver, &acked).await;
    let duplicates: u32 = seen.values().map(|n| n - 1).sum();
    eprintln!(
        "{} acknowledged; the killed replica held {in_flight} leases; {duplicates} duplicates",
        acked.len()
    );
    assert!(
        i64::from(duplicates) <= in_flight,
        "{duplicates} duplicates but the killed replica had only {in_flight} deliveries in flight"
    );

    let restarted = start_replica(&db.url).await;
    assert!(post(&client, &restarted.url, "after-restart").await);
    receiver.next_with_id("after-restart").await;
    pool.close().await;
    drop((restarted, b));
}

#[tokio::test]
async fn a_replica_whose_connections_are_terminated_mid_burst_reconnects_and_loses_nothing() {
    let Some(db) =
        TestDatabase::create("replicas::a_replica_whose_connections_are_terminated_mid_burst")
            .await
    else {
        return;
    };
    let (a, b) = (start_replica(&db.url).await, start_replica(&db.url).await);
    let client = reqwest::Client::new();
    let mut receiver = TestReceiver::start().await;
    subscribe(&client, &a.url, &receiver.url).await;
    wait_until_routed(&client, &b.url, &mut receiver).await;
    let pool = sqlx::PgPool::connect(&db.url).await.expect("connects");
    let name = db
        .url
        .rsplit('/')
        .next()
        .expect("a database name")
        .to_owned();

    let acked: Arc<Mutex<HashSet<String>>> = Arc::default();
    let posters = burst(vec![a.url.clone(), b.url.clone()], 4, 250, acked.clone());
    for at in [200, 450, 700] {
        wait_for(|| async { (acked_count(&acked) >= at).then_some(()) }).await;
        let terminated: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND application_name = 'event-gateway'",
        )
        .bind(&name)
        .fetch_all(&pool)
        .await
        .expect("terminates");
        assert!(!terminated.is_empty(), "the replicas had connections");
    }
    for poster in posters {
        poster.await.expect("a poster");
    }
    let acked = acked.lock().expect("not poisoned").clone();
    assert!(acked.len() >= 700);
    receive_all(&mut receiver, &acked).await;
    for replica in [&a, &b] {
        let id = format!("after-reconnect-{}", replica.id);
        assert!(post(&client, &replica.url, &id).await);
        receiver.next_with_id(&id).await;
    }
    pool.close().await;
}
