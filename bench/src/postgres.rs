//! The PostgreSQL side of the bench: a fresh database per run (created on the `--postgres-url`
//! server, dropped when the run ends) and the table sizes a gateway left in it.

use anyhow::Context as _;
use sqlx::{Connection as _, Executor as _, PgConnection, Row as _};

use crate::figures::thousands;

/// A database created for one run.
#[derive(Debug)]
pub struct TempDatabase {
    admin_url: String,
    name: String,
    /// Its URL, for the children.
    pub url: String,
}

impl TempDatabase {
    /// Creates `bench_<label>_<random>` on the server of `admin_url`.
    ///
    /// # Errors
    /// When the server cannot be reached or refuses.
    pub async fn create(admin_url: &str, label: &str) -> anyhow::Result<Self> {
        let mut admin = connect(admin_url).await?;
        let name = format!(
            "bench_{}_{}",
            label.replace('-', "_"),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .with_context(|| format!("creating database {name}"))?;
        let mut url = reqwest::Url::parse(admin_url).context("--postgres-url")?;
        url.set_path(&name);
        Ok(Self {
            admin_url: admin_url.to_owned(),
            name,
            url: url.to_string(),
        })
    }

    /// Drops it (ending any session still connected).
    ///
    /// # Errors
    /// When the server refuses.
    pub async fn remove(self) -> anyhow::Result<()> {
        let mut admin = connect(&self.admin_url).await?;
        admin
            .execute(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name).as_str())
            .await
            .with_context(|| format!("dropping database {}", self.name))?;
        Ok(())
    }

    /// The tables, largest first: rows (counted), dead rows (the statistics' estimate), total
    /// size with indexes and TOAST, and the indexes' share. Read after the gateways stopped, so
    /// their sessions have flushed their statistics.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn table_sizes(&self) -> anyhow::Result<String> {
        let mut connection = connect(&self.url).await?;
        let rows = sqlx::query(
            "SELECT s.relname::text AS name, s.n_dead_tup,
                    pg_total_relation_size(s.relid) AS total, pg_indexes_size(s.relid) AS indexes
               FROM pg_stat_user_tables s
              WHERE s.relname NOT LIKE '\\_sqlx%'
              ORDER BY total DESC, name",
        )
        .fetch_all(&mut connection)
        .await
        .context("reading pg_stat_user_tables")?;
        let mut tables = Vec::with_capacity(rows.len());
        for row in &rows {
            let name: String = row.get("name");
            let count: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM \"{name}\""))
                .fetch_one(&mut connection)
                .await?;
            let (dead, total, indexes): (i64, i64, i64) =
                (row.get("n_dead_tup"), row.get("total"), row.get("indexes"));
            tables.push(format!(
                "{name} {} rows ({} dead), {} with {} of indexes",
                thousands(count),
                thousands(dead),
                size(total),
                size(indexes)
            ));
        }
        Ok(tables.join("; "))
    }
}

/// A connection to `url`, with a hint when there is no server.
///
/// # Errors
/// When it cannot connect.
pub async fn connect(url: &str) -> anyhow::Result<PgConnection> {
    PgConnection::connect(url).await.with_context(|| {
        format!(
            "no PostgreSQL at {url} (--postgres-url; --no-postgres leaves the Postgres column out)"
        )
    })
}

fn size(bytes: i64) -> String {
    let bytes = bytes as f64;
    if bytes >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", bytes / (1024.0 * 1024.0))
    } else {
        format!("{:.0} KiB", bytes / 1024.0)
    }
}
