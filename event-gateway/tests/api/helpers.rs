//! The test harness: a real gateway on port 0 with a fresh database ([`spawn_app`]: a SQLite
//! file; [`spawn_app_on`]: either backend, a fresh PostgreSQL database per test), real
//! subscribers ([`TestReceiver`]) and waiting on conditions with deadlines.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use event_gateway::{Application, GatewaySettings};
use http::StatusCode;
use serde_json::{Value, json};
use shared_events::http::reqwest::RequestBuilderExt;
use shared_events::service::shutdown::CancellationToken;
use shared_events::{Event, EventBuilder, EventBuilderV10};

pub use crate::receiver::*;
use crate::testdb::TestDatabase;

/// How long any condition may take before a test fails.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// A running gateway.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// Its database URL (to count what was stored).
    pub database_url: String,
    /// Keeps the database alive as long as the app.
    _database: Database,
    token: CancellationToken,
    handle: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// What keeps a test's database alive.
enum Database {
    Sqlite(#[allow(dead_code)] Arc<tempfile::TempDir>),
    Postgres(#[allow(dead_code)] TestDatabase),
}

/// Which storage backend a test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    /// A fresh SQLite file.
    Sqlite,
    /// A fresh PostgreSQL database; the test's name, to report it skipped without a server.
    Postgres(&'static str),
}

/// Runs each named test, an `async fn(Backend)`, once per backend: as `<name>::sqlite` and
/// `<name>::postgres` (which reports itself skipped without a server, outside CI).
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await;
                }

                #[tokio::test]
                async fn postgres() {
                    super::$name($crate::helpers::Backend::Postgres(concat!(
                        module_path!(),
                        "::postgres"
                    )))
                    .await;
                }
            }
        )*
    };
}
pub(crate) use on_both_backends;

/// A gateway with default settings on a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A gateway with default settings on a fresh database of `backend`; `None` when that backend
/// is not available here (the test has been reported skipped).
pub async fn spawn_app_on(backend: Backend) -> Option<TestApp> {
    match backend {
        Backend::Sqlite => Some(spawn_app().await),
        Backend::Postgres(test) => {
            let db = TestDatabase::create(test).await?;
            let url = db.url.clone();
            Some(spawn_app_at(url, Database::Postgres(db), |_| {}).await)
        }
    }
}

/// A gateway whose settings `tweak` adjusts.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut GatewaySettings)) -> TestApp {
    let dir = Arc::new(tempfile::tempdir().expect("a temp dir"));
    spawn_app_in(dir, tweak).await
}

/// A gateway on the database in `dir` (reused across restarts).
pub async fn spawn_app_in(
    dir: Arc<tempfile::TempDir>,
    tweak: impl FnOnce(&mut GatewaySettings),
) -> TestApp {
    let url = format!("sqlite://{}", dir.path().join("gateway.db").display());
    spawn_app_at(url, Database::Sqlite(dir), tweak).await
}

async fn spawn_app_at(
    url: String,
    database: Database,
    tweak: impl FnOnce(&mut GatewaySettings),
) -> TestApp {
    shared_events::service::telemetry::init_for_tests();
    let mut settings = GatewaySettings::new(SocketAddr::from(([127, 0, 0, 1], 0)), url.clone());
    settings.drain_timeout = "PT2S".parse().expect("a duration");
    tweak(&mut settings);
    let app = Application::build(settings)
        .await
        .expect("the gateway builds");
    let address = format!("http://{}", app.local_addr());
    let token = CancellationToken::new();
    let handle = tokio::spawn(app.run_until_stopped(token.clone()));
    TestApp {
        address,
        client: reqwest::Client::new(),
        database_url: url,
        _database: database,
        token,
        handle,
    }
}

impl TestApp {
    /// Stops the gateway and waits for it to finish.
    pub async fn stop(self) {
        self.token.cancel();
        self.handle
            .await
            .expect("the gateway task")
            .expect("the gateway stops cleanly");
    }

    /// POSTs `event` in binary mode to `/events`.
    pub async fn post_event(&self, event: &Event) -> reqwest::Response {
        let request = self
            .client
            .post(format!("{}/events", self.address))
            .cloudevent(event)
            .expect("encodes");
        request.send().await.expect("the gateway answers")
    }

    /// POSTs `events` as a batch.
    pub async fn post_batch(&self, events: &[Event]) -> reqwest::Response {
        let request = self
            .client
            .post(format!("{}/events", self.address))
            .cloudevent_batch(events)
            .expect("encodes");
        request.send().await.expect("the gateway answers")
    }

    /// POSTs a subscription body; panics unless it is created.
    pub async fn subscribe(&self, body: Value) -> Value {
        let response = self.post_json("/subscriptions", &body).await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "subscription refused: {:?}",
            response.text().await
        );
        response.json().await.expect("JSON")
    }

    /// POSTs JSON to `path`.
    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.address))
            .json(body)
            .send()
            .await
            .expect("the gateway answers")
    }

    /// GETs `path` and reads JSON, asserting 200.
    pub async fn get_json(&self, path: &str) -> Value {
        let response = self
            .client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("the gateway answers");
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.expect("JSON")
    }

    /// How many rows `table` holds (read straight from the database).
    pub async fn count(&self, table: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        if self.database_url.starts_with("sqlite:") {
            let url = format!("{}?mode=ro", self.database_url);
            let pool = sqlx::SqlitePool::connect(&url).await.expect("opens");
            let n = sqlx::query_scalar(&sql)
                .fetch_one(&pool)
                .await
                .expect("counts");
            pool.close().await;
            n
        } else {
            let pool = sqlx::PgPool::connect(&self.database_url)
                .await
                .expect("opens");
            let n = sqlx::query_scalar(&sql)
                .fetch_one(&pool)
                .await
                .expect("counts");
            pool.close().await;
            n
        }
    }

    /// GETs `path` (any status).
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("the gateway answers")
    }

    /// The Prometheus text.
    pub async fn metrics(&self) -> String {
        let response = self
            .client
            .get(format!("{}/metrics", self.address))
            .send()
            .await
            .expect("answers");
        response.text().await.expect("text")
    }

    /// Waits for the subscription's first dead letter and returns its summary.
    pub async fn wait_for_dead_letter(&self, subscription: &str) -> Value {
        let path = format!("/deadletters?subscription={subscription}");
        wait_for(|| async {
            self.get_json(&path).await["deadLetters"]
                .as_array()
                .and_then(|a| a.first().cloned())
        })
        .await
    }
}

/// Polls `probe` until it yields a value, failing after [`DEADLINE`].
pub async fn wait_for<T, F, Fut>(mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "condition not met within {DEADLINE:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A test event of a non-catalog type.
pub fn event(id: &str, ty: &str) -> Event {
    EventBuilderV10::new()
        .id(id)
        .source("/tests")
        .ty(ty)
        .subject("subject-1")
        .data("application/json", json!({"n": id}))
        .build()
        .expect("a valid event")
}
