//! The layer record reader and the decision over arbitrary bytes: no panic
//! (in the component a panic is a trap that blocks every command).
#![no_main]

use libfuzzer_sys::fuzz_target;
use zerops_cache_policy::{decide, explain, record::LayerRecord};

const SRC: &str = "zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      cache: [node_modules]\n";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = LayerRecord::from_json(text);
    let snap = explain::current_of(SRC, None).expect("the config parses");
    let d = decide::decide_json(Some(text), &snap);
    assert!(d.base.invalidated || d.base.reasons.is_empty());
});
