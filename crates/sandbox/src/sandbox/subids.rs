//! Subordinate ids: the ranges of host user and group ids that
//! `/etc/subuid` and `/etc/subgid` give an unprivileged user, which the
//! setuid helpers `newuidmap`/`newgidmap` (package uidmap) let it map into a
//! user namespace. With them the rootless container maps, as podman does,
//! container id 0 to the user and 1..N to the ranges, so apt's `_apt`,
//! `chown` in package scripts and `useradd` work inside; without them only
//! the user is mapped (to root).
//!
//! Parsed here rather than with a crate: no maintained crate reads these
//! files (podman and shadow each carry their own few lines), and the rule
//! is shadow's: `OWNER:START:COUNT` per line, OWNER a user name or a
//! numeric uid, every matching line a range, in file order.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One line of a map: `count` ids from `inside` (container) onto `outside`
/// (host).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Extent {
    pub(crate) inside: u32,
    pub(crate) outside: u32,
    pub(crate) count: u32,
}

/// A host range from `/etc/subuid` or `/etc/subgid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Range {
    pub(crate) start: u32,
    pub(crate) count: u32,
}

/// A line that names the user but cannot be used, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadLine {
    pub(crate) line: usize,
    pub(crate) why: String,
}

/// The kernel takes at most 340 lines per map; one is the user's own.
const MAX_RANGES: usize = 339;

/// The ranges of `file` (the text of /etc/subuid or /etc/subgid) owned by
/// the user `name` with uid `uid`, in file order, and the lines that name
/// the user but are malformed (other users' lines are not this user's
/// business and are not checked). Blank lines and `#` comments are skipped.
pub(crate) fn ranges(file: &str, name: &str, uid: u32) -> (Vec<Range>, Vec<BadLine>) {
    let uid_s = uid.to_string();
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for (i, raw) in file.lines().enumerate() {
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let mut f = l.split(':');
        let owner = f.next().unwrap_or_default();
        if owner != name && owner != uid_s {
            continue;
        }
        let line = i + 1;
        let (Some(start), Some(count), None) = (f.next(), f.next(), f.next()) else {
            bad.push(BadLine {
                line,
                why: "expected OWNER:START:COUNT".into(),
            });
            continue;
        };
        let num = |s: &str, what: &str| {
            s.trim()
                .parse::<u32>()
                .map_err(|_| format!("{what} `{s}` is not a number"))
        };
        match (num(start, "START"), num(count, "COUNT")) {
            (Ok(_), Ok(0)) => bad.push(BadLine {
                line,
                why: "COUNT is 0".into(),
            }),
            (Ok(start), Ok(count)) if start.checked_add(count).is_none() => bad.push(BadLine {
                line,
                why: format!("{start}+{count} is past the last id"),
            }),
            (Ok(start), Ok(count)) => {
                if out.len() < MAX_RANGES {
                    out.push(Range { start, count });
                }
            }
            (Err(e), _) | (_, Err(e)) => bad.push(BadLine { line, why: e }),
        }
    }
    (out, bad)
}

/// The map podman makes: container 0 is `own` (the user's id), then the
/// ranges one after the other from container id 1. Container ids stop
/// below 2³²−1 (the kernel's "no id").
pub(crate) fn extents(own: u32, ranges: &[Range]) -> Vec<Extent> {
    let mut out = vec![Extent {
        inside: 0,
        outside: own,
        count: 1,
    }];
    let mut next: u64 = 1;
    for r in ranges {
        let room = u64::from(u32::MAX - 1).saturating_sub(next);
        let count = u64::from(r.count).min(room);
        if count == 0 {
            break;
        }
        out.push(Extent {
            inside: next as u32,
            outside: r.start,
            count: count as u32,
        });
        next += count;
    }
    out
}

