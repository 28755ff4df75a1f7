//! Runs build commands as Zerops does: every item in its own `sh -c`, in a
//! given directory, with `HOME` set to the container home and
//! `envVariables` applied; output streamed line by line as it comes, the
//! command shown first; a non-zero exit is an error naming the command, its
//! exit code and its last lines.

use anyhow::{Context, Result, anyhow};
use std::collections::VecDeque;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

use crate::interrupt;

/// How many of the last output lines an error shows.
pub const TAIL_LINES: usize = 20;

/// Where command output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    Stdout,
    Stderr,
}

/// A failed command.
#[derive(Debug)]
pub struct CommandFailed {
    pub command: String,
    pub code: Option<i32>,
    pub tail: Vec<String>,
}

impl std::fmt::Display for CommandFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let code = match self.code {
            Some(c) => format!("exit code {c}"),
            None => "a signal".to_string(),
        };
        write!(f, "command `{}` failed with {code}", self.command)?;
        if !self.tail.is_empty() {
            write!(f, "; its last lines:")?;
            for l in &self.tail {
                write!(f, "\n  | {l}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for CommandFailed {}

/// The first line of a command, for display.
pub fn headline(cmd: &str) -> String {
    let mut lines = cmd.trim().lines();
    let first = lines.next().unwrap_or("").to_string();
    if lines.next().is_some() {
        format!("{first} ...")
    } else {
        first
    }
}

fn emit(sink: Sink, line: &str) {
    match sink {
        Sink::Stdout => println!("  {line}"),
        Sink::Stderr => eprintln!("  {line}"),
    }
}

async fn pump<R: AsyncRead + Unpin>(
    r: R,
    sink: Sink,
    tail: Arc<Mutex<VecDeque<String>>>,
    pb: indicatif::ProgressBar,
) {
    let mut lines = BufReader::new(r).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        pb.suspend(|| emit(sink, &line));
        let mut t = tail.lock().unwrap_or_else(|e| e.into_inner());
        if t.len() == TAIL_LINES {
            t.pop_front();
        }
        t.push_back(line);
    }
}

/// Waits for the command; on SIGTERM or SIGINT passes the signal to its
/// whole process group, then kills the group after the grace period.
async fn wait(
    child: &mut tokio::process::Child,
    pgid: Option<u32>,
) -> std::io::Result<std::process::ExitStatus> {
    let mut deadline: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            s = child.wait() => {
                if let (Some(g), Some(_)) = (pgid, deadline) {
                    // What the shell left behind goes too.
                    interrupt::signal_group(g, libc::SIGKILL);
                }
                return s;
            }
            _ = tokio::time::sleep(std::time::Duration::from_millis(50)) => {
                let (Some(sig), Some(g)) = (interrupt::received(), pgid) else { continue };
                match deadline {
                    None => {
                        interrupt::signal_group(g, sig);
                        deadline = Some(tokio::time::Instant::now() + interrupt::GRACE);
                    }
                    Some(d) if tokio::time::Instant::now() >= d => {
                        interrupt::signal_group(g, libc::SIGKILL);
                    }
                    Some(_) => {}
                }
            }
        }
    }
}

/// Runs `cmd` with `sh -c` in `cwd`; with `progress`, a spinner names the
/// running command (on a terminal).
pub fn run(
    cmd: &str,
    cwd: &Path,
    home: &Path,
    env: &[(String, String)],
    sink: Sink,
    progress: bool,
) -> Result<()> {
    let mut c = std::process::Command::new("sh");
    c.arg("-c")
        .arg(cmd)
        .current_dir(cwd)
        .env("HOME", home)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    run_prepared(cmd, c, sink, progress)
}

/// Runs `command`, a process that runs `cmd` (shown as its headline): a
/// host `sh -c`, or the build container's init (crate::sandbox).
pub fn run_prepared(
    cmd: &str,
    command: std::process::Command,
    sink: Sink,
    progress: bool,
) -> Result<()> {
    match sink {
        Sink::Stdout => println!("$ {}", headline(cmd)),
        Sink::Stderr => eprintln!("$ {}", headline(cmd)),
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the command runner")?;
    rt.block_on(async {
        let mut child = tokio::process::Command::from(command)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            // Its own process group: a signal reaches all its processes.
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting `sh -c {}`", headline(cmd)))?;
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let pb = crate::progress::command(progress, &headline(cmd));
        let out = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        let err = child.stderr.take().ok_or_else(|| anyhow!("no stderr"))?;
        let pgid = child.id();
        let (_, _, status) = tokio::join!(
            pump(out, sink, tail.clone(), pb.clone()),
            pump(err, sink, tail.clone(), pb.clone()),
            wait(&mut child, pgid)
        );
        pb.finish_and_clear();
        let status = status.context("waiting for the command")?;
        interrupt::check()?;
        if status.success() {
            Ok(())
        } else {
            let tail = tail.lock().unwrap_or_else(|e| e.into_inner());
            Err(CommandFailed {
                command: headline(cmd),
                code: status.code(),
                tail: tail.iter().cloned().collect(),
            }
            .into())
        }
    })
}
