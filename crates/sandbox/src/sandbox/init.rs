//! `zerops-cache __sandbox-init SPEC`: the process that makes the container
//! and runs one command in it.
//!
//! 1. dies with zerops-cache (`PR_SET_PDEATHSIG`), enters new namespaces
//!    and assembles the filesystem ([`super::mounts`]);
//! 2. forks the command's process, PID 1 of the new PID namespace: it
//!    mounts /proc, pivots into the container's root (the host's mount
//!    tree detached), drops the capabilities outside Docker's default list
//!    from the bounding set, installs the seccomp filter, limits its other
//!    capability sets ([`super::privileges`], [`super::seccomp`]), takes the
//!    clean environment and execs `/bin/sh -c COMMAND`;
//! 3. waits for it. SIGTERM, SIGINT, SIGHUP or the time limit kill it with
//!    SIGKILL, and with it (PID 1) every process of the namespace; the
//!    exit status is the command's (128 + N for signal N, 124 on timeout).
//!
//! Errors before the command starts are printed as `zerops-cache sandbox:
//! …` and exit with 125.

use std::ffi::CString;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use super::{Spec, mounts, namespaces, privileges, seccomp};

/// The hidden subcommand's name.
pub const SUBCOMMAND: &str = "__sandbox-init";
/// The exit status when the container could not be made.
pub const SETUP_FAILED: i32 = 125;
/// The exit status when the time limit killed the command.
pub const TIMED_OUT: i32 = 124;

static CHILD: AtomicI32 = AtomicI32::new(0);
static EXPIRED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(sig: libc::c_int) {
    if sig == libc::SIGALRM {
        EXPIRED.store(true, Ordering::SeqCst);
    }
    let pid = CHILD.load(Ordering::SeqCst);
    if pid > 0 {
        // SAFETY: kill is async-signal-safe.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
}

/// Runs the init (or, for `{"task": …}`, a task in the user namespace of
/// subordinate ids, [`super::userns`]); returns the exit status.
pub fn run(spec_json: &str) -> i32 {
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
    // SAFETY: prctl/getppid have no memory preconditions.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
        if libc::getppid() as u32 != spec.parent {
            return Ok(libc::SIGKILL + 128); // zerops-cache is already gone
        }
    }
    let mut steps = Steps::new(spec.timing);
    let filters = seccomp::filters()?;
    steps.mark("seccomp-compile");
    namespaces::enter_user(&spec)?;
    steps.mark("userns");
    namespaces::enter(&spec)?;
    steps.mark("namespaces");
    mounts::assemble(&spec, &mut |n| steps.mark(n))?;
    // Everything the child needs, made before the fork.
    let cwd = cstr(spec.cwd.as_bytes())?;
    let sh = cstr(b"/bin/sh")?;
    let argv = [cstr(b"sh")?, cstr(b"-c")?, cstr(spec.command.as_bytes())?];
    let envs: Vec<CString> = spec
        .env
        .iter()
        .map(|(k, v)| cstr(format!("{k}={v}").as_bytes()))
        .collect::<io::Result<_>>()?;
    let mut argv_p: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    argv_p.push(std::ptr::null());
    let mut env_p: Vec<*const libc::c_char> = envs.iter().map(|a| a.as_ptr()).collect();
    env_p.push(std::ptr::null());

    for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGALRM] {
        // SAFETY: the handler only calls async-signal-safe functions.
        unsafe {
            libc::signal(sig, on_signal as *const () as libc::sighandler_t);
        }
    }
    // A pipe whose write end only this process holds: the child sees it
    // hang up if this process died before the child's PDEATHSIG was set.
    let mut alive = [0 as libc::c_int; 2];
    // SAFETY: a valid two-element array.
    if unsafe { libc::pipe2(alive.as_mut_ptr(), libc::O_CLOEXEC) } == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: this process has one thread, so the child may allocate.
    let pid = unsafe { libc::fork() };
    if pid == -1 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        // The command's process: PID 1 of the container.
        // SAFETY: plain system calls on this process's own signals and on
        // the pipe's file descriptors, with a pollfd that lives on the stack.
        unsafe {
            for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGALRM] {
                libc::signal(sig, libc::SIG_DFL);
            }
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
            libc::close(alive[1]);
            let mut p = libc::pollfd {
                fd: alive[0],
                events: libc::POLLIN,
                revents: 0,
            };
            if libc::poll(&mut p, 1, 0) == 1 && p.revents & libc::POLLHUP != 0 {
                libc::_exit(128 + libc::SIGKILL); // the init is already gone
            }
        }
        steps.mark("fork");
        let code = child(&spec.root, &filters, &mut steps, &cwd, &sh, &argv_p, &env_p);
        // SAFETY: leaving the forked child without running destructors.
        unsafe { libc::_exit(code) };
    }
    CHILD.store(pid, Ordering::SeqCst);
    // SAFETY: our own read end; the write end stays open until we exit.
    unsafe { libc::close(alive[0]) };
    if let Some(ms) = spec.timeout_ms {
        let secs = ms.div_ceil(1000).min(u32::MAX as u64) as libc::c_uint;
        // SAFETY: alarm has no preconditions.
        unsafe { libc::alarm(secs.max(1)) };
    }
    let mut status = 0;
    loop {
        // SAFETY: waiting for our own child.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid {
            break;
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
    if EXPIRED.load(Ordering::SeqCst) {
        eprintln!(
            "zerops-cache sandbox: the build's time limit (--timeout) was reached; every process of the build was killed"
        );
        return Ok(TIMED_OUT);
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        1
    };
    Ok(code)
}

