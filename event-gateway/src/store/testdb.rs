//! Fresh PostgreSQL databases for tests: each test creates its own database on the server that
//! `TEST_DATABASE_URL` names (default `postgres://postgres@127.0.0.1:5432/postgres`) and drops
//! it when done. Without a reachable server a test reports itself skipped by name — unless
//! `CI=true`, where PostgreSQL is required and its absence fails the test. Shared by the unit
//! tests and the API tests (`#[path]`-included there).

use std::time::Duration;

use sqlx::Connection as _;

/// The server tests create their databases on.
fn server() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database that exists until this is dropped.
pub struct TestDatabase {
    /// Its URL, for the gateway.
    pub url: String,
    name: String,
}

impl TestDatabase {
    /// Creates a fresh database for the test `test`, or — when no server answers and `CI` is
    /// not `true` — prints `SKIPPED <test>: …` and answers `None`.
    ///
    /// # Panics
    /// When `CI=true` and the server cannot be reached, or the database cannot be created.
    pub async fn create(test: &str) -> Option<Self> {
        let server = server();
        let connected =
            tokio::time::timeout(Duration::from_secs(5), sqlx::PgConnection::connect(&server))
                .await
                .map_err(|_| "timed out".to_owned())
                .and_then(|c| c.map_err(|e| e.to_string()));
        let mut admin = match connected {
            Ok(admin) => admin,
            Err(error) if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
                panic!("CI=true requires PostgreSQL at {server} (TEST_DATABASE_URL): {error}")
            }
            Err(error) => {
                eprintln!("SKIPPED {test}: no PostgreSQL at {server}: {error}");
                return None;
            }
        };
        let name = format!("gateway_test_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("the test database is created");
        let _ = admin.close().await;
        let mut url = url::Url::parse(&server).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&name);
        Some(Self {
            url: url.to_string(),
            name,
        })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop has no async: a thread with its own runtime drops the database (forcing off any
        // connection a test left open, such as a killed child's).
        let (server, name) = (server(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                if let Ok(mut admin) = sqlx::PgConnection::connect(&server).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut admin)
                        .await;
                    let _ = admin.close().await;
                }
            });
        });
        let _ = dropped.join();
    }
}
