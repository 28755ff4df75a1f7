//! `.deployignore` matching is bounded (issue 11, item 6): the exact inputs
//! of the issue (ten `**` over a 25-deep tree, 2000 × `**/`) build quickly,
//! and `lint` reports `.deployignore` problems.

use std::time::Instant;

use crate::build_support::{Proj, yaml};
use crate::hostile_store::run_within;

fn deep_tree() -> String {
    let dirs: Vec<String> = (0..25).map(|i| format!("d{i}")).collect();
    format!("mkdir -p {0} && echo y > {0}/y", dirs.join("/"))
}

#[test]
fn repeated_double_stars_match_in_bounded_time() {
    for ignore in [
        "**/**/**/**/**/**/**/**/**/**/z\n".to_string(),
        format!("{}z\n", "**/".repeat(2000)),
    ] {
        let p = Proj::new(
            &yaml(&[], &[&deep_tree()], "false", ""),
            &[(".deployignore", &ignore)],
        );
        let t = Instant::now();
        let r = run_within(p.cmd("build", &["--format", "json"]), 120);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(t.elapsed().as_secs() < 30, "took {:?}", t.elapsed());
        let v = p.setup_store().join("versions/1");
        let deep: std::path::PathBuf = (0..25).map(|i| format!("d{i}")).collect();
        assert!(
            v.join(deep).join("y").exists(),
            "nothing matched `z`, y is deployed"
        );
        // lint names the repeated `**` (a warning, exit 0).
        let r = run_within(
            {
                let mut c = crate::common::bin();
                c.current_dir(p.path()).args(["lint", "--format", "json"]);
                c
            },
            60,
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            r.stdout.contains("deployignore-repeated-double-star"),
            "{}",
            r.stdout
        );
        assert!(r.stdout.contains(".deployignore"), "{}", r.stdout);
    }
}

#[test]
fn lint_reports_deployignore_problems() {
    let p = Proj::new(
        &yaml(&[], &["true"], "false", ""),
        &[(".deployignore", "build/\n!build/keep.txt\n!\n")],
    );
    let mut c = crate::common::bin();
    c.current_dir(p.path()).arg("lint");
    let r = run_within(c, 60);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("deployignore-reinclude-under-ignored")
            && r.stdout.contains("deployignore-matches-nothing"),
        "{}",
        r.stdout
    );
    std::fs::write(p.path().join(".deployignore"), b"a\n\xff\n").unwrap();
    let mut c = crate::common::bin();
    c.current_dir(p.path()).arg("lint");
    let r = run_within(c, 60);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("deployignore-invalid-utf8"),
        "{}",
        r.stdout
    );
    // The build refuses it too, naming it.
    let r = p.build(&[]);
    assert_eq!(r.code, 3, "a config error: {}", r.stderr);
    assert!(
        r.stderr.contains(".deployignore is not UTF-8"),
        "{}",
        r.stderr
    );
}
