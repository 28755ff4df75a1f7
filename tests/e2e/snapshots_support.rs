//! Output snapshots of the CLI (insta, as uv does): what a person and a
//! program see, byte for byte, with what changes between runs and machines
//! filtered out: temporary paths, timings, sizes, digests, timestamps and
//! pids. Every snapshot runs the commands on the host (`--isolation none`)
//! so it does not depend on namespaces or the host's OS image.
//!
//! This module has the filters and the runner, and the snapshots of the
//! commands around a build: `status`, `plan`, `versions`, `explain`, `keys`.
//! Bless changes with `INSTA_UPDATE=always cargo test -p zerops-cache
//! --test e2e snapshots_` (or `cargo insta review`), and read the diff.

use std::path::Path;
use std::process::Command;

use crate::build_support::{INSTALL, PREPARE, Proj, yaml};
use crate::common::bin;

/// A regex matching `p` literally (temporary paths are plain ASCII).
fn literal(p: &Path) -> String {
    let mut out = String::new();
    for c in p.display().to_string().chars() {
        if c.is_ascii_alphanumeric() || c == '/' || c == '_' || c == '-' {
            out.push(c);
        } else {
            out.push('\\');
            out.push(c);
        }
    }
    out
}

/// The filters, most specific first (insta applies them in order).
pub fn filters() -> Vec<(String, String)> {
    let tmp = std::env::temp_dir();
    let mut tmps = vec![literal(&tmp)];
    if let Ok(c) = tmp.canonicalize()
        && c != tmp
    {
        tmps.push(literal(&c));
    }
    let mut f: Vec<(String, String)> = Vec::new();
    for t in &tmps {
        f.push((format!(r"{t}/zc-store\w+"), "[STORE]".into()));
        f.push((format!(r"{t}/zc-proj\w+"), "[PROJECT]".into()));
        f.push((format!(r"{t}/\.tmp\w+"), "[TEMP]".into()));
    }
    for (re, to) in [
        // A store's directory is named after the project identity: a test
        // repository's root commit (its hash changes with the clock), or
        // before identities the path and its digest.
        (r"\bgit-[0-9a-f]{12}\b", "[PROJECT-ID]"),
        (r"zc-proj\w+-[0-9a-f]{12}", "[PROJECT-DIR]"),
        (r"\b[0-9a-f]{64}\b", "[DIGEST]"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[TIMESTAMP]"),
        (r"\b\d+ (seconds?|minutes?|hours?|days?)\b", "[TIME]"),
        (r"\b\d+(\.\d+)? ?(ms|s)\b", "[TIME]"),
        (r"\s+\d+(\.\d+)? ?(B|KiB|MiB|GiB|bytes)\b", " [SIZE]"),
        (r"\(\d+(\.\d+)? ?(B|KiB|MiB|GiB)\)", "([SIZE])"),
        // repair's aside directory is named after the time.
        (r"broken/\d+(\.\d+)?", "broken/[TIME]"),
        (r#""(duration_ms|renames)":\d+"#, r#""$1":"[N]""#),
        (r#""bytes":\d+"#, r#""bytes":"[SIZE]""#),
        (r#""(phases|phases_us)":\{[^}]*\}"#, r#""$1":{[PHASES]}"#),
        (r"\bpid \d+", "pid [PID]"),
        // The host's OS image is named after the machine's OS release;
        // an image's identity is a digest of what it is.
        (
            r"host-root [^#\n]+ #[0-9a-f]{16}\b",
            "host-root [HOST-OS] #[IMAGE-ID]",
        ),
        (r"#[0-9a-f]{16}\b", "#[IMAGE-ID]"),
        // A layer key's short form (`remote ls`): the key covers the image.
        (r"\b[0-9a-f]{12}\b", "[KEY]"),
        // Compressed and transferred sizes depend on the zstd build.
        (
            r"\(\d+(\.\d+)? ?(B|KiB|MiB|GiB) stored\)",
            "([SIZE] stored)",
        ),
        (r"\(\d+(\.\d+)? ?(B|KiB|MiB|GiB|bytes)\b", "([SIZE]"),
    ] {
        f.push((re.to_string(), to.to_string()));
    }
    f
}

/// Runs `cmd` and renders its exit code, stdout and stderr, filtered, for
/// a snapshot.
pub fn output(cmd: &mut Command) -> String {
    let o = cmd.output().expect("running zerops-cache");
    format!(
        "exit code: {}\n----- stdout -----\n{}\n----- stderr -----\n{}",
        o.status
            .code()
            .map_or("a signal".to_string(), |c| c.to_string()),
        String::from_utf8_lossy(&o.stdout).trim_end(),
        String::from_utf8_lossy(&o.stderr).trim_end(),
    )
}

/// `assert_snapshot!` of a command's [`output`] with the [`filters`].
#[macro_export]
macro_rules! cli_snapshot {
    ($name:expr, $cmd:expr) => {{
        let mut settings = insta::Settings::clone_current();
        for (re, to) in $crate::snapshots_support::filters() {
            settings.add_filter(&re, to);
        }
        settings.set_prepend_module_to_snapshot(true);
        settings.bind(|| {
            insta::assert_snapshot!($name, $crate::snapshots_support::output($cmd));
        });
    }};
}

/// `assert_snapshot!` of `text` (a message or output the test already
/// holds, e.g. a JSON summary's `error`) with the [`filters`].
#[macro_export]
macro_rules! text_snapshot {
    ($name:expr, $text:expr) => {
        $crate::text_snapshot!($name, $text, &[])
    };
    // `$extra`: (regex, replacement) pairs for what only this output has,
    // applied after the common filters.
    ($name:expr, $text:expr, $extra:expr) => {{
        let mut settings = insta::Settings::clone_current();
        for (re, to) in $crate::snapshots_support::filters() {
            settings.add_filter(&re, to);
        }
        let extra: &[(&str, &str)] = $extra;
        for (re, to) in extra {
            settings.add_filter(re, *to);
        }
        settings.set_prepend_module_to_snapshot(true);
        settings.bind(|| {
            insta::assert_snapshot!($name, $text);
        });
    }};
}

/// A run the test already made, rendered as [`output`] renders one.
pub fn ran(r: &crate::build_support::Ran) -> String {
    format!(
        "exit code: {}\n----- stdout -----\n{}\n----- stderr -----\n{}",
        r.code,
        r.stdout.trim_end(),
        r.stderr.trim_end(),
    )
}

/// A build summary's remote warnings, one a line (what the build prints).
pub fn remote_warnings(summary: &serde_json::Value) -> String {
    summary["remote"]["warnings"]
        .as_array()
        .map(|w| {
            w.iter()
                .map(|l| l.as_str().map_or_else(|| l.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// Extra filters for `remote gc`: which packs two pushes share depends on
/// how the parallel push filled them, so the count of unreferenced packs
/// (and of objects removed) varies from run to run.
pub const GC_PACKS: &[(&str, &str)] = &[
    (
        r"(removing v1/packs/\[DIGEST\] \(\[SIZE\]\): a pack that no kept manifest references\n)+",
        "removing [N] packs that no kept manifest references\n",
    ),
    (r"removed \d+ objects?,", "removed [N] objects,"),
];

/// The lines of `text` that contain `needle`: one message out of a whole
/// build's output (which also holds the commands' output and timings).
pub fn lines_with(text: &str, needle: &str) -> String {
    text.lines()
        .filter(|l| l.contains(needle))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The node project of the build tests: a prepare step, an install, one
/// cache path.
pub fn node() -> Proj {
    Proj::new(
        &yaml(&[PREPARE], &[INSTALL], "[node_modules]", ""),
        &[
            ("package.json", "{}\n"),
            ("src/index.js", "console.log(1)\n"),
        ],
    )
}

/// `SUB --store STORE --isolation none ARGS` in the project.
pub fn host_cmd(p: &Proj, sub: &str, args: &[&str]) -> Command {
    let mut a = vec!["--isolation", "none"];
    a.extend_from_slice(args);
    p.cmd(sub, &a)
}

#[test]
fn status_before_and_after_builds() {
    let p = node();
    cli_snapshot!("status_no_store", &mut host_cmd(&p, "status", &[]));
    p.run("build", &["--isolation", "none"]);
    cli_snapshot!("status_after_cold", &mut host_cmd(&p, "status", &[]));
    cli_snapshot!(
        "status_json",
        &mut host_cmd(&p, "status", &["--format", "json"])
    );
}

#[test]
fn plan_of_a_warm_build() {
    let p = node();
    p.run("build", &["--isolation", "none"]);
    cli_snapshot!("plan_warm", &mut host_cmd(&p, "plan", &[]));
    cli_snapshot!(
        "plan_warm_json",
        &mut host_cmd(&p, "plan", &["--format", "json"])
    );
}

#[test]
fn versions_after_two_builds() {
    let p = node();
    p.run("build", &["--isolation", "none"]);
    p.run("build", &["--isolation", "none"]);
    cli_snapshot!("versions", &mut p.cmd("versions", &[]));
    cli_snapshot!(
        "versions_json",
        &mut p.cmd("versions", &["--format", "json"])
    );
}

const OLD: &str = "zerops:\n  - setup: app\n    build:\n      base: nodejs@20\n      prepareCommands:\n        - apk add git\n      buildCommands:\n        - npm ci\n      deployFiles: ./\n      cache: [node_modules]\n";
const NEW: &str = "zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      prepareCommands:\n        - apk add git\n      buildCommands:\n        - npm ci\n      deployFiles: ./\n      cache: [node_modules, .next/cache]\n";

fn explain_dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("old.yaml"), OLD).unwrap();
    std::fs::write(d.path().join("new.yaml"), NEW).unwrap();
    d
}

#[test]
fn explain_a_base_change() {
    let d = explain_dir();
    let explain = |args: &[&str]| {
        let mut c = bin();
        c.current_dir(d.path()).arg("explain").args(args);
        c
    };
    cli_snapshot!("explain_text", &mut explain(&["old.yaml", "new.yaml"]));
    cli_snapshot!(
        "explain_verbose",
        &mut explain(&["old.yaml", "new.yaml", "-v"])
    );
    cli_snapshot!(
        "explain_json",
        &mut explain(&["old.yaml", "new.yaml", "--format", "json"])
    );
}

#[test]
fn keys_of_a_setup() {
    let d = explain_dir();
    let keys = |args: &[&str]| {
        let mut c = bin();
        c.current_dir(d.path()).arg("keys").args(args);
        c
    };
    cli_snapshot!("keys_text", &mut keys(&["new.yaml"]));
    cli_snapshot!("keys_json", &mut keys(&["new.yaml", "--format", "json"]));
}
