//! One bench run: resolve the plan, find the binaries, run each selected scenario the planned
//! number of times, then print the table and write the report.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;

use crate::children::{Binaries, ChildRegistry};
use crate::context::Context;
use crate::figures::{FigureSpec, Results, Target, Unit};
use crate::machine::{self, Machine};
use crate::report::{RunDescription, render_document, render_table};
use crate::scenario::{self, Scenario};
use crate::settings::{BenchSettings, Plan};

/// The figure id of the gateway's peak RSS (the largest of any gateway in a run).
pub const GATEWAY_RSS: &str = "gateway.rss";

/// Runs the bench; returns the results (with their failures) after writing the report.
///
/// # Errors
/// When the binaries cannot be found or built, or the report cannot be written.
pub async fn run(settings: BenchSettings) -> anyhow::Result<Results> {
    let workspace = workspace_root();
    let plan = Plan::from_settings(&settings);
    let load_before = machine::load_average();
    let machine = Machine::detect(&workspace);
    let binaries = {
        let (dir, no_build, ws) = (
            settings.bin_dir.clone(),
            settings.no_build,
            workspace.clone(),
        );
        tokio::task::spawn_blocking(move || Binaries::locate(dir, no_build, &ws)).await??
    };
    let scratch = tempfile::Builder::new()
        .prefix("bench-")
        .tempdir()
        .context("creating the scratch directory")?;
    let children = ChildRegistry::default();
    children.kill_on_panic_and_signals();
    if !settings.keep_temp {
        children.remove_on_interrupt(scratch.path().to_path_buf());
    }
    let client = reqwest::Client::builder()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(plan.concurrency.max(plan.max_in_flight))
        .timeout(Duration::from_secs(30))
        .build()
        .context("building the HTTP client")?;
    let context = Context {
        plan: plan.clone(),
        client,
        binaries,
        children: children.clone(),
        scratch: scratch.path().to_path_buf(),
        clock_ticks: machine::clock_ticks_per_second(),
    };
    let scenarios: Vec<Box<dyn Scenario>> = scenario::all()
        .into_iter()
        .filter(|s| selected(&settings.only, &s.name()))
        .filter(|s| plan.postgres.is_some() || !scenario::needs_postgres(&s.name()))
        .collect();
    eprintln!(
        "bench: {} scenario(s), {}; load average {load_before}",
        scenarios.len(),
        plan.describe()
    );
    let cpu_start = machine::CpuShare::now();
    let wall_start = std::time::Instant::now();
    let mut results = Results::default();
    let mut peak_rss = vec![f64::NAN; plan.runs];
    for scenario in &scenarios {
        for spec in scenario.figures(&plan) {
            results.declare(spec);
        }
        for run in 1..=plan.runs {
            eprintln!("bench: {} run {run}/{} …", scenario.name(), plan.runs);
            match scenario.run_once(&context, &results, run).await {
                Ok(outcome) => {
                    for (id, value) in &outcome.samples {
                        results.record(id, *value);
                        eprintln!("bench:   {id} = {value:.2}");
                    }
                    if let Some(rss) = outcome.gateway_peak_rss_mib {
                        let slot = &mut peak_rss[run - 1];
                        *slot = if slot.is_nan() { rss } else { slot.max(rss) };
                    }
                    for line in &outcome.failures {
                        eprintln!("bench:   FAILED {line}");
                    }
                    results.checks.extend(outcome.checks);
                    results.failures.extend(outcome.failures);
                }
                Err(error) => {
                    let line = format!("{} run {run}: could not run: {error:#}", scenario.name());
                    eprintln!("bench:   FAILED {line}");
                    results.failures.push(line);
                }
            }
        }
    }
    results.declare(
        FigureSpec::new(
            GATEWAY_RSS,
            "gateway peak RSS (VmHWM), largest of the run's gateways",
            Unit::Mebibytes,
        )
        .with_target(Target::Below(100.0)),
    );
    for rss in peak_rss.into_iter().filter(|r| !r.is_nan()) {
        results.record(GATEWAY_RSS, rss);
    }
    children.kill_all();
    let load_after = machine::load_average();
    let (busy, ours, others) = cpu_start.cores_until(
        &machine::CpuShare::now(),
        context.clock_ticks,
        wall_start.elapsed().as_secs_f64(),
    );
    let cpu_line = format!(
        "{busy:.2} of {} cores busy on average: the bench and its children {ours:.2}, other \
         processes {others:.2}",
        machine.cores
    );
    eprintln!("bench: machine CPU during the run: {cpu_line}");

    let table = render_table(&results);
    println!("\n{table}");
    let output = settings.output.clone().unwrap_or_else(|| {
        if plan.quick {
            workspace.join("target").join("BENCHMARKS.quick.md")
        } else {
            workspace.join("BENCHMARKS.md")
        }
    });
    let description = RunDescription {
        command: command_line(),
        settings: plan.describe(),
        quick: plan.quick,
    };
    let load = format!("before {load_before}; after {load_after}; {cpu_line}");
    let document = render_document(&machine, &load, &description, &results);
    if let Some(parent) = output.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&output, document).with_context(|| format!("writing {}", output.display()))?;
    eprintln!(
        "bench: wrote {}; load average before {load_before}, after {load_after}",
        output.display()
    );
    if settings.keep_temp {
        eprintln!("bench: kept {}", scratch.keep().display());
    }
    Ok(results)
}

/// Whether scenario `name` is selected by `--only` (empty: all; otherwise any prefix matches).
pub fn selected(only: &[String], name: &str) -> bool {
    only.is_empty() || only.iter().any(|o| name.starts_with(o.trim()))
}

fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut line = "cargo run --release -p bench".to_owned();
    if !args.is_empty() {
        line.push_str(" -- ");
        line.push_str(&args.join(" "));
    }
    line
}
