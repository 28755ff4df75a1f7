//! `zerops-cache __sandbox-init SPEC`: the process that makes the container
//! and runs one command in it.
//!
//! 1. dies with zerops-cache (`PR_SET_PDEATHSIG`), joins the build's pod
//!    and a copy of its assembled filesystem ([`super::holder`],
//!    [`super::namespaces::enter_command`]), and a new PID namespace;
//! 2. forks the command's process, PID 1 of the new PID namespace: it
//!    mounts /proc, pivots into the container's root (the host's mount
//!    tree detached), drops the capabilities outside Docker's default list
//!    from the bounding set, installs the seccomp filter, limits its other
//!    capability sets ([`super::privileges`], [`super::seccomp`]), takes the
//!    clean environment and execs `/bin/sh -c COMMAND`;
//!    The child also installs the hostname filter and passes its listener
//!    here ([`super::sethostname`]);
//! 3. waits for it, answering its `sethostname`/`setdomainname` calls. SIGTERM, SIGINT, SIGHUP or the time limit kill it with
//!    SIGKILL, and with it (PID 1) every process of the namespace; the
//!    exit status is the command's (128 + N for signal N, 124 on timeout).
//!
//! Errors before the command starts are printed as `zerops-cache sandbox:
//! …` and exit with 125.

use std::ffi::CString;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use rustix::process;
use std::os::fd::OwnedFd;

use super::{Spec, bpf, mounts, namespaces, privileges, seccomp, sethostname};

/// The hidden subcommand's name.
pub(crate) const SUBCOMMAND: &str = "__sandbox-init";
/// The exit status when the container could not be made.
pub(crate) const SETUP_FAILED: i32 = 125;
/// The exit status when the time limit killed the command.
pub(crate) const TIMED_OUT: i32 = 124;

static CHILD: AtomicI32 = AtomicI32::new(0);
static EXPIRED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(sig: libc::c_int) {
    if sig == libc::SIGALRM {
        EXPIRED.store(true, Ordering::SeqCst);
    }
    let pid = CHILD.load(Ordering::SeqCst);
    if pid > 0 {
        // kill is async-signal-safe (rustix makes the system call itself).
        if let Some(pid) = process::Pid::from_raw(pid) {
            let _ = process::kill_process(pid, process::Signal::KILL);
        }
    }
}

/// Runs the init (or, for `{"task": …}`, a task in the user namespace of
/// subordinate ids, [`super::userns`]); returns the exit status.
pub fn run(spec_json: &str) -> i32 {
    if spec_json.starts_with(super::holder::PREFIX) {
        return super::holder::run(spec_json);
    }
    if spec_json.starts_with("{\"filecaps\"") {
        return match serde_json::from_str::<super::filecaps::Request>(spec_json) {
            Ok(req) => super::filecaps::run(&req),
            Err(e) => {
                eprintln!("zerops-cache sandbox: bad request: {e}");
                SETUP_FAILED
            }
        };
    }
    if spec_json.starts_with("{\"task\"") {
        return match serde_json::from_str::<super::userns::TaskRequest>(spec_json) {
            Ok(req) => super::userns::run_task(&req),
            Err(e) => {
                eprintln!("zerops-cache sandbox: bad task: {e}");
                SETUP_FAILED
            }
        };
    }
    match setup_and_run(spec_json) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("zerops-cache sandbox: {e}");
            SETUP_FAILED
        }
    }
}

