//! Every command size-checks the config before reading it (issue 11,
//! item 7): a 6 GiB sparse file, `/dev/zero` and a FIFO are refused
//! without being read, by `build`, `keys`, `plan`, `status`, `explain`
//! and `lint` alike.

use std::path::Path;
use std::process::Command;

use crate::build_support::Proj;
use crate::common::bin;
use crate::hostile_store::run_within;

const SUBS: [&str; 5] = ["build", "plan", "status", "invalidate", "keys"];

/// `zerops-cache SUB` in the project (with its store, for store commands).
fn sub_cmd(p: &Proj, sub: &str) -> Command {
    if sub == "keys" {
        let mut c = bin();
        c.current_dir(p.path()).arg("keys");
        c
    } else {
        p.cmd(sub, &[])
    }
}

/// Peak RSS in KiB of `cmd` (GNU time), with its exit code and stderr.
fn peak_rss(cmd: &Command) -> (i32, u64, String) {
    let mut t = Command::new("/usr/bin/time");
    t.arg("-f")
        .arg("RSS=%M")
        .arg(cmd.get_program())
        .args(cmd.get_args());
    if let Some(d) = cmd.get_current_dir() {
        t.current_dir(d);
    }
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            t.env(k, v);
        }
    }
    let out = t.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let rss = err
        .lines()
        .filter_map(|l| l.strip_prefix("RSS="))
        .next_back()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no RSS in: {err}"));
    (out.status.code().unwrap_or(-1), rss, err)
}

fn sparse(path: &Path, len: u64) {
    let f = std::fs::File::create(path).unwrap();
    f.set_len(len).unwrap();
}

#[test]
fn a_huge_config_is_refused_before_it_is_read() {
    for len in [100 << 20, 6 << 30] {
        let p = Proj::new("zerops: []\n", &[]);
        sparse(&p.path().join("zerops.yaml"), len);
        for sub in SUBS {
            let (code, rss, err) = peak_rss(&sub_cmd(&p, sub));
            assert_eq!(code, 3, "{sub}: {err}");
            assert!(
                err.contains("zerops.yaml") && err.contains("limit"),
                "{sub}: {err}"
            );
            assert!(
                rss < 100 * 1024,
                "{sub} used {rss} KiB for a {len}-byte file"
            );
        }
        let mut c = bin();
        c.current_dir(p.path()).args(["lint", "zerops.yaml"]);
        let (code, rss, err) = peak_rss(&c);
        assert_eq!(code, 1, "{err}");
        assert!(rss < 100 * 1024, "lint used {rss} KiB");
        let mut c = bin();
        c.current_dir(p.path())
            .args(["explain", "zerops.yaml", "zerops.yaml"]);
        let (code, _, err) = peak_rss(&c);
        assert_eq!(code, 3, "{err}");
        assert!(err.contains("limit"), "{err}");
    }
}

#[test]
fn dev_zero_and_fifos_are_not_opened() {
    let p = Proj::new("zerops: []\n", &[]);
    let cfg = p.path().join("zerops.yaml");
    std::fs::remove_file(&cfg).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &cfg).unwrap();
    for sub in SUBS {
        let r = run_within(sub_cmd(&p, sub), 60);
        assert_eq!(r.code, 3, "{sub}: {}", r.stderr);
        assert!(
            r.stderr.contains("not a regular file"),
            "{sub}: {}",
            r.stderr
        );
    }
    std::fs::remove_file(&cfg).unwrap();
    assert!(Command::new("mkfifo").arg(&cfg).status().unwrap().success());
    for sub in SUBS {
        let r = run_within(sub_cmd(&p, sub), 60);
        assert_eq!(r.code, 3, "{sub}: {}", r.stderr);
        assert!(r.stderr.contains("FIFO"), "{sub}: {}", r.stderr);
    }
    let mut c = bin();
    c.current_dir(p.path()).args(["lint", "zerops.yaml"]);
    let r = run_within(c, 60);
    assert_eq!(r.code, 3, "{}", r.stderr);
}
