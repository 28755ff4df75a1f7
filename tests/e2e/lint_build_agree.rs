//! `lint` and `build` give a file the same verdict (issue 11, item 9):
//! a deployFiles path the build refuses is a lint error, and a cache path
//! outside the source, a lint error, is refused by the build too.

use crate::build_support::{Proj, yaml};
use crate::common::{bin, run};

fn lint(p: &Proj) -> (i32, String) {
    let mut c = bin();
    c.current_dir(p.path()).args(["lint", "--no-tree"]);
    let (code, out, _) = run(&mut c);
    (code, out)
}

fn with_deploy(deploy: &str) -> Proj {
    Proj::new(
        &yaml(&[], &["true"], "false", "")
            .replace("deployFiles: ./", &format!("deployFiles: {deploy}")),
        &[],
    )
}

#[test]
fn deploy_files_the_build_refuses_are_lint_errors() {
    for deploy in ["../", "/etc/passwd"] {
        let p = with_deploy(deploy);
        let (code, out) = lint(&p);
        assert_eq!(code, 1, "{deploy}: {out}");
        assert!(
            out.contains("deploy-files-outside-source"),
            "{deploy}: {out}"
        );
        let r = p.build(&[]);
        assert_ne!(r.code, 0, "{deploy}: the build accepted it");
        assert!(
            r.stderr.contains(deploy.trim_end_matches('/')),
            "{deploy}: {}",
            r.stderr
        );
    }
    // `/` is the project root for both (zcli joins it to the project).
    let p = with_deploy("/");
    assert_eq!(lint(&p).0, 0);
    assert_eq!(p.build(&[]).code, 0);
    assert!(p.setup_store().join("versions/1/zerops.yaml").exists());
}

#[test]
fn a_cache_path_outside_the_source_is_refused_by_build_as_by_lint() {
    let p = Proj::new(&yaml(&[], &["true"], "[node_modules, ../outside]", ""), &[]);
    let (code, out) = lint(&p);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("cache-outside-source"), "{out}");
    let r = p.build(&[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("zerops.yaml:") && r.stderr.contains("cache-outside-source"),
        "{}",
        r.stderr
    );
}