fn setup_and_run(spec_json: &str) -> io::Result<i32> {
    let spec: Spec = serde_json::from_str(spec_json)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("bad spec: {e}")))?;
    if !dies_with(spec.parent) {
        return Ok(libc::SIGKILL + 128); // zerops-cache is already gone
    }
    let mut steps = Steps::new(spec.timing);
    let filters = seccomp::filters()?;
    steps.mark("seccomp-compile");
    namespaces::enter_command(&spec)?;
    steps.mark("join");
    // Everything the child needs, made before the fork.
    let exec = Exec::new(&spec)?;
    set_handlers(on_signal as *const () as libc::sighandler_t);
    let ends = Ends::new()?;
    let supervisor = sethostname::Supervisor::new()?;
    // SAFETY: this process has one thread, so the child may allocate.
    let pid = unsafe { libc::fork() };
    if pid == -1 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        let code = command_process(&spec, &filters, ends, &mut steps, &exec);
        // SAFETY: leaving the forked child without running destructors.
        unsafe { libc::_exit(code) };
    }
    CHILD.store(pid, Ordering::SeqCst);
    wait_for_command(pid, ends, &supervisor, spec.timeout_ms)
}

/// Makes this process die with zerops-cache (`PR_SET_PDEATHSIG`); false
/// when its parent, `parent`, is already gone.
pub(crate) fn dies_with(parent: u32) -> bool {
    let _ = process::set_parent_process_death_signal(Some(process::Signal::KILL));
    process::Pid::as_raw(process::getppid()) as u32 == parent
}

/// Sets the handler of the signals that end the command (and of the time
/// limit's `SIGALRM`).
fn set_handlers(handler: libc::sighandler_t) {
    for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGALRM] {
        // SAFETY: the handler is the default one or `on_signal`, which
        // only calls async-signal-safe functions.
        unsafe {
            libc::signal(sig, handler);
        }
    }
}

/// The shell and its arguments, environment and directory, as `execve`
/// takes them (the pointers point into the strings' own buffers).
struct Exec {
    cwd: CString,
    sh: CString,
    _strings: Vec<CString>,
    argv: Vec<*const libc::c_char>,
    env: Vec<*const libc::c_char>,
}

impl Exec {
    /// `/bin/sh -c COMMAND` in the spec's directory and environment.
    fn new(spec: &Spec) -> io::Result<Exec> {
        let argv = [cstr(b"sh")?, cstr(b"-c")?, cstr(spec.command.as_bytes())?];
        let envs: Vec<CString> = spec
            .env
            .iter()
            .map(|(k, v)| cstr(format!("{k}={v}").as_bytes()))
            .collect::<io::Result<_>>()?;
        let pointers = |s: &[CString]| -> Vec<*const libc::c_char> {
            s.iter()
                .map(|a| a.as_ptr())
                .chain([std::ptr::null()])
                .collect()
        };
        Ok(Exec {
            cwd: cstr(spec.cwd.as_bytes())?,
            sh: cstr(b"/bin/sh")?,
            argv: pointers(&argv),
            env: pointers(&envs),
            _strings: argv.into_iter().chain(envs).collect(),
        })
    }
}

/// The descriptors the init and the command's process share across the
/// fork (all close-on-exec).
struct Ends {
    /// A pipe whose write end only the init holds: the child sees it hang
    /// up if the init died before the child's PDEATHSIG was set.
    alive: (OwnedFd, OwnedFd),
    /// The child passes the listener of its hostname filter over it: the
    /// init's end, the child's end.
    pair: (OwnedFd, OwnedFd),
}

impl Ends {
    fn new() -> io::Result<Ends> {
        use rustix::net::{AddressFamily, SocketFlags, SocketType, socketpair};
        let alive = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
        let pair = socketpair(
            AddressFamily::UNIX,
            SocketType::SEQPACKET,
            SocketFlags::CLOEXEC,
            None,
        )?;
        Ok(Ends { alive, pair })
    }
}

