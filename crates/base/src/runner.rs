//! Runs build commands as Zerops does: every item in its own `sh -c`, in a
//! given directory, with `HOME` set to the container home and
//! `envVariables` applied; output relayed as it comes, the command shown
//! first; a non-zero exit is an error naming the command, its exit code and
//! its last lines.
//!
//! The relay (see [`Relay`]) writes whole lines only, each prefixed with two
//! spaces, in one write per read of the command's pipe: as large as the
//! output comes (a verbose build's lines go out 64 KiB at a time, not one
//! `write(2)` per line) and as prompt (a line is shown as soon as it is
//! read, on a terminal or not). A line is written only once its end has
//! come, so a line of the other stream never cuts it, however long it is;
//! a last line without newline gets one. stdout and stderr are read by
//! their own pipes and go to the same place, each stream in its order,
//! interleaved as their lines arrive.

use anyhow::{Context, Result, anyhow};
use std::collections::VecDeque;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::interrupt;

/// How many of the last output lines an error shows.
pub(crate) const TAIL_LINES: usize = 20;

/// Where command output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    Stdout,
    Stderr,
}

/// A failed command.
#[derive(Debug)]
pub struct CommandFailed {
    pub(crate) command: String,
    pub(crate) code: Option<i32>,
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
pub(crate) fn headline(cmd: &str) -> String {
    let mut lines = cmd.trim().lines();
    let first = lines.next().unwrap_or("").to_string();
    if lines.next().is_some() {
        format!("{first} ...")
    } else {
        first
    }
}

/// The size of one read of a command's pipe (a Linux pipe holds 64 KiB).
const READ: usize = 64 << 10;

/// Relays one stream of a command: complete lines, prefixed, written in one
/// write per read; an unfinished line waits for its end (or the stream's).
pub(crate) struct Relay {
    /// The start of a line whose end has not come yet.
    partial: Vec<u8>,
    /// What the next write holds.
    out: Vec<u8>,
}

impl Default for Relay {
    fn default() -> Relay {
        Relay::new()
    }
}

impl Relay {
    pub(crate) fn new() -> Relay {
        Relay {
            partial: Vec::new(),
            out: Vec::with_capacity(READ + READ / 4),
        }
    }

    /// Takes `data`, read from the stream; returns the complete lines it
    /// ends (each prefixed, newline kept), empty when none ended.
    pub(crate) fn feed(&mut self, data: &[u8]) -> &[u8] {
        self.out.clear();
        let Some(last) = memchr::memrchr(b'\n', data) else {
            self.partial.extend_from_slice(data);
            return &self.out;
        };
        let (done, rest) = data.split_at(last + 1);
        let mut start = 0;
        if !self.partial.is_empty() {
            // The line begun in an earlier read ends here.
            let end = memchr::memchr(b'\n', done).unwrap_or(last) + 1;
            self.out.extend_from_slice(PREFIX);
            self.out.append(&mut self.partial);
            self.out.extend_from_slice(&done[..end]);
            start = end;
        }
        let base = start;
        for end in memchr::memchr_iter(b'\n', &done[base..]) {
            self.out.extend_from_slice(PREFIX);
            self.out.extend_from_slice(&done[start..base + end + 1]);
            start = base + end + 1;
        }
        self.partial.extend_from_slice(rest);
        &self.out
    }

