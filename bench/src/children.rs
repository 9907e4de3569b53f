//! Child processes: finding (or building) the release binaries, starting them with their output
//! in a log file, waiting until they answer `/healthz`, and killing every one of them when the
//! bench ends, panics or is interrupted.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{Context as _, bail};

/// The binaries the bench starts, in the order `cargo build -p` is given them.
pub const BINARIES: [&str; 3] = ["event-gateway", "order-service", "payment-service"];

/// Where the binaries are.
#[derive(Debug, Clone)]
pub struct Binaries {
    dir: PathBuf,
}

impl Binaries {
    /// The binaries in `dir` (default: beside this executable, i.e. the same cargo target dir
    /// and profile). Unless `no_build`, first runs `cargo build --release -p …` for all three so
    /// a changed gateway is never measured stale; without cargo, existing binaries are used.
    ///
    /// # Errors
    /// When the build fails or a binary is missing afterwards (the message says what to build).
    pub fn locate(dir: Option<PathBuf>, no_build: bool, workspace: &Path) -> anyhow::Result<Self> {
        let explicit = dir.is_some();
        let dir = match dir {
            Some(dir) => dir,
            None => std::env::current_exe()
                .context("finding this executable")?
                .parent()
                .context("this executable has no directory")?
                .to_path_buf(),
        };
        // Children run with a scratch directory as their working directory, so a relative
        // `--bin-dir` (as `.ci/run` passes) must be made absolute here, once.
        let dir =
            std::path::absolute(&dir).with_context(|| format!("resolving {}", dir.display()))?;
        if !explicit && !no_build {
            build(&dir, workspace)?;
        }
        let missing: Vec<&str> = BINARIES
            .iter()
            .copied()
            .filter(|b| !dir.join(b).is_file())
            .collect();
        if !missing.is_empty() {
            bail!(
                "{} missing in {}; build them with `cargo build --release -p event-gateway -p \
                 order-service -p payment-service` (same CARGO_TARGET_DIR as the bench) or pass \
                 --bin-dir",
                missing.join(", "),
                dir.display()
            );
        }
        Ok(Self { dir })
    }

    /// The path of binary `name`.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// `cargo build --release -p …` into the target dir that holds `bin_dir` (`<target>/release`).
fn build(bin_dir: &Path, workspace: &Path) -> anyhow::Result<()> {
    let profile = bin_dir.file_name().and_then(|p| p.to_str()).unwrap_or("");
    let Some(target_dir) = bin_dir.parent() else {
        return Ok(());
    };
    if profile != "release" || !workspace.join("Cargo.toml").is_file() {
        eprintln!(
            "bench: not a release build inside the workspace; using the binaries in {}",
            bin_dir.display()
        );
        return Ok(());
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["build", "--release"])
        .current_dir(workspace)
        .env("CARGO_TARGET_DIR", target_dir);
    for binary in BINARIES {
        command.args(["-p", binary]);
    }
    eprintln!("bench: cargo build --release -p {}", BINARIES.join(" -p "));
    match command.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => bail!("cargo build of the binaries failed ({status})"),
        Err(error) => {
            eprintln!("bench: cannot run cargo ({error}); using existing binaries");
            Ok(())
        }
    }
}

/// Every child started, so that all can be killed from a panic hook or a signal handler.
#[derive(Debug, Clone, Default)]
pub struct ChildRegistry {
    children: Arc<Mutex<Vec<Child>>>,
    scratch: Arc<Mutex<Option<PathBuf>>>,
}

impl ChildRegistry {
    /// Starts `command` with stdout and stderr appended to `log`, and registers it.
    ///
    /// # Errors
    /// When the log cannot be created or the process cannot start.
    pub fn spawn(
        &self,
        name: &str,
        mut command: Command,
        log: &Path,
    ) -> anyhow::Result<ChildGuard> {
        let file =
            std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file)
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        let pid = child.id();
        eprintln!("bench: started {name} (pid {pid}), log {}", log.display());
        self.lock().push(child);
        Ok(ChildGuard {
            pid,
            name: name.to_owned(),
            log: log.to_path_buf(),
            registry: self.clone(),
        })
    }

    /// Kills (SIGKILL) and reaps every registered child.
    pub fn kill_all(&self) {
        for mut child in self.lock().drain(..) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn kill(&self, pid: u32) {
        let mut children = self.lock();
        if let Some(index) = children.iter().position(|c| c.id() == pid) {
            let mut child = children.swap_remove(index);
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn exited(&self, pid: u32) -> Option<std::process::ExitStatus> {
        let mut children = self.lock();
        let child = children.iter_mut().find(|c| c.id() == pid)?;
        child.try_wait().ok().flatten()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Child>> {
        self.children.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A directory to remove when the bench is interrupted (the scratch space of the children,
    /// which a normal exit removes by itself).
    pub fn remove_on_interrupt(&self, dir: PathBuf) {
        *self.scratch.lock().unwrap_or_else(PoisonError::into_inner) = Some(dir);
    }

    /// Kills every child when the process panics or gets SIGINT/SIGTERM (then exits 130).
    pub fn kill_on_panic_and_signals(&self) {
        let registry = self.clone();
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            registry.kill_all();
            previous(info);
        }));
        let registry = self.clone();
        tokio::spawn(async move {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            let terminated = async {
                match term.as_mut() {
                    Some(t) => {
                        t.recv().await;
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                () = terminated => {}
            }
            eprintln!("bench: interrupted; stopping child processes");
            registry.kill_all();
            let scratch = registry
                .scratch
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            if let Some(dir) = scratch {
                let _ = std::fs::remove_dir_all(dir);
            }
            std::process::exit(130);
        });
    }
}

/// A running child; killed when dropped.
#[derive(Debug)]
pub struct ChildGuard {
    pid: u32,
    name: String,
    log: PathBuf,
    registry: ChildRegistry,
}

impl ChildGuard {
    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Waits until `GET {base}/healthz` answers 2xx.
    ///
    /// # Errors
    /// When the child exits first or `timeout` passes; the message ends with its log's tail.
    pub async fn wait_healthy(
        &self,
        client: &reqwest::Client,
        base: &str,
        timeout: Duration,
    ) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + timeout;
        let url = format!("{base}/healthz");
        loop {
            if let Some(status) = self.registry.exited(self.pid) {
                bail!(
                    "{} exited ({status}) at start:\n{}",
                    self.name,
                    self.log_tail()
                );
            }
            let ok = client
                .get(&url)
                .timeout(Duration::from_secs(1))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ok {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                bail!(
                    "{} did not answer {url} within {timeout:?}:\n{}",
                    self.name,
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The last lines of its log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.registry.kill(self.pid);
    }
}

/// A free TCP port on 127.0.0.1 (bound and released; good enough on a quiet loopback).
///
/// # Errors
/// When no port can be bound.
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("binding port 0")?;
    Ok(listener.local_addr()?.port())
}