/// How many container ids a map has (0..size are mapped).
pub(crate) fn size(map: &[Extent]) -> u64 {
    map.iter()
        .map(|e| u64::from(e.inside) + u64::from(e.count))
        .max()
        .unwrap_or(0)
}

/// The arguments of newuidmap/newgidmap after the pid.
pub(crate) fn helper_args(map: &[Extent]) -> Vec<String> {
    map.iter()
        .flat_map(|e| [e.inside, e.outside, e.count])
        .map(|n| n.to_string())
        .collect()
}

/// The rootless container's full map: the user and its subordinate ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct IdMap {
    pub(crate) newuidmap: PathBuf,
    pub(crate) newgidmap: PathBuf,
    pub(crate) uids: Vec<Extent>,
    pub(crate) gids: Vec<Extent>,
}

impl IdMap {
    /// A short text of the map, for the image's identity (a base layer
    /// made with other ids has other owners).
    pub(crate) fn describe(&self) -> String {
        let f = |m: &[Extent]| {
            m.iter()
                .map(|e| format!("{}:{}:{}", e.inside, e.outside, e.count))
                .collect::<Vec<_>>()
                .join(",")
        };
        format!("uids {} gids {}", f(&self.uids), f(&self.gids))
    }
}

/// Why the rootless container maps only the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lookup {
    Mapped(IdMap),
    /// Root needs no map.
    Root,
    /// Only the user is mapped, with the reason.
    Single(String),
}

fn find_helper(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/bin", "/usr/sbin", "/bin", "/sbin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn user_name(uid: u32) -> Option<String> {
    let mut buf = vec![0 as libc::c_char; 4096];
    // SAFETY: passwd is plain data; getpwuid_r fills it with pointers into
    // `buf`, which outlives their use below.
    unsafe {
        let mut pw: libc::passwd = std::mem::zeroed();
        let mut res: *mut libc::passwd = std::ptr::null_mut();
        let r = libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr(), buf.len(), &mut res);
        if r != 0 || res.is_null() || pw.pw_name.is_null() {
            return None;
        }
        Some(
            std::ffi::CStr::from_ptr(pw.pw_name)
                .to_string_lossy()
                .into_owned(),
        )
    }
}

fn read_ranges(
    file: &Path,
    name: &str,
    uid: u32,
    warn: &mut Vec<String>,
) -> Result<Vec<Range>, String> {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("reading {}: {e}", file.display())),
    };
    let (r, bad) = ranges(&text, name, uid);
    for b in bad {
        warn.push(format!(
            "{}:{}: a line for {name} is ignored: {}",
            file.display(),
            b.line,
            b.why
        ));
    }
    Ok(r)
}

/// The map of the invoking user: from /etc/subuid and /etc/subgid when
/// both give it a range and newuidmap and newgidmap are installed.
/// Malformed lines naming the user are returned as warnings.
pub(crate) fn lookup() -> (Lookup, Vec<String>) {
    let uid = super::namespaces::uid();
    let gid = super::namespaces::gid();
    let mut warn = Vec::new();
    if uid == 0 {
        return (Lookup::Root, warn);
    }
    let name = user_name(uid).unwrap_or_else(|| uid.to_string());
    let read = |f: &str, warn: &mut Vec<String>| read_ranges(Path::new(f), &name, uid, warn);
    let (subuid, subgid) = match (
        read("/etc/subuid", &mut warn),
        read("/etc/subgid", &mut warn),
    ) {
        (Ok(u), Ok(g)) => (u, g),
        (Err(e), _) | (_, Err(e)) => return (Lookup::Single(e), warn),
    };
    if subuid.is_empty() || subgid.is_empty() {
        let missing = if subuid.is_empty() {
            "/etc/subuid"
        } else {
            "/etc/subgid"
        };
        return (
            Lookup::Single(format!("{missing} gives {name} no range")),
            warn,
        );
    }
    let (Some(newuidmap), Some(newgidmap)) = (find_helper("newuidmap"), find_helper("newgidmap"))
    else {
        return (
            Lookup::Single("newuidmap/newgidmap are not installed (package uidmap)".into()),
            warn,
        );
    };
    (
        Lookup::Mapped(IdMap {
            newuidmap,
            newgidmap,
            uids: extents(uid, &subuid),
            gids: extents(gid, &subgid),
        }),
        warn,
    )
}

