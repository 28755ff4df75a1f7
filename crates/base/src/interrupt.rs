//! SIGTERM and SIGINT during a build. The build's commands run in their own
//! process group (so a terminal's Ctrl-C reaches only zerops-cache); on a
//! signal the runner passes it to the whole group, kills the group if it
//! has not ended after [`GRACE`], and the build rolls back as after a
//! crash. Only `build` installs the handler: every other command is safe
//! to end at any instant (the journal recovers it).

use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

/// How long a command group has to end after the signal before SIGKILL.
pub const GRACE: Duration = Duration::from_secs(5);

static SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    SIGNAL.store(sig, Ordering::SeqCst);
}

/// Catches SIGTERM and SIGINT from now on (they are recorded, see
/// [`received`]).
pub fn install() {
    for sig in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: the handler only stores into an atomic, which is
        // async-signal-safe; the sigaction struct is zeroed then filled.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as usize;
            sa.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

/// The signal received, if any.
pub fn received() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// The error of an interrupted build.
#[derive(Debug, Clone, Copy)]
pub struct Interrupted(pub i32);

impl Interrupted {
    /// The exit code of a process ended by the signal (128 + its number).
    pub fn exit_code(self) -> u8 {
        u8::try_from(128 + self.0).unwrap_or(255)
    }
}

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self.0 {
            libc::SIGTERM => "SIGTERM",
            libc::SIGINT => "SIGINT",
            _ => "a signal",
        };
        write!(f, "interrupted by {name}")
    }
}

impl std::error::Error for Interrupted {}

/// An error when a signal has come.
pub fn check() -> anyhow::Result<()> {
    match received() {
        Some(s) => Err(Interrupted(s).into()),
        None => Ok(()),
    }
}

/// Sends `sig` to the process group `pgid` (never to our own group: a
/// `pgid` of 0 is ignored).
pub fn signal_group(pgid: u32, sig: i32) {
    use rustix::process::{Pid, Signal, kill_process_group};
    let pid = i32::try_from(pgid).ok().and_then(Pid::from_raw);
    if let (Some(pid), Some(sig)) = (pid, Signal::from_named_raw(sig)) {
        // ESRCH: the group has ended already.
        let _ = kill_process_group(pid, sig);
    }
}
