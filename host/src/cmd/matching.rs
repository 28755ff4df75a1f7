//! `zerops-cache match`: test cache path patterns (Go's `filepath.Match`)
//! through the policy component.
//!
//! - `match PATTERN PATH...` prints the paths that match, one per line.
//!   Exit 0 if any matched, 1 if none did, 2 if the pattern is malformed
//!   (anywhere in it: the whole pattern is checked first).
//! - `match --batch` reads JSON lines `{"pattern": "...", "path": "..."}`
//!   on stdin and writes one line per input line, in order, exactly one of
//!   `{"matched": true}`, `{"matched": false}` or
//!   `{"error": "syntax error in pattern"}`: Go's `filepath.Match` answer
//!   (which, like Go, does not report a malformed part of a pattern after a
//!   part that already failed). Other tools rely on these bytes. A line that
//!   is not such a request is answered `{"error": "invalid request: ..."}`
//!   and makes the exit code 2; otherwise the exit code is 0. Answers are
//!   flushed as soon as the input read so far is answered, so a client may
//!   send one line and wait for its answer.

use anyhow::{Context, Result};
use serde::Deserialize;
use std::io::{BufRead, BufReader, BufWriter, Write};
use zerops_cache_contract::pattern::batch_line;

use zerops_cache_base::exit::Exit;
use zerops_cache_component::component::PolicyHost;

#[derive(Debug, clap::Args)]
pub struct MatchArgs {
    /// Answer JSON lines {"pattern": "...", "path": "..."} from stdin, one
    /// JSON line each: {"matched": true}, {"matched": false} or
    /// {"error": "syntax error in pattern"}.
    #[arg(long, conflicts_with_all = ["pattern", "paths", "zerops", "explain"])]
    pub(crate) batch: bool,
    /// Apply the Zerops normalization to the pattern first (`./x/` is `x`).
    #[arg(long)]
    pub(crate) zerops: bool,
    /// Print every path with its verdict, and why a path does not match.
    #[arg(long)]
    pub(crate) explain: bool,
    /// The pattern, in Go `filepath.Match` syntax.
    #[arg(required_unless_present = "batch")]
    pub(crate) pattern: Option<String>,
    /// The paths to test, relative like cache paths (`node_modules/x`).
    #[arg(required_unless_present = "batch")]
    pub(crate) paths: Vec<String>,
}

/// Requests per component call in `--batch` (at most; fewer when the input
/// read so far holds fewer complete lines).
const BATCH: usize = 4096;

pub fn run(args: MatchArgs) -> Result<Exit> {
    let host = PolicyHost::load()?;
    if args.batch {
        let stdin = std::io::stdin().lock();
        let stdout = std::io::stdout().lock();
        return batch(&host, stdin, stdout);
    }
    let pattern = args.pattern.expect("clap requires it");
    let pattern = if args.zerops {
        host.normalize_pattern(&pattern)?
    } else {
        pattern
    };
    if let Err(e) = host.validate_pattern(&pattern)? {
        eprintln!(
            "error: syntax error in pattern `{pattern}` at column {}: {}",
            e.column, e.message
        );
        return Ok(Exit::Usage);
    }
    let requests: Vec<(String, String)> = args
        .paths
        .iter()
        .map(|p| (pattern.clone(), p.clone()))
        .collect();
    let answers = host.is_match_many(&requests)?;
    let mut out = std::io::stdout().lock();
    let mut any = false;
    for (path, answer) in args.paths.iter().zip(answers) {
        // validate() passed, so Go cannot report an error here.
        let matched = answer.is_ok_and(|m| m);
        any |= matched;
        if args.explain {
            if matched {
                writeln!(out, "match     {path}")?;
            } else {
                match host.explain_mismatch(&pattern, path)? {
                    Some(why) => writeln!(out, "no match  {path}: {why}")?,
                    None => writeln!(out, "no match  {path}")?,
                }
            }
        } else if matched {
            writeln!(out, "{path}")?;
        }
    }
    out.flush()?;
    Ok(if any { Exit::Ok } else { Exit::Findings })
}

#[derive(Debug, Deserialize)]
struct Request {
    pattern: String,
    path: String,
}

enum Slot {
    /// Index into the requests of this round.
    Ask(usize),
    /// The answer line for an input line that is not a request.
    Invalid(String),
}

fn invalid(why: &str) -> String {
    let msg = serde_json::to_string(&format!("invalid request: {why}")).expect("a string");
    format!("{{\"error\": {msg}}}")
}

/// The `--batch` loop, over any reader and writer (tests drive it directly).
pub(crate) fn batch(host: &PolicyHost, input: impl BufRead, output: impl Write) -> Result<Exit> {
    let mut input = BufReader::new(input);
    let mut out = BufWriter::new(output);
    let mut bad_lines = false;
    let mut line = Vec::new();
    loop {
        let mut slots = Vec::new();
        let mut requests: Vec<(String, String)> = Vec::new();
        // One blocking read, then whatever complete lines are already buffered.
        loop {
            line.clear();
            let n = input
                .read_until(b'\n', &mut line)
                .context("reading requests from stdin")?;
            if n == 0 {
                break;
            }
            match serde_json::from_slice::<Request>(&line) {
                Ok(r) => {
                    slots.push(Slot::Ask(requests.len()));
                    requests.push((r.pattern, r.path));
                }
                Err(e) => {
                    bad_lines = true;
                    slots.push(Slot::Invalid(invalid(&format!(
                        "want {{\"pattern\": string, \"path\": string}} ({e})"
                    ))));
                }
            }
            if slots.len() >= BATCH || !input.buffer().contains(&b'\n') {
                break;
            }
        }
        if slots.is_empty() {
            break;
        }
        let answers = if requests.is_empty() {
            Vec::new()
        } else {
            host.is_match_many(&requests)?
        };
        for slot in &slots {
            match slot {
                Slot::Ask(i) => {
                    let a = answers[*i].as_ref().map(|m| *m).map_err(|e| e.error);
                    writeln!(out, "{}", batch_line(a))?;
                }
                Slot::Invalid(l) => writeln!(out, "{l}")?,
            }
        }
        out.flush().context("writing answers to stdout")?;
    }
    Ok(if bad_lines { Exit::Usage } else { Exit::Ok })
}
