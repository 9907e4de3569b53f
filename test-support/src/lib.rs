//! Test databases shared by the workspace's test suites: a fresh SQLite file, or a fresh PostgreSQL database created on the server at
//! `TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`) and dropped when
//! the test ends. Without a reachable server the PostgreSQL variants report themselves skipped
//! by name, except under `CI=true`, where they fail.

use sqlx::Connection;
use std::sync::Arc;
use tempfile::TempDir;

/// The storage engine a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A database of its own on the test PostgreSQL server.
    Postgres,
}

/// A database that lives as long as the test.
pub struct TestDatabase {
    /// Its URL.
    pub url: String,
    _dir: Option<Arc<TempDir>>,
    drop_on: Option<(String, String)>,
}

fn server_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

impl TestDatabase {
    /// A fresh database on `backend`; `None` when PostgreSQL is unreachable outside CI.
    ///
    /// # Panics
    /// Under `CI=true` when PostgreSQL is unreachable, or when the server refuses to create the
    /// database.
    pub async fn create(backend: Backend, test: &str) -> Option<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                Some(Self {
                    url,
                    _dir: Some(Arc::new(dir)),
                    drop_on: None,
                })
            }
            Backend::Postgres => {
                let admin = server_url();
                let connected = tokio::time::timeout(
                    std::time::Duration::from_secs(5),
                    sqlx::PgConnection::connect(&admin),
                )
                .await
                .map_err(|_| "timed out".to_owned())
                .and_then(|c| c.map_err(|e| e.to_string()));
                let mut connection = match connected {
                    Ok(connection) => connection,
                    Err(error) if std::env::var("CI").is_ok_and(|v| v == "true") => {
                        panic!("{test}: PostgreSQL at {admin} is required under CI: {error}")
                    }
                    Err(error) => {
                        eprintln!("SKIPPED {test}: no PostgreSQL at {admin} ({error})");
                        return None;
                    }
                };
                let name = format!("test_{}", uuid::Uuid::now_v7().simple());
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut connection)
                    .await
                    .expect("create database");
                let mut url = url::Url::parse(&admin).expect("TEST_DATABASE_URL is a URL");
                url.set_path(&name);
                Some(Self {
                    url: url.to_string(),
                    _dir: None,
                    drop_on: Some((admin, name)),
                })
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin, name)) = self.drop_on.take() else {
            return;
        };
        // Drop runs outside any runtime guarantee: use a thread with its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                if let Ok(mut connection) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut connection)
                        .await;
                }
            });
        })
        .join();
    }
}

/// Instantiates an `async fn name(backend: Backend)` test once per backend, as
/// `name::on_sqlite` and `name::on_postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn on_sqlite() {
                    super::$name($crate::Backend::Sqlite).await;
                }

                #[tokio::test]
                async fn on_postgres() {
                    super::$name($crate::Backend::Postgres).await;
                }
            }
        )*
    };
}
