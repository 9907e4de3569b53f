//! Fresh PostgreSQL databases for tests, from `test-support`: each test creates its own database
//! on the server `TEST_DATABASE_URL` names and drops it when done; without a reachable server a
//! test reports itself skipped by name, unless `CI=true`. Shared by the unit tests and the API
//! tests (`#[path]`-included there).

/// A PostgreSQL database that exists until this is dropped.
pub struct TestDatabase {
    /// Its URL, for the gateway.
    pub url: String,
    _database: test_support::TestDatabase,
}

impl TestDatabase {
    /// Creates a fresh database for the test `test`, or answers `None` when it is skipped.
    ///
    /// # Panics
    /// When `CI=true` and the server cannot be reached, or the database cannot be created.
    pub async fn create(test: &str) -> Option<Self> {
        let database =
            test_support::TestDatabase::create(test_support::Backend::Postgres, test).await?;
        Some(Self {
            url: database.url.clone(),
            _database: database,
        })
    }
}
