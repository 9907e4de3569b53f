//! `cectl replay`: sends a subscription the retained events of a time range again. Counts
//! them first (a dry run), asks before going on, starts the gateway's replay job and follows
//! it to the end: a progress bar on a terminal, plain lines otherwise. Ctrl-C detaches: the
//! job goes on in the gateway.

use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{Value, json};

use crate::Context;
use crate::client::{GatewayClient, Job, ReplayRange};
use crate::exit::{Exit, Failure, Outcome};
use crate::output::{Format, Output, warn};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "\
Examples:
  cectl replay --subscription payments --since 1h
  cectl replay --subscription payments --since 2025-06-01T00:00:00Z --until 2025-06-02T00:00:00Z
  cectl replay --subscription payments --since earliest --filter \"type = 'com.example.order.paid.v1'\" --yes
  cectl replay --subscription payments --since 30m --dry-run

--since and --until take a duration back from now (90s, 30m, 1h, 2d), an RFC 3339 time or an
event's cursor; --since also takes `earliest`, and --until defaults to the newest event.
Replayed events keep their id and carry a `replayid` extension naming the job.
Without --yes the count is confirmed on the terminal; with stdin not a terminal, --yes is
required. Ctrl-C while following detaches (the job goes on: `cectl jobs get ID`).

Exit codes: 0 replayed (or nothing to replay, or detached), 1 an error, the job failed or was
cancelled, or the confirmation was declined, 2 usage (no --yes without a terminal), 4 no such
subscription.";

/// How often a followed job is read.
const POLL: Duration = Duration::from_millis(400);
/// How often plain progress lines may be printed.
const LINE_EVERY: Duration = Duration::from_secs(1);

/// Arguments of `cectl replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The subscription to replay to
    #[arg(long, value_name = "ID")]
    pub subscription: String,
    /// The oldest events: a duration back from now (1h), an RFC 3339 time, a cursor or earliest
    #[arg(long, value_name = "WHEN")]
    pub since: String,
    /// The newest events: a duration back from now, an RFC 3339 time or a cursor [default: now]
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,
    /// Only the events this CESQL expression selects (besides the subscription's filters)
    #[arg(long, value_name = "CESQL")]
    pub filter: Option<String>,
    /// Do not ask for confirmation
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Start the job and print it without following it
    #[arg(long)]
    pub detach: bool,
    /// Only count the events that would be replayed
    #[arg(long, conflicts_with_all = ["yes", "detach"])]
    pub dry_run: bool,
}

/// A `--since`/`--until` value as the gateway takes it: a duration becomes the time that long
/// ago; anything else (a time, a cursor, `earliest`) is passed on for the gateway to check.
pub fn bound(text: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    let text = text.trim();
    match super::parse_duration(text) {
        Ok(ago) => {
            let ago = chrono::Duration::from_std(ago).unwrap_or(chrono::Duration::MAX);
            let at = now
                .checked_sub_signed(ago)
                .unwrap_or(chrono::DateTime::UNIX_EPOCH);
            at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        }
        Err(_) => text.to_owned(),
    }
}

