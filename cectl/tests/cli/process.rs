//! `cectl` commands that keep running (`tail`, `listen`, `receive`, a followed `replay`) as
//! child processes: their stdout and stderr read line by line as they come, waited on with
//! deadlines, interrupted with SIGINT as Ctrl-C would, killed when dropped.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::helpers::{DEADLINE, workspace};

/// A running `cectl`.
pub struct Running {
    child: Child,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
    /// Every stderr line read so far.
    pub stderr_seen: Vec<String>,
}

fn lines(pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                return;
            }
        }
    });
    receiver
}

impl Running {
    /// Starts `cectl args` with `envs` (and none of cectl's own settings inherited, colour
    /// off, stdin empty and not a terminal).
    pub fn start(args: &[&str], envs: &[(&str, &str)]) -> Self {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("cectl"))
            .args(args)
            .current_dir(workspace())
            .env_remove("CECTL_GATEWAY")
            .env_remove("CECTL_TOKEN")
            .env_remove("CECTL_WEBHOOK_SECRET")
            .env("NO_COLOR", "1")
            .envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .expect("cectl starts");
        let stdout = lines(child.stdout.take().expect("stdout"));
        let stderr = lines(child.stderr.take().expect("stderr"));
        Self {
            child,
            stdout,
            stderr,
            stderr_seen: Vec::new(),
        }
    }

    /// The next stdout line, failing after [`DEADLINE`].
    pub fn next_line(&mut self) -> String {
        match self.stdout.recv_timeout(DEADLINE) {
            Ok(line) => line,
            Err(_) => {
                self.drain_stderr();
                panic!(
                    "no stdout line within {DEADLINE:?}; stderr:\n{}",
                    self.stderr_seen.join("\n")
                )
            }
        }
    }

    /// The next `n` stdout lines.
    pub fn lines(&mut self, n: usize) -> Vec<String> {
        (0..n).map(|_| self.next_line()).collect()
    }

    /// A stdout line if one comes within `quiet`.
    pub fn line_within(&self, quiet: Duration) -> Option<String> {
        self.stdout.recv_timeout(quiet).ok()
    }

    /// Waits for a stderr line containing `needle`; returns it.
    pub fn wait_stderr(&mut self, needle: &str) -> String {
        let started = Instant::now();
        loop {
            if let Some(line) = self.stderr_seen.iter().find(|l| l.contains(needle)) {
                return line.clone();
            }
            let left = DEADLINE.saturating_sub(started.elapsed());
            match self.stderr.recv_timeout(left) {
                Ok(line) => self.stderr_seen.push(line),
                Err(_) => panic!(
                    "no `{needle}` on stderr within {DEADLINE:?}; stderr:\n{}",
                    self.stderr_seen.join("\n")
                ),
            }
        }
    }

    fn drain_stderr(&mut self) {
        self.stderr_seen.extend(self.stderr.try_iter());
    }

    /// Sends SIGINT, as Ctrl-C on a terminal does.
    pub fn interrupt(&self) {
        let status = std::process::Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "SIGINT was not sent");
    }

    /// Waits for the process to exit: its exit code, the stdout lines not read yet, and all of
    /// stderr.
    pub fn wait(mut self) -> (Option<i32>, Vec<String>, Vec<String>) {
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("waits") {
                break status;
            }
            if started.elapsed() > DEADLINE {
                self.drain_stderr();
                panic!(
                    "cectl did not stop within {DEADLINE:?}; stderr:\n{}",
                    self.stderr_seen.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        // The readers end with the pipes.
        let rest: Vec<String> = self.stdout.iter().collect();
        let mut stderr = std::mem::take(&mut self.stderr_seen);
        stderr.extend(self.stderr.iter());
        (status.code(), rest, stderr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `cectl receive` running as a child process, killed when dropped if it is still running.
pub struct Receiver {
    /// Its URL, `http://127.0.0.1:PORT/`.
    pub url: String,
    running: Running,
}

impl Receiver {
    /// Starts `cectl receive --port 0` with `args`; waits until it says where it listens.
    pub fn start(args: &[&str]) -> Self {
        let mut command = vec!["receive", "--port", "0"];
        command.extend_from_slice(args);
        let mut running = Running::start(&command, &[]);
        let line = running.wait_stderr("http://");
        let url = line
            .split_whitespace()
            .find(|word| word.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in `{line}`"))
            .to_owned();
        Self { url, running }
    }

    /// Waits for it to exit by itself (after `--count` events): its exit code and stdout.
    pub fn finish(self) -> (Option<i32>, String) {
        let (code, lines, _) = self.running.wait();
        let mut stdout = lines.join("\n");
        stdout.push('\n');
        (code, stdout)
    }
}
