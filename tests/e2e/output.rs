//! Command output: relayed in large writes, with nothing lost, every line
//! whole (a 4 MB line is not cut by the other stream), each stream in its
//! order, and a last line without newline kept.

use crate::build_support::Proj;

const LONG: usize = 4 << 20;

/// stdout writes a 4 MB line while stderr writes 500 lines at the same
/// time; then more lines on both, and a last stdout line with no newline.
#[test]
fn a_4mb_line_and_no_final_newline_lose_nothing_and_keep_order() {
    let script = format!(
        "{{ head -c {LONG} /dev/zero | tr '\\0' x; echo; }} & \
         i=0; while [ $i -lt 500 ]; do echo \"err $i\" >&2; i=$((i+1)); done; wait; \
         i=0; while [ $i -lt 500 ]; do echo \"out $i\"; echo \"late $i\" >&2; i=$((i+1)); done; \
         printf 'the end, no newline'"
    );
    let p = Proj::new(
        &format!(
            "zerops:
  - setup: app
    build:
      buildCommands:
        - |
          {script}
      deployFiles: ./
      cache: false
"
        ),
        &[("a.txt", "a\n")],
    );
    // With --format json the commands' output goes to stderr.
    let r = p.build(&["--isolation", "none"]);
    assert_eq!(
        r.code,
        0,
        "{}",
        &r.stderr[r.stderr.len().saturating_sub(2000)..]
    );
    let relayed: Vec<&str> = r
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .collect();
    let long = "x".repeat(LONG);
    assert_eq!(
        relayed.iter().filter(|l| **l == long).count(),
        1,
        "the 4 MB line, whole and once"
    );
    assert!(
        relayed.iter().all(|l| l.len() < 100 || *l == long),
        "no line was cut or glued to another"
    );
    for (stream, n) in [("err", 500), ("out", 500), ("late", 500)] {
        let got: Vec<&str> = relayed
            .iter()
            .copied()
            .filter(|l| l.starts_with(&format!("{stream} ")))
            .collect();
        let want: Vec<String> = (0..n).map(|i| format!("{stream} {i}")).collect();
        assert_eq!(got, want, "every {stream} line, in order");
    }
    // The long line and the first stderr lines came before the `wait`, so
    // before anything written after it.
    let at = |s: &str| relayed.iter().position(|l| *l == s).unwrap();
    let long_at = relayed.iter().position(|l| *l == long).unwrap();
    assert!(long_at < at("out 0") && at("err 499") < at("out 0"));
    // The last line of stdout, without its newline in the command, is kept
    // whole and ends with one (it is written when stdout ends, so a stderr
    // line may come after it).
    let stdout_last = relayed
        .iter()
        .rfind(|l| !l.starts_with("err ") && !l.starts_with("late "));
    assert_eq!(stdout_last, Some(&"the end, no newline"));
    assert!(r.stderr.contains("  the end, no newline\n"));
    assert_eq!(relayed.len(), 1 + 500 * 3 + 1);
}
