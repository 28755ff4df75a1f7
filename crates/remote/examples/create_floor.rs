//! The floor of a pull that materializes files (issue 28): how long it takes
//! to create the files of a tree, with their bytes already in memory, on a
//! given filesystem, with the fewest system calls: `mkdirat` per directory,
//! then per file `openat(dirfd, name, O_CREAT|O_EXCL)`, one `write`, and
//! `close` (and `futimens` when the mtime is kept, as a pull and `tar -x`
//! do). No hashing, no decompression, no network: nothing a real pull can
//! skip is left out, and nothing it must do is added.
//!
//! Usage: `create_floor SRC WORK` — reads the tree at SRC into memory
//! (untimed), then creates it afresh under WORK (which must be on the
//! filesystem to measure) several ways, each timed, and prints one JSON line
//! of milliseconds. bench/remote.sh runs it on the tree its baseline pull
//! just unpacked, in the same run.

use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{Mode, OFlags, Timespec, Timestamps, UTIME_OMIT};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Instant;

struct Dir {
    parent: usize,
    name: String,
}

struct File {
    parent: usize,
    name: String,
    mode: u32,
    mtime: (i64, i64),
    bytes: Vec<u8>,
}

struct Tree {
    /// Index 0 is the root itself.
    dirs: Vec<Dir>,
    files: Vec<File>,
}

fn load(root: &Path) -> std::io::Result<Tree> {
    let mut t = Tree {
        dirs: vec![Dir {
            parent: 0,
            name: String::new(),
        }],
        files: Vec::new(),
    };
    let mut stack: Vec<(usize, PathBuf)> = vec![(0, root.to_path_buf())];
    while let Some((di, path)) = stack.pop() {
        let mut names: Vec<_> = std::fs::read_dir(&path)?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<Result<_, _>>()?;
        names.sort();
        for n in names {
            let p = path.join(&n);
            let md = std::fs::symlink_metadata(&p)?;
            let name = n.to_string_lossy().into_owned();
            if md.is_dir() {
                t.dirs.push(Dir { parent: di, name });
                stack.push((t.dirs.len() - 1, p));
            } else if md.is_file() {
                t.files.push(File {
                    parent: di,
                    name,
                    mode: md.permissions().mode() & 0o777,
                    mtime: (md.mtime(), md.mtime_nsec()),
                    bytes: std::fs::read(&p)?,
                });
            }
        }
    }
    Ok(t)
}

/// Makes the directories (parents come before children in `dirs`); their
/// handles, by index.
fn make_dirs(t: &Tree, root: &Path) -> std::io::Result<Vec<OwnedFd>> {
    std::fs::create_dir(root)?;
    let mut fds = vec![rustix::fs::open(
        root,
        OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?];
    for d in &t.dirs[1..] {
        let parent = fds[d.parent].as_fd();
        rustix::fs::mkdirat(parent, d.name.as_str(), Mode::from_raw_mode(0o700))?;
        fds.push(rustix::fs::openat(
            parent,
            d.name.as_str(),
            OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
            Mode::empty(),
        )?);
    }
    Ok(fds)
}

fn make_files(
    t: &Tree,
    fds: &[OwnedFd],
    mtime: bool,
    threads: usize,
    me: usize,
) -> std::io::Result<()> {
    for f in t.files.iter().skip(me).step_by(threads) {
        let fd = rustix::fs::openat(
            fds[f.parent].as_fd(),
            f.name.as_str(),
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(f.mode),
        )?;
        let mut left = &f.bytes[..];
        while !left.is_empty() {
            let n = rustix::io::write(&fd, left)?;
            left = &left[n..];
        }
        if mtime {
            let times = Timestamps {
                last_access: Timespec {
                    tv_sec: 0,
                    tv_nsec: UTIME_OMIT,
                },
                last_modification: Timespec {
                    tv_sec: f.mtime.0,
                    tv_nsec: f.mtime.1,
                },
            };
            rustix::fs::futimens(&fd, &times)?;
        }
    }
    Ok(())
}

/// Directory modes and mtimes are left as made: a pull sets them too, but
/// they are a few thousand calls against the files' tens of thousands.
fn create(t: &Tree, root: &Path, mtime: bool, threads: usize) -> std::io::Result<f64> {
    let start = Instant::now();
    let fds = make_dirs(t, root)?;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|me| {
                let fds = &fds;
                s.spawn(move || make_files(t, fds, mtime, threads, me))
            })
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().expect("a creating thread panicked"))
    })?;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    Ok(ms)
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, src, work] = &args[..] else {
        eprintln!("usage: create_floor SRC WORK");
        std::process::exit(2);
    };
    let t = load(Path::new(src))?;
    let bytes: usize = t.files.iter().map(|f| f.bytes.len()).sum();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let ways = [
        ("create_write_close_1_thread", false, 1),
        ("with_mtime_1_thread", true, 1),
        ("with_mtime_all_cores", true, cores),
        ("create_write_close_all_cores", false, cores),
    ];
    let mut out = vec![
        format!("\"files\": {}", t.files.len()),
        format!("\"dirs\": {}", t.dirs.len() - 1),
        format!("\"bytes\": {bytes}"),
        format!("\"cores\": {cores}"),
    ];
    for (i, (name, mtime, threads)) in ways.into_iter().enumerate() {
        let root = Path::new(work).join(format!("floor-{i}"));
        // Each way starts with nothing dirty in the page cache (what the
        // previous one wrote and removed is on disk), untimed.
        rustix::fs::sync();
        let ms = create(&t, &root, mtime, threads)?;
        out.push(format!("\"{name}_ms\": {ms:.1}"));
    }
    // Nothing is removed here (WORK is the caller's): ext4 without a journal
    // allocates inodes more slowly for minutes after many were freed, which
    // would slow down whatever creates files next.
    println!("{{{}}}", out.join(", "));
    Ok(())
}