/// The command's process, PID 1 of the container: it keeps its own ends,
/// dies with the init, and makes the container and execs the command.
fn command_process(
    spec: &Spec,
    filters: &[bpf::Program],
    ends: Ends,
    steps: &mut Steps,
    exec: &Exec,
) -> i32 {
    set_handlers(libc::SIG_DFL);
    let _ = process::set_parent_process_death_signal(Some(process::Signal::KILL));
    let Ends {
        alive: (alive, init_alive),
        pair: (init_end, sock),
    } = ends;
    // The init's ends, closed here (a `_` pattern would keep them open).
    drop((init_alive, init_end));
    if hung_up(&alive) {
        return 128 + libc::SIGKILL; // the init is already gone
    }
    steps.mark("fork");
    if let Err(e) = make_container(&spec.root, filters, sock, steps, &exec.cwd) {
        eprintln!("zerops-cache sandbox: {e}");
        return SETUP_FAILED;
    }
    steps.report();
    exec_command(exec)
}

/// Whether the other end of `fd` is closed (without waiting).
fn hung_up(fd: &OwnedFd) -> bool {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let mut p = [PollFd::new(fd, PollFlags::IN)];
    let now = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    poll(&mut p, Some(&now)) == Ok(1) && p[0].revents().contains(PollFlags::HUP)
}

/// The init's side after the fork: takes the hostname filter's listener,
/// starts the time limit, answers the command's hostname calls and waits
/// for it; returns its exit status.
fn wait_for_command(
    pid: libc::pid_t,
    ends: Ends,
    supervisor: &sethostname::Supervisor,
    timeout_ms: Option<u64>,
) -> io::Result<i32> {
    // The child's ends are closed here, so a child that fails before
    // sending its listener is seen as the end of the stream; the write
    // end of `alive` stays open until the command has ended.
    let Ends {
        alive: (child_alive, alive),
        pair: (ours, child_end),
    } = ends;
    drop((child_alive, child_end));
    let listener = sethostname::recv_fd(&ours);
    drop(ours);
    if let Some(ms) = timeout_ms {
        let secs = ms.div_ceil(1000).min(u32::MAX as u64) as libc::c_uint;
        // SAFETY: alarm has no preconditions.
        unsafe { libc::alarm(secs.max(1)) };
    }
    if let Ok(Some(l)) = listener {
        supervise(pid, supervisor, l)?;
    }
    let status = wait_for(pid)?;
    drop(alive);
    if EXPIRED.load(Ordering::SeqCst) {
        eprintln!(
            "zerops-cache sandbox: the build's time limit (--timeout) was reached; every process of the build was killed"
        );
        return Ok(TIMED_OUT);
    }
    let code = if let Some(c) = status.exit_status() {
        c
    } else if let Some(sig) = status.terminating_signal() {
        128 + sig
    } else {
        1
    };
    Ok(code)
}