/// [`lookup`] once per process; its warnings printed once.
pub(crate) fn current() -> &'static Lookup {
    static ONCE: std::sync::OnceLock<Lookup> = std::sync::OnceLock::new();
    ONCE.get_or_init(|| {
        let (l, warn) = lookup();
        for w in warn {
            eprintln!("zerops-cache: warning: {w}");
        }
        l
    })
}

/// The map when the container maps subordinate ids.
pub(crate) fn mapped() -> Option<&'static IdMap> {
    match current() {
        Lookup::Mapped(m) => Some(m),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# ranges
alice:100000:65536
bob:165536:65536

1000:300000:10
alice:400000:5
carol:x:1
alice:abc:10
alice:500000
alice:600000:0
alice:4294967290:10
";

    #[test]
    fn every_line_of_the_user_by_name_or_uid_in_file_order() {
        let (r, bad) = ranges(FILE, "alice", 1000);
        assert_eq!(
            r,
            [
                Range {
                    start: 100000,
                    count: 65536
                },
                Range {
                    start: 300000,
                    count: 10
                },
                Range {
                    start: 400000,
                    count: 5
                },
            ]
        );
        let lines: Vec<_> = bad.iter().map(|b| (b.line, b.why.as_str())).collect();
        assert_eq!(
            lines,
            [
                (8, "START `abc` is not a number"),
                (9, "expected OWNER:START:COUNT"),
                (10, "COUNT is 0"),
                (11, "4294967290+10 is past the last id"),
            ]
        );
    }

    #[test]
    fn other_users_lines_are_neither_used_nor_checked() {
        let (r, bad) = ranges(FILE, "bob", 1001);
        assert_eq!(
            r,
            [Range {
                start: 165536,
                count: 65536
            }]
        );
        assert!(bad.is_empty(), "{bad:?}");
        let (r, bad) = ranges(FILE, "dave", 1002);
        assert!(r.is_empty() && bad.is_empty());
        // A name that is a prefix of another's is not that one.
        assert!(ranges("alice2:1:2\n", "alice", 7).0.is_empty());
    }

    #[test]
    fn the_map_puts_the_user_at_0_and_the_ranges_after_it() {
        let (r, _) = ranges(FILE, "alice", 1000);
        let m = extents(1000, &r);
        assert_eq!(
            m,
            [
                Extent {
                    inside: 0,
                    outside: 1000,
                    count: 1
                },
                Extent {
                    inside: 1,
                    outside: 100000,
                    count: 65536
                },
                Extent {
                    inside: 65537,
                    outside: 300000,
                    count: 10
                },
                Extent {
                    inside: 65547,
                    outside: 400000,
                    count: 5
                },
            ]
        );
        assert_eq!(size(&m), 65552);
        assert_eq!(
            helper_args(&m[..2]),
            ["0", "1000", "1", "1", "100000", "65536"]
        );
    }

    #[test]
    fn container_ids_stop_below_the_kernels_no_id() {
        let r = [
            Range {
                start: 10,
                count: u32::MAX - 100,
            },
            Range {
                start: 5,
                count: 1000,
            },
        ];
        let m = extents(1, &r);
        assert_eq!(size(&m), u64::from(u32::MAX) - 1);
        assert_eq!(m.len(), 3);
        assert_eq!(m[2].count, 98);
        // Nothing is left for a third range.
        let mut more = r.to_vec();
        more.push(Range { start: 1, count: 1 });
        assert_eq!(extents(1, &more).len(), 3);
    }
}
