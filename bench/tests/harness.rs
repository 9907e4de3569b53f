//! The harness's pure parts: percentile math, run summaries, table rendering and parsing of
//! `/proc`. No timings are asserted anywhere.

use bench::event::{IdScheme, bench_event};
use bench::figures::{FigureSpec, Results, Target, Unit, thousands};
use bench::machine::{meminfo_kib, parse_stat_cpu_ticks};
use bench::report::render_table;
use bench::stats::{LatencyPercentiles, Summary, percentile};

#[test]
fn nearest_rank_percentiles_are_observed_values() {
    let sample: Vec<u64> = (1..=1000).collect();
    assert_eq!(percentile(&sample, 50.0), Some(500));
    assert_eq!(percentile(&sample, 99.0), Some(990));
    assert_eq!(percentile(&sample, 99.9), Some(999));
    assert_eq!(percentile(&sample, 100.0), Some(1000));
    assert_eq!(percentile(&sample, 0.0), Some(1));
    assert_eq!(percentile(&[7], 99.9), Some(7));
    assert_eq!(percentile(&[], 50.0), None);
}

#[test]
fn latency_percentiles_sort_their_sample_first() {
    let p = LatencyPercentiles::of(vec![5, 1, 4, 2, 3]).expect("a sample");
    assert_eq!((p.p50, p.p99, p.p999, p.max), (3, 5, 5, 5));
    assert!(LatencyPercentiles::of(Vec::new()).is_none());
}

#[test]
fn a_summary_is_the_median_with_min_and_max() {
    let odd = Summary::of(&[30.0, 10.0, 20.0]).expect("values");
    assert_eq!(
        (odd.median, odd.min, odd.max, odd.runs),
        (20.0, 10.0, 30.0, 3)
    );
    let even = Summary::of(&[4.0, 1.0, 3.0, 2.0]).expect("values");
    assert_eq!(even.median, 2.5);
    let with_nan = Summary::of(&[f64::NAN, 5.0]).expect("values");
    assert_eq!((with_nan.median, with_nan.runs), (5.0, 1));
    assert!(Summary::of(&[]).is_none());
}

#[test]
fn rates_read_with_thousands_separators() {
    assert_eq!(thousands(0), "0");
    assert_eq!(thousands(999), "999");
    assert_eq!(thousands(1000), "1,000");
    assert_eq!(thousands(-1_234_567), "-1,234,567");
    assert_eq!(Unit::PerSecond("events/s").format(12_345.6), "12,346");
    assert_eq!(Unit::Millis.format(3.456), "3.46");
}

#[test]
fn the_table_shows_median_min_max_target_and_share_of_the_floor() {
    let mut results = Results::default();
    results.declare(FigureSpec::new(
        "floor",
        "HTTP floor",
        Unit::PerSecond("requests/s"),
    ));
    results.declare(
        FigureSpec::new("k1", "fan-out K=1", Unit::PerSecond("events/s"))
            .with_target(Target::AtLeast(8_000.0))
            .relative_to("floor", 2.0, "floor/2"),
    );
    results.declare(FigureSpec::new("p99", "p99", Unit::Millis).with_target(Target::Below(20.0)));
    results.declare(FigureSpec::new("never", "did not run", Unit::Mebibytes));
    for v in [40_000.0, 38_000.0, 42_000.0] {
        results.record("floor", v);
    }
    for v in [9_200.0, 10_000.0, 8_500.0] {
        results.record("k1", v);
    }
    results.record("p99", 25.0);

    let table = render_table(&results);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 6, "{table}");
    assert!(lines[0].starts_with("| figure | median | min | max |"));
    assert_eq!(
        lines[2],
        "| HTTP floor | 40,000 | 38,000 | 42,000 | 3 | requests/s |  |  |  |"
    );
    assert_eq!(
        lines[3],
        "| fan-out K=1 | 9,200 | 8,500 | 10,000 | 3 | events/s | ≥ 8,000 | 1.15× ✓ | 46 % of floor/2 (20,000) |"
    );
    assert_eq!(
        lines[4],
        "| p99 | 25.0 | 25.0 | 25.0 | 1 | ms | < 20.0 | 1.25× ✗ |  |"
    );
    assert_eq!(lines[5], "| did not run | — | — | — | 0 | MiB |  |  |  |");
}

#[test]
fn proc_figures_are_parsed_even_with_odd_process_names() {
    let stat = "4242 (event gw) (x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 \
                150 25 0 0 20 0 9 0 12345 100000000 2000";
    assert_eq!(parse_stat_cpu_ticks(stat), Some(175));
    let status = "Name:\tevent-gateway\nVmPeak:\t  200000 kB\nVmHWM:\t   51200 kB\n";
    assert_eq!(meminfo_kib(status, "VmHWM"), Some(51_200));
    assert_eq!(meminfo_kib(status, "VmRSS"), None);
}

#[test]
fn event_ids_carry_their_sequence_number() {
    let ids = IdScheme::new();
    let id = ids.id(123_456);
    assert_eq!(id.len(), 36);
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    assert_eq!(ids.seq(&id), Some(123_456));
    assert_eq!(IdScheme::new().seq(&id), None);
}

#[test]
fn the_bench_event_is_about_450_bytes_as_structured_json() {
    let json = serde_json::to_vec(&bench_event(&IdScheme::new(), 42)).expect("serialisable");
    assert!((400..=500).contains(&json.len()), "{} bytes", json.len());
}

#[test]
fn machine_busy_time_leaves_out_idle_and_iowait() {
    let line = "cpu  100 5 50 1000 20 3 2 1 0 0";
    assert_eq!(bench::machine::parse_proc_stat_busy(line), Some(161));
    assert_eq!(bench::machine::parse_proc_stat_busy("cpu0 1 2 3 4"), None);
}

#[test]
fn the_postgres_column_is_named_by_backend_and_replicas() {
    use bench::gateways::Backend;
    let one = Backend::Postgres { replicas: 1 };
    let two = Backend::Postgres { replicas: 2 };
    assert_eq!(Backend::Sqlite.scenario("fanout-k1"), "fanout-k1");
    assert_eq!(one.scenario("fanout-k1"), "pg-fanout-k1");
    assert_eq!(two.scenario("fanout-k1"), "pg-fanout-k1-x2");
    assert_eq!(
        Backend::Sqlite.figure("fanout.k1.events"),
        "fanout.k1.events"
    );
    assert_eq!(two.figure("fanout.k1.events"), "pg.x2.fanout.k1.events");
    let names: Vec<String> = bench::scenario::all().iter().map(|s| s.name()).collect();
    let postgres: Vec<&String> = names
        .iter()
        .filter(|n| bench::scenario::needs_postgres(n))
        .collect();
    assert_eq!(
        postgres,
        [
            "pg-floor",
            "pg-ingest",
            "pg-fanout-k1",
            "pg-fanout-k4",
            "pg-fanout-k1-x2",
            "pg-fanout-k4-x2"
        ]
    );
    let unique: std::collections::BTreeSet<&String> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "scenario names are unique");
}
