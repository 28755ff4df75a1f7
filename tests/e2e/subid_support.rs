//! A test user with subordinate ids: `zc-subid` (made with useradd once),
//! given a range of 65536 ids in /etc/subuid and /etc/subgid for as long
//! as the guard lives, and removed from them again when it drops (a failed
//! test included; a killed run's leftover lines are replaced on the next).
//!
//! Tests that touch /etc/subuid or /etc/subgid hold the exclusive lock on
//! [`LOCK`] while they do (this guard takes it), so that tests of this and
//! other test processes do not edit the files at once.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::process::Command;

use crate::container_rootless::{User, is_root};

pub const LOCK: &str = "/tmp/zerops-cache-e2e-subids.lock";
const NAME: &str = "zc-subid";
const FILES: [&str; 2] = ["/etc/subuid", "/etc/subgid"];
pub const COUNT: u32 = 65536;

/// The test user while it has a range; `range_start` is its first host id.
pub struct SubidUser {
    pub user: User,
    pub range_start: u32,
    _lock: std::fs::File,
}

fn id(flag: &str) -> Option<u32> {
    let out = Command::new("id").args([flag, NAME]).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().parse().ok())?
}

/// The file without the test user's lines.
fn without_user(text: &str) -> String {
    text.lines()
        .filter(|l| l.split(':').next() != Some(NAME))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn remove_lines(file: &str) {
    if let Ok(text) = std::fs::read_to_string(file) {
        std::fs::write(file, without_user(&text)).unwrap();
    }
}

/// The first id after every range of the file (at least 100000), so the
/// test's range is no one else's.
fn free_start(text: &str) -> u32 {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split(':').skip(1);
            let s: u64 = f.next()?.trim().parse().ok()?;
            let c: u64 = f.next()?.trim().parse().ok()?;
            Some(s + c)
        })
        .max()
        .unwrap_or(0)
        .max(100_000) as u32
}

impl SubidUser {
    /// `None` (the test is skipped) when not root: only root can add a
    /// user and edit /etc/subuid.
    pub fn add() -> Option<SubidUser> {
        SubidUser::add_with(&[])
    }

    /// As [`SubidUser::add`], with `extra` lines of the user after its
    /// range in /etc/subuid (e.g. malformed ones).
    pub fn add_with(extra: &[&str]) -> Option<SubidUser> {
        if !is_root() {
            crate::common::skip("not root: cannot add a user with subordinate ids");
            return None;
        }
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(LOCK)
            .unwrap();
        // SAFETY: a valid descriptor, held open by `lock`.
        assert_eq!(unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) }, 0);
        if id("-u").is_none() {
            let st = Command::new("useradd")
                .args([
                    "--system",
                    "--user-group",
                    "--no-create-home",
                    "--shell",
                    "/usr/sbin/nologin",
                    NAME,
                ])
                .status()
                .unwrap();
            assert!(st.success(), "useradd {NAME}");
        }
        let (uid, gid) = (id("-u").unwrap(), id("-g").unwrap());
        let mut start = 0;
        for f in FILES {
            let text = without_user(&std::fs::read_to_string(f).unwrap_or_default());
            start = start.max(free_start(&text));
        }
        for f in FILES {
            let text = without_user(&std::fs::read_to_string(f).unwrap_or_default());
            let mut out = std::fs::File::create(f).unwrap();
            writeln!(out, "{text}{NAME}:{start}:{COUNT}").unwrap();
            if f == FILES[0] {
                for l in extra {
                    writeln!(out, "{l}").unwrap();
                }
            }
        }
        Some(SubidUser {
            user: User {
                name: NAME.into(),
                group: NAME.into(),
                uid,
                gid,
            },
            range_start: start,
            _lock: lock,
        })
    }
}

impl Drop for SubidUser {
    fn drop(&mut self) {
        for f in FILES {
            remove_lines(f);
        }
    }
}
