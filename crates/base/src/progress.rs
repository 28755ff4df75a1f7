//! Progress for long moves and commands, on a terminal only (indicatif
//! draws on stderr); elsewhere every bar is hidden and output stays plain
//! lines.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// Batches smaller than this get no bar: they finish before it would draw.
pub const MIN_MOVES: usize = 500;

/// Whether bars are drawn: stderr is a terminal and output is for people.
pub fn enabled(json: bool) -> bool {
    !json && std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// A bar over `len` moves, or a hidden one.
pub fn moves(on: bool, len: usize, what: &str) -> ProgressBar {
    if !on || len < MIN_MOVES {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len as u64);
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({elapsed})") {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(what.to_string());
    pb
}

/// A spinner naming a running command, or a hidden one.
pub fn command(on: bool, headline: &str) -> ProgressBar {
    if !on {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        pb.set_style(style);
    }
    pb.set_message(headline.to_string());
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}