    /// At the end of the stream: the last line, if it had no newline, with
    /// one.
    pub(crate) fn finish(&mut self) -> &[u8] {
        self.out.clear();
        if !self.partial.is_empty() {
            self.out.extend_from_slice(PREFIX);
            self.out.append(&mut self.partial);
            self.out.push(b'\n');
        }
        &self.out
    }
}

/// What each relayed line starts with.
const PREFIX: &[u8] = b"  ";

/// Writes relayed lines to `sink` in one `write_all` (stdout's line buffer
/// passes a block that ends with a newline straight through).
fn emit(sink: Sink, bytes: &[u8]) {
    use std::io::Write;
    if bytes.is_empty() {
        return;
    }
    // A closed stdout or stderr loses the output, never the build.
    let _ = match sink {
        Sink::Stdout => std::io::stdout().lock().write_all(bytes),
        Sink::Stderr => std::io::stderr().lock().write_all(bytes),
    };
}

/// The last lines of the output, for the error of a failed command.
#[derive(Default)]
struct Tail(VecDeque<String>);

impl Tail {
    /// Keeps the last [`TAIL_LINES`] lines of `written` (prefixed lines).
    fn keep(&mut self, written: &[u8]) {
        let mut lines: Vec<&[u8]> = Vec::new();
        let mut end = written.len();
        while lines.len() < TAIL_LINES && end > 0 {
            let body = &written[..end - 1];
            let start = memchr::memrchr(b'\n', body).map_or(0, |i| i + 1);
            lines.push(&body[start..]);
            end = start;
        }
        for l in lines.into_iter().rev() {
            let l = l.strip_prefix(PREFIX).unwrap_or(l);
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            if self.0.len() == TAIL_LINES {
                self.0.pop_front();
            }
            self.0.push_back(String::from_utf8_lossy(l).into_owned());
        }
    }
}

async fn pump<R: AsyncRead + Unpin>(
    mut r: R,
    sink: Sink,
    tail: Arc<Mutex<Tail>>,
    pb: indicatif::ProgressBar,
) {
    let mut relay = Relay::new();
    let mut buf = vec![0u8; READ];
    loop {
        let n = match r.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let lines = relay.feed(&buf[..n]);
        if !lines.is_empty() {
            pb.suspend(|| emit(sink, lines));
            tail.lock().unwrap_or_else(|e| e.into_inner()).keep(lines);
        }
    }
    let last = relay.finish();
    if !last.is_empty() {
        pb.suspend(|| emit(sink, last));
        tail.lock().unwrap_or_else(|e| e.into_inner()).keep(last);
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
    c.arg("-c").arg(cmd).current_dir(cwd).env("HOME", home);
    // The remote tier's credentials stay with zerops-cache (as in the
    // container, whose environment is clean) unless passed with --env.
    for (k, _) in std::env::vars_os() {
        if let Some(k) = k.to_str()
            && zerops_cache_contract::remote::is_remote_secret(k)
            && !env.iter().any(|(n, _)| n == k)
        {
            c.env_remove(k);
        }
    }
    c.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    // Under the reaper: nothing of the command outlives zerops-cache.
    let c = crate::host_reaper::wrap(&c).context("starting the build command's reaper")?;
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
        let tail = Arc::new(Mutex::new(Tail::default()));
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
                tail: tail.0.iter().cloned().collect(),
            }
            .into())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What `sed 's/^/  /'` writes for `input` (a last line gets a newline).
    fn expected(input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for line in input.split_inclusive(|b| *b == b'\n') {
            out.extend_from_slice(PREFIX);
            out.extend_from_slice(line);
            if !line.ends_with(b"\n") {
                out.push(b'\n');
            }
        }
        out
    }

    fn relay(input: &[u8], cuts: &[usize]) -> (Vec<u8>, usize) {
        let mut r = Relay::new();
        let (mut out, mut writes, mut at) = (Vec::new(), 0, 0);
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
        cuts.sort_unstable();
        cuts.push(input.len());
        for c in cuts {
            let w = r.feed(&input[at..c]);
            // Every write holds whole lines only.
            assert!(w.is_empty() || w.ends_with(b"\n"));
            writes += usize::from(!w.is_empty());
            out.extend_from_slice(w);
            at = c;
        }
        let w = r.finish();
        writes += usize::from(!w.is_empty());
        out.extend_from_slice(w);
        (out, writes)
    }

    proptest! {
        /// However the stream is cut into reads, the relay writes exactly
        /// the prefixed lines: nothing lost, nothing split, a last line
        /// without newline kept.
        #[test]
        fn relay_is_sed_prefix(
            input in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), any::<u8>()], 0..400),
            cuts in proptest::collection::vec(any::<usize>(), 0..12),
        ) {
            let (out, _) = relay(&input, &cuts);
            prop_assert_eq!(out, expected(&input));
        }
    }

    #[test]
    fn one_write_per_read_however_many_lines() {
        let input: Vec<u8> = (0..10_000)
            .flat_map(|i| format!("{i}\n").into_bytes())
            .collect();
        let (out, writes) = relay(&input, &[]);
        assert_eq!(out, expected(&input));
        assert_eq!(writes, 1);
    }

    #[test]
    fn a_long_line_waits_for_its_end() {
        let mut r = Relay::new();
        let chunk = vec![b'x'; READ];
        for _ in 0..64 {
            assert!(r.feed(&chunk).is_empty());
        }
        let w = r.feed(b"\nnext");
        assert_eq!(w.len(), PREFIX.len() + 64 * READ + 1);
        assert_eq!(r.finish(), b"  next\n");
    }

    #[test]
    fn tail_keeps_the_last_lines_without_prefix_or_cr() {
        let mut t = Tail::default();
        let lines: Vec<u8> = (0..30)
            .flat_map(|i| format!("  l{i}\r\n").into_bytes())
            .collect();
        t.keep(&lines);
        t.keep(b"  last\n");
        let got: Vec<&str> = t.0.iter().map(String::as_str).collect();
        let mut want: Vec<String> = (11..30).map(|i| format!("l{i}")).collect();
        want.push("last".into());
        assert_eq!(got, want);
    }
}
