//! `.deployignore` parsing, matching and linting over arbitrary input: no
//! panic, and matching stays fast (libFuzzer's -timeout catches a blow-up).
#![no_main]

use libfuzzer_sys::fuzz_target;
use zerops_cache_policy::lint::deployignore;
use zerops_cache_policy::plan::gitignore::Ignore;

fuzz_target!(|data: &[u8]| {
    let _ = deployignore::check(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The first line is the path, the rest the ignore file.
    let (path, rules) = text.split_once('\n').unwrap_or((text, ""));
    let ig = Ignore::parse(rules);
    let _ = ig.is_ignored(path, true);
    let _ = ig.is_ignored(path, false);
});