/// Said when a command fails on an unmapped id in a rootless container,
/// where only the invoking user is mapped (to root); see
/// [`super::Sandbox::permission_hint`].
pub const UNMAPPED_NOTE: &str = "note: the container runs rootless and maps only your user (as root); \
any other user or group id does not exist inside, so a command that switches to one or gives a file to one fails \
(apt: \"setgroups 65534 failed\", \"seteuid 42 failed\"; chown: \"Invalid argument\"). If that is why it failed: \
give your user subordinate ids (a range in /etc/subuid and /etc/subgid, e.g. \
`usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $USER`, and newuidmap/newgidmap from uidmap) \
so that ids 1..N are mapped too, run the build as root, or for apt pass -o APT::Sandbox::User=root";

fn child(
    root: &std::path::Path,
    filters: &[seccompiler::BpfProgram],
    steps: &mut Steps,
    cwd: &CString,
    sh: &CString,
    argv: &[*const libc::c_char],
    env: &[*const libc::c_char],
) -> i32 {
    let mut setup = || -> io::Result<()> {
        mounts::proc(root)?;
        steps.mark("proc");
        mounts::pivot(root)?;
        steps.mark("pivot_root");
        // SAFETY: a valid NUL-terminated string.
        if unsafe { libc::chdir(cwd.as_ptr()) } == -1 {
            let e = io::Error::last_os_error();
            return Err(io::Error::new(
                e.kind(),
                format!("cd {}: {e}", cwd.to_string_lossy()),
            ));
        }
        // The filter needs CAP_SYS_ADMIN (no no_new_privs), so it goes in
        // before the capabilities are limited; capset stays allowed.
        privileges::drop_bounding()?;
        seccomp::install(filters)?;
        privileges::limit()?;
        steps.mark("caps+seccomp");
        Ok(())
    };
    if let Err(e) = setup() {
        eprintln!("zerops-cache sandbox: {e}");
        return SETUP_FAILED;
    }
    steps.report();
    // SAFETY: valid NUL-terminated strings and null-terminated arrays.
    unsafe {
        libc::execve(sh.as_ptr(), argv.as_ptr(), env.as_ptr());
    }
    eprintln!(
        "zerops-cache sandbox: starting /bin/sh in the image: {}",
        io::Error::last_os_error()
    );
    SETUP_FAILED
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
