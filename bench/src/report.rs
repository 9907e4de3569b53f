//! Rendering: the results table (Markdown, which also reads well in a terminal) and the whole
//! `BENCHMARKS.md` document around it.

use std::fmt::Write as _;

use crate::figures::Results;
use crate::machine::Machine;

/// The results as a Markdown table: figure, median, min, max, runs, unit, target, the median
/// against the target, and notes (a share of a reference figure). A figure without samples shows
/// `—` (its scenario did not run or failed).
pub fn render_table(results: &Results) -> String {
    let mut out = String::from(
        "| figure | median | min | max | runs | unit | target | vs target | notes |\n\
         |---|--:|--:|--:|--:|---|---|---|---|\n",
    );
    for spec in results.specs() {
        let unit = spec.unit;
        let target = spec.target.map_or_else(String::new, |t| t.describe(unit));
        let Some(summary) = results.summary(&spec.id) else {
            let _ = writeln!(
                out,
                "| {} | — | — | — | 0 | {} | {target} |  |  |",
                spec.label,
                unit.label()
            );
            continue;
        };
        let verdict = spec
            .target
            .map_or_else(String::new, |t| t.verdict(summary.median));
        let note = spec
            .relative
            .as_ref()
            .and_then(|r| {
                let reference = results.summary(&r.to)?.median / r.divisor;
                (reference > 0.0).then(|| {
                    format!(
                        "{:.0} % of {} ({})",
                        100.0 * summary.median / reference,
                        r.label,
                        unit.format(reference)
                    )
                })
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {target} | {verdict} | {note} |",
            spec.label,
            unit.format(summary.median),
            unit.format(summary.min),
            unit.format(summary.max),
            summary.runs,
            unit.label(),
        );
    }
    out
}

/// How the run was configured, as the report states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunDescription {
    /// The command line that produced the report.
    pub command: String,
    /// Settings worth stating (`runs 3, concurrency 64, …`).
    pub settings: String,
    /// Whether this was a `--quick` smoke run (its figures mean little).
    pub quick: bool,
}

/// The whole `BENCHMARKS.md`: the machine, how loaded it was (`load`), the run, the table and
/// every check.
pub fn render_document(
    machine: &Machine,
    load: &str,
    run: &RunDescription,
    results: &Results,
) -> String {
    let mut out = String::from("# Benchmarks\n\n");
    if run.quick {
        out.push_str(
            "**Quick mode: a smoke test with tiny sizes and one run each; the figures mean \
             nothing.**\n\n",
        );
    }
    out.push_str(
        "Produced by the `bench` workspace member in one run on one machine; \
         [docs/benchmarks.md](docs/benchmarks.md) explains each figure and the method. Each \
         figure is the median of the runs, with the smallest and largest beside it.\n\n",
    );
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| date | {} |", machine.date);
    let _ = writeln!(out, "| commit | `{}` |", machine.commit);
    let _ = writeln!(
        out,
        "| CPU | {} cores, {} |",
        machine.cores, machine.cpu_model
    );
    let _ = writeln!(out, "| memory | {:.1} GiB |", machine.memory_gib);
    let _ = writeln!(out, "| kernel | {} |", machine.kernel);
    let _ = writeln!(out, "| machine load (load average 1/5/15 min) | {load} |");
    let _ = writeln!(out, "| command | `{}` |", run.command);
    let _ = writeln!(out, "| settings | {} |", run.settings);
    out.push_str("\n## Results\n\n");
    out.push_str(&render_table(results));
    out.push_str("\n## Checks\n\n");
    for check in &results.checks {
        let _ = writeln!(out, "- {check}");
    }
    if !results.failures.is_empty() {
        out.push_str("\n## Failures\n\n");
        for failure in &results.failures {
            let _ = writeln!(out, "- {failure}");
        }
    }
    out
}
