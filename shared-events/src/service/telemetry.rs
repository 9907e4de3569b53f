//! Logging set-up: `tracing` to stderr, filtered by `RUST_LOG` (default `info`), JSON lines when
//! `LOG_FORMAT=json`. Tests call [`init_for_tests`], which stays quiet unless `TEST_LOG` is set.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber for a binary. Calling it twice is harmless.
pub fn init(default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if std::env::var("LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Installs a subscriber for tests: silent unless `TEST_LOG` is set, then like [`init`] at
/// `debug`.
pub fn init_for_tests() {
    if std::env::var_os("TEST_LOG").is_some() {
        init("debug");
    }
}