/// Runs the command.
///
/// # Errors
/// A [`Failure`] as the exit codes in [`EXAMPLES`] say.
pub async fn run(args: &ReplayArgs, cx: &Context) -> Outcome {
    let format = cx.out.data_format()?;
    let client = cx.client()?;
    let now = chrono::Utc::now();
    let range = ReplayRange {
        from: Some(bound(&args.since, now)),
        to: args.until.as_deref().map(|u| bound(u, now)),
        filter: args.filter.clone(),
    };
    let sub = &args.subscription;
    let count = client.replay_count(sub, &range).await?;
    warn(format_args!(
        "{count} event(s) to replay to `{sub}` (from {}{})",
        range.from.as_deref().unwrap_or("earliest"),
        range
            .to
            .as_deref()
            .map(|t| format!(" to {t}"))
            .unwrap_or_default()
    ));
    if args.dry_run || count == 0 {
        match format {
            Format::Table => println!("{count}"),
            _ => cx
                .out
                .print_value(&json!({"subscription": sub, "count": count, "job": null})),
        }
        return Ok(Exit::Ok);
    }
    if !args.yes {
        confirm(count, sub)?;
    }
    let job = client.start_replay(sub, &range).await?;
    warn(format_args!("started job {}", job.id));
    if args.detach {
        print_job(cx.out, count, &job);
        return Ok(Exit::Ok);
    }
    let id = job.id.clone();
    let mut progress = Progress::new(job.total.unwrap_or(count));
    let followed = tokio::select! {
        job = follow(&client, job, &mut progress) => Some(job?),
        _ = tokio::signal::ctrl_c() => None,
    };
    progress.finish();
    let Some(job) = followed else {
        warn(format_args!(
            "detached: job {id} goes on in the gateway (cectl jobs get {id}; cectl jobs cancel {id})"
        ));
        let job = client.job(&id).await?;
        print_job(cx.out, count, &job);
        return Ok(Exit::Ok);
    };
    print_job(cx.out, count, &job);
    match job.status.as_str() {
        "completed" => Ok(Exit::Ok),
        other => Err(Failure::error(format!(
            "job {id} {other} after {} of {}{}",
            job.done,
            job.total_text(),
            job.raw
                .get("error")
                .and_then(Value::as_str)
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        ))),
    }
}

/// Asks on the terminal; refuses without one.
fn confirm(count: u64, sub: &str) -> Result<(), Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::usage(format!(
            "not replaying {count} event(s) without confirmation: stdin is not a terminal, \
             pass --yes"
        )));
    }
    anstream::eprint!("Replay {count} event(s) to `{sub}`? [y/N] ");
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Failure::error(format!("reading the answer: {e}")))?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err(Failure::error("not replayed"))
    }
}

/// Reads the job until it is no longer running.
async fn follow(
    client: &GatewayClient,
    mut job: Job,
    progress: &mut Progress,
) -> Result<Job, Failure> {
    loop {
        progress.show(&job);
        if !job.is_running() {
            return Ok(job);
        }
        tokio::time::sleep(POLL).await;
        job = client.job(&job.id).await?;
    }
}

fn print_job(out: Output, count: u64, job: &Job) {
    match out.format {
        Format::Table => println!(
            "job {} {}: {} of {} delivered or dead-lettered",
            job.id,
            job.status,
            job.done,
            job.total_text()
        ),
        _ => out.print_value(&json!({"count": count, "job": job.raw})),
    }
}

/// Progress on stderr: an indicatif bar on a terminal, otherwise a line when something
/// changed (at most one a second, and always the last).
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    last: Option<(String, u64, Option<u64>)>,
    printed: Option<Instant>,
}

impl Progress {
    fn new(total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total);
            let style = indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Self {
            bar,
            last: None,
            printed: None,
        }
    }

    fn show(&mut self, job: &Job) {
        if let Some(bar) = &self.bar {
            bar.set_length(job.total.unwrap_or(job.done));
            bar.set_position(job.done);
            bar.set_message(job.status.clone());
            return;
        }
        let now = (job.status.clone(), job.done, job.total);
        let changed = self.last.as_ref() != Some(&now);
        let due = self.printed.is_none_or(|t| t.elapsed() >= LINE_EVERY);
        if changed && (due || !job.is_running()) {
            warn(format_args!(
                "job {}: {}/{} {}",
                job.id,
                job.done,
                job.total_text(),
                job.status
            ));
            self.last = Some(now);
            self.printed = Some(Instant::now());
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duration_is_a_time_that_long_ago_and_anything_else_passes_through() {
        let now = chrono::DateTime::parse_from_rfc3339("2025-06-01T12:00:00Z")
            .expect("a time")
            .to_utc();
        assert_eq!(bound("1h", now), "2025-06-01T11:00:00.000Z");
        assert_eq!(bound("90s", now), "2025-06-01T11:58:30.000Z");
        assert_eq!(bound("2d", now), "2025-05-30T12:00:00.000Z");
        for passed in ["earliest", "2025-01-01T00:00:00Z", "AAAAAAAAAAAAAAAAAAAAAA"] {
            assert_eq!(bound(passed, now), passed);
        }
    }
}