/// Waits for the child `pid` to end, through signals.
pub(crate) fn wait_for(pid: libc::pid_t) -> io::Result<process::WaitStatus> {
    let pid = process::Pid::from_raw(pid).ok_or_else(|| io::Error::other("no child"))?;
    loop {
        match process::waitpid(Some(pid), process::WaitOptions::empty()) {
            Ok(Some((_, status))) => return Ok(status),
            Ok(None) | Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// Said when a command fails on an unmapped id in a rootless container,
/// where only the invoking user is mapped (to root); see
/// [`super::Sandbox::permission_hint`].
pub(crate) const UNMAPPED_NOTE: &str = "note: the container runs rootless and maps only your user (as root); \
any other user or group id does not exist inside, so a command that switches to one or gives a file to one fails \
(apt: \"setgroups 65534 failed\", \"seteuid 42 failed\"; chown: \"Invalid argument\"). If that is why it failed: \
give your user subordinate ids (a range in /etc/subuid and /etc/subgid, e.g. \
`usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $USER`, and newuidmap/newgidmap from uidmap) \
so that ids 1..N are mapped too, run the build as root, or for apt pass -o APT::Sandbox::User=root";

/// Answers the command's `sethostname`/`setdomainname` notifications
/// ([`sethostname`]) until the command's PID 1 exits.
fn supervise(
    pid: libc::pid_t,
    supervisor: &sethostname::Supervisor,
    listener: OwnedFd,
) -> io::Result<()> {
    use rustix::event::{PollFd, PollFlags, poll};
    let pidfd = process::Pid::from_raw(pid)
        .ok_or(rustix::io::Errno::SRCH)
        .and_then(|p| process::pidfd_open(p, process::PidfdFlags::empty()))
        .map_err(super::failed(
            "watching the command (pidfd_open, Linux 5.3)",
        ))?;
    let mut listener = Some(listener);
    loop {
        let mut fds = vec![PollFd::new(&pidfd, PollFlags::IN)];
        if let Some(l) = &listener {
            fds.push(PollFd::new(l, PollFlags::IN));
        }
        match poll(&mut fds, None) {
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => continue, // a signal: its handler killed the child
            Err(e) => return Err(e.into()),
        }
        let ended = fds[0].revents().contains(PollFlags::IN);
        let ev = fds.get(1).map(|f| f.revents());
        drop(fds);
        if let (Some(l), Some(ev)) = (&listener, ev) {
            if ev.contains(PollFlags::IN) {
                if !supervisor.serve_one(l) {
                    listener = None;
                }
            } else if ev.intersects(PollFlags::HUP | PollFlags::ERR | PollFlags::NVAL) {
                listener = None;
            }
        }
        if ended {
            return Ok(());
        }
    }
}

/// Execs the command; returns only when that failed.
fn exec_command(exec: &Exec) -> i32 {
    // SAFETY: valid NUL-terminated strings and null-terminated arrays of
    // pointers into them, all alive until the call.
    unsafe {
        libc::execve(exec.sh.as_ptr(), exec.argv.as_ptr(), exec.env.as_ptr());
    }
    eprintln!(
        "zerops-cache sandbox: starting /bin/sh in the image: {}",
        io::Error::last_os_error()
    );
    SETUP_FAILED
}

/// /proc, the pivot into the root, the directory, the seccomp filters (the
/// hostname filter's listener sent over `sock`) and the capabilities.
fn make_container(
    root: &std::path::Path,
    filters: &[bpf::Program],
    sock: OwnedFd,
    steps: &mut Steps,
    cwd: &CString,
) -> io::Result<()> {
    mounts::proc(root)?;
    steps.mark("proc");
    mounts::pivot(root)?;
    steps.mark("pivot_root");
    process::chdir(cwd.as_c_str())
        .map_err(super::failed(format!("cd {}", cwd.to_string_lossy())))?;
    // The filter needs CAP_SYS_ADMIN (no no_new_privs), so it goes in
    // before the capabilities are limited; capset stays allowed.
    privileges::drop_bounding()?;
    seccomp::install(filters)?;
    let listener = sethostname::install()?;
    sethostname::send_fd(&sock, &listener)
        .map_err(|e| io::Error::new(e.kind(), format!("passing the hostname filter: {e}")))?;
    drop((listener, sock));
    privileges::limit()?;
    steps.mark("caps+seccomp");
    Ok(())
}

/// The time each step of the container's setup took, printed to stderr
/// before the command starts when `ZEROPS_CACHE_SANDBOX_TIMING` is set
/// (bench/sandbox.sh).
struct Steps {
    on: bool,
    last: std::time::Instant,
    text: String,
}

impl Steps {
    fn new(on: bool) -> Steps {
        Steps {
            on,
            last: std::time::Instant::now(),
            text: String::new(),
        }
    }

    fn mark(&mut self, name: &str) {
        if self.on {
            let now = std::time::Instant::now();
            let us = now.duration_since(self.last).as_micros();
            self.text.push_str(&format!(" {name}={us}us"));
            self.last = now;
        }
    }

    fn report(&self) {
        if self.on {
            eprintln!("zerops-cache sandbox timing:{}", self.text);
        }
    }
}

fn cstr(b: &[u8]) -> io::Result<CString> {
    CString::new(b)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL byte in the spec"))
}
