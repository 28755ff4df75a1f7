//! The S3 endpoint's process killed (kill -9) while a build pushes: the
//! push's requests fail mid-upload (a reset, then writes to a closed
//! socket), and the build still exits 0 with its JSON summary and a
//! warning; never 141 (SIGPIPE), as it did when a write to the dead
//! connection raised the signal.

use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;

use crate::build_support::{Proj, yaml};
use crate::common::wait_until;
use crate::remote_support::Weed;

/// buildCommands: 24 MB that do not compress (3 packs), and small files.
const INSTALL: &str = "[ -d node_modules/a ] || { mkdir -p node_modules/a && \
    for i in 1 2 3 4 5 6; do head -c 4000000 /dev/urandom > node_modules/a/big$i.bin; done && \
    for i in $(seq 1 50); do echo \"m $i\" > node_modules/a/m$i.js; done; }";

#[test]
fn a_gateway_process_killed_mid_push_leaves_a_finished_build_with_its_summary() {
    // The gateway dies once it has read this much since the build began:
    // early in the first pack, in the second, in the last (24 MB in all).
    for (i, at) in [1u64 << 20, 9 << 20, 18 << 20].into_iter().enumerate() {
        let Some(mut w) = Weed::start("a_gateway_process_killed_mid_push") else {
            return;
        };
        let p = Proj::new(
            &yaml(
                &[&format!("echo {i} > \"$HOME/round\"")],
                &[INSTALL],
                "[node_modules]",
                "",
            ),
            &[],
        );
        let out = tempfile::tempdir().unwrap();
        let mut c = p.cmd("build", &["--format", "json", "--remote-timeout", "10s"]);
        w.env(&mut c, "k");
        c.stdin(Stdio::null())
            .stdout(std::fs::File::create(out.path().join("out")).unwrap())
            .stderr(std::fs::File::create(out.path().join("err")).unwrap());
        let before = w.read_bytes();
        let mut child = c.spawn().unwrap();
        let mut ended = None;
        wait_until(&format!("the gateway to read {at} bytes"), 180, || {
            ended = child.try_wait().unwrap();
            ended.is_some() || w.read_bytes() >= before + at
        });
        let text = |n: &str| std::fs::read_to_string(out.path().join(n)).unwrap();
        assert!(
            ended.is_none(),
            "the build ended before the gateway read {at} bytes:\n{}\n{}",
            text("out"),
            text("err")
        );
        w.stop();
        let status = child.wait().unwrap();
        let (stdout, stderr) = (text("out"), text("err"));
        assert_eq!(
            status.signal(),
            None,
            "killed by a signal (13: SIGPIPE) at {at}:\n{stdout}\n{stderr}"
        );
        assert_eq!(status.code(), Some(0), "at {at}:\n{stdout}\n{stderr}");
        let s: serde_json::Value = serde_json::from_str(stdout.trim().lines().last().unwrap())
            .unwrap_or_else(|e| panic!("no JSON summary ({e}):\n{stdout}\n{stderr}"));
        assert_eq!(s["ok"], true, "{s}");
        assert!(
            s["remote"]["warnings"].to_string().contains("pushing"),
            "{s}"
        );
        // The small base layer may be out before the gateway dies; the
        // build layer is not.
        assert!(
            !s["remote"]["published"].to_string().contains("build"),
            "{s}"
        );
    }
}
