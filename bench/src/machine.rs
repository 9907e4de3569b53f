//! Facts about the machine and the checkout (cores, memory, kernel, commit, date, load) and the
//! per-process figures read from `/proc` (peak RSS, CPU time).

use std::path::Path;
use std::process::Command;

/// What the report says about where it ran.
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    /// Logical CPUs this process may use.
    pub cores: usize,
    /// `model name` from `/proc/cpuinfo`.
    pub cpu_model: String,
    /// `MemTotal` from `/proc/meminfo`, in GiB.
    pub memory_gib: f64,
    /// The kernel release.
    pub kernel: String,
    /// `git rev-parse HEAD`, with `+uncommitted changes` when the work tree differs.
    pub commit: String,
    /// When the run started (UTC, RFC 3339).
    pub date: String,
}

impl Machine {
    /// Reads the facts; anything unreadable becomes `unknown`.
    pub fn detect(workspace: &Path) -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map_or_else(|| "unknown CPU".to_owned(), |(_, v)| v.trim().to_owned());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_gib = meminfo_kib(&meminfo, "MemTotal").unwrap_or(0) as f64 / 1024.0 / 1024.0;
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map_or_else(|_| "unknown".to_owned(), |k| format!("Linux {}", k.trim()));
        Self {
            cores: std::thread::available_parallelism().map_or(0, usize::from),
            cpu_model,
            memory_gib,
            kernel,
            commit: git_commit(workspace),
            date: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }
}

/// A `Key:   123 kB` line of `/proc/meminfo` or `/proc/<pid>/status`, in KiB.
pub fn meminfo_kib(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

fn git_commit(workspace: &Path) -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(workspace)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let Some(head) = git(&["rev-parse", "HEAD"]) else {
        return "unknown (not a git checkout)".to_owned();
    };
    match git(&["status", "--porcelain", "--untracked-files=no"]) {
        Some(changes) if !changes.is_empty() => format!("{head} + uncommitted changes"),
        _ => head,
    }
}

/// `/proc/loadavg`'s first three fields: `6.85 6.41 6.42`.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// Clock ticks per second for `/proc/<pid>/stat` times (`getconf CLK_TCK`, 100 if unknown).
pub fn clock_ticks_per_second() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .filter(|&t| t > 0)
        .unwrap_or(100)
}

/// A process's peak resident set (`VmHWM`), in KiB.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    meminfo_kib(&status, "VmHWM")
}

/// A process's CPU time so far (`utime + stime` of `/proc/<pid>/stat`), in clock ticks.
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat_cpu_ticks(&stat)
}

/// `utime + stime` from the text of `/proc/<pid>/stat`. The command name (field 2) may hold
/// spaces and parentheses, so fields are counted after its closing `)`.
pub fn parse_stat_cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    // After the name: state is field 3, so utime (14) and stime (15) are the 12th and 13th.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Busy CPU time of the whole machine so far (`/proc/stat`'s first line: everything but idle
/// and iowait), in clock ticks.
pub fn machine_busy_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    parse_proc_stat_busy(stat.lines().next()?)
}

/// Busy ticks from the `cpu  user nice system idle iowait irq softirq steal …` line.
pub fn parse_proc_stat_busy(line: &str) -> Option<u64> {
    let fields: Vec<u64> = line
        .strip_prefix("cpu ")?
        .split_whitespace()
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    let total: u64 = fields.iter().take(8).sum();
    let idle = fields.get(3)? + fields.get(4)?;
    Some(total - idle)
}

/// This process's CPU time plus that of its reaped children (`utime + stime + cutime +
/// cstime`), in clock ticks.
pub fn own_and_reaped_children_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14-17 of stat are the 12th-15th after the name.
    fields
        .get(11..15)?
        .iter()
        .map(|f| f.parse::<u64>().ok())
        .sum()
}

/// Machine CPU use between two points, split into the bench's share and everyone else's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuShare {
    busy: u64,
    ours: u64,
}

impl CpuShare {
    /// A snapshot now (after every child of the bench was reaped, `ours` covers them too).
    pub fn now() -> Self {
        Self {
            busy: machine_busy_ticks().unwrap_or(0),
            ours: own_and_reaped_children_ticks().unwrap_or(0),
        }
    }

    /// `(machine busy, the bench and its children, other processes)` in cores, from `self` to
    /// `later` over `seconds`.
    pub fn cores_until(&self, later: &Self, clock_ticks: u64, seconds: f64) -> (f64, f64, f64) {
        let per = |ticks: u64| ticks as f64 / clock_ticks as f64 / seconds.max(1e-9);
        let busy = later.busy.saturating_sub(self.busy);
        let ours = later.ours.saturating_sub(self.ours).min(busy);
        (per(busy), per(ours), per(busy - ours))
    }
}
