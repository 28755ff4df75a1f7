//! Layer keys: stable digests of the inputs that decide whether the build
//! cache of a setup can be reused.
//!
//! Zerops invalidates both cache layers when any of `build.os`, `build.base`,
//! `build.prepareCommands` or `build.cache` changes (spec §4.6). The base-layer
//! key is therefore a digest of exactly those four fields, normalized so that
//! spellings with the same meaning give the same key; the build-layer key is
//! derived from the base-layer key, because the layers are coupled.
//!
//! # Normalization (key version `zerops-cache/layer-key/v1`)
//!
//! | written | normalized |
//! |---|---|
//! | `os` absent, null or empty | `"alpine"` |
//! | `base: x` | `["x"]` |
//! | `base`, `prepareCommands` absent or null | `[]` |
//! | `cache` absent or null | `false` |
//! | `cache: x` | `["x"]` |
//! | `cache: []` | `false` (it names nothing, exactly like `false`) |
//! | a cache pattern `./x`, `x/`, `./x/` | `"x"` (leading `./` and trailing `/` are dropped, repeatedly; `.` and `./` alone are `""`) |
//!
//! Lists stay in the order written (order-sensitive) and keep duplicates;
//! every other string (os, base items, commands) is taken byte for byte.
//!
//! # Canonical encoding
//!
//! The base-layer key is the lowercase hex SHA-256 of the UTF-8 bytes of one
//! JSON object, written without any whitespace, with its keys in this fixed
//! (lexicographic) order:
//!
//! ```text
//! {"base":[..],"cache":false|true|[..],"os":"..","prepareCommands":[..],"v":"zerops-cache/layer-key/v1"}
//! ```
//!
//! Strings are escaped as in RFC 8785 (JCS): `"` as `\"`, `\` as `\\`,
//! U+0008/09/0A/0C/0D as `\b`/`\t`/`\n`/`\f`/`\r`, any other character below
//! U+0020 as `\u00xx` (lowercase hex), everything else as literal UTF-8.
//!
//! The build-layer key is the lowercase hex SHA-256 of
//!
//! ```text
//! {"base":"<base-layer key>","v":"zerops-cache/build-layer-key/v1"}
//! ```
//!
//! Any change to the normalization or the encoding must bump the version tag,
//! since it changes keys on every host and so invalidates every stored cache.

use crate::model::{Build, Cache};
use sha2::{Digest, Sha256};

pub use zerops_cache_contract::keys::{
    BASE_KEY_VERSION, BUILD_KEY_VERSION, CacheSpec, DEFAULT_OS, LayerInputs, LayerKeys,
};

/// The one normalization of the `cache` field, for the keys and for
/// preserve alike (so they cannot disagree about what it selects): absent,
/// `false` and `[]` are `All(false)`; patterns are normalized
/// ([`normalize_pattern`]: `./x/` is `x`), in the order written.
pub fn cache_spec(cache: Option<&Cache>) -> CacheSpec {
    match cache {
        None => CacheSpec::All(false),
        Some(Cache::Bool(v)) => CacheSpec::All(*v),
        Some(Cache::Paths(p)) if p.is_empty() => CacheSpec::All(false),
        Some(Cache::Paths(p)) => {
            CacheSpec::Patterns(p.iter().map(|s| normalize_pattern(&s.value)).collect())
        }
    }
}

/// Normalizes one cache pattern: Zerops' documented equivalence of
/// `./node_modules`, `node_modules` and `node_modules/` (spec §4.5).
///
/// - a leading `./` is removed, repeatedly and with any extra slashes
///   (`././x`, `.//x` → `x`); `.` and `./` alone become `""`;
/// - a trailing `/` is removed, repeatedly (`x//` → `x`), also when escaped
///   (`x\/` → `x`); a lone `/` stays `/`.
///
/// Nothing else changes (`a//b`, `a/./b`, `..` stay as written).
///
/// Implemented by [`crate::pattern::normalize`]; keys depend on it, so a
/// change there must bump the key version.
pub(crate) fn normalize_pattern(pattern: &str) -> String {
    crate::pattern::normalize(pattern)
}

/// The key rules on [`LayerInputs`] (the type is the contract's; how it is
/// normalized and digested is the policy's).
pub trait InputsRules: Sized {
    /// The normalized inputs of a (resolved) `build` section; `None` is a
    /// setup without `build`, which gets the defaults.
    fn from_build(build: Option<&Build>) -> Self;
    /// The exact bytes hashed into the base-layer key (see the module docs).
    fn canonical_bytes(&self) -> Vec<u8>;
    /// The base-layer key.
    fn base_key(&self) -> String;
    /// Both keys.
    fn keys(&self) -> LayerKeys;
}

impl InputsRules for LayerInputs {
    /// The normalized inputs of a (resolved) `build` section; `None` is a
    /// setup without `build`, which gets the defaults.
    fn from_build(build: Option<&Build>) -> LayerInputs {
        let Some(b) = build else {
            return LayerInputs::default();
        };
        let os =
            b.os.as_ref()
                .map(|o| o.value.clone())
                .filter(|o| !o.is_empty())
                .unwrap_or_else(|| DEFAULT_OS.to_string());
        let cache = cache_spec(b.cache.as_ref().map(|c| &c.value));
        LayerInputs {
            os,
            base: b.base.iter().map(|s| s.value.clone()).collect(),
            prepare_commands: b.prepare_commands.iter().map(|s| s.value.clone()).collect(),
            cache,
        }
    }

    /// The exact bytes hashed into the base-layer key (see the module docs).
    fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = String::with_capacity(128);
        out.push_str("{\"base\":");
        push_list(&mut out, &self.base);
        out.push_str(",\"cache\":");
        match &self.cache {
            CacheSpec::All(true) => out.push_str("true"),
            CacheSpec::All(false) => out.push_str("false"),
            CacheSpec::Patterns(p) => push_list(&mut out, p),
        }
        out.push_str(",\"os\":");
        push_str(&mut out, &self.os);
        out.push_str(",\"prepareCommands\":");
        push_list(&mut out, &self.prepare_commands);
        out.push_str(",\"v\":");
        push_str(&mut out, BASE_KEY_VERSION);
        out.push('}');
        out.into_bytes()
    }

    /// The base-layer key.
    fn base_key(&self) -> String {
        hex_sha256(&self.canonical_bytes())
    }

    /// Both keys.
    fn keys(&self) -> LayerKeys {
        let base = self.base_key();
        LayerKeys {
            build: build_key(&base),
            base,
        }
    }
}

/// The build-layer key for a base-layer key (see the module docs).
pub fn build_key(base_key: &str) -> String {
    let mut out = String::with_capacity(128);
    out.push_str("{\"base\":");
    push_str(&mut out, base_key);
    out.push_str(",\"v\":");
    push_str(&mut out, BUILD_KEY_VERSION);
    out.push('}');
    hex_sha256(out.as_bytes())
}

fn hex_sha256(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 15)] as char);
    }
    s
}

fn push_list(out: &mut String, items: &[String]) {
    out.push('[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str(out, s);
    }
    out.push(']');
}

use zerops_cache_contract::keys::push_str;
pub(crate) use zerops_cache_contract::keys::quote;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model;

    fn inputs(src: &str) -> LayerInputs {
        let c = model::parse(src).unwrap();
        let r = c.resolve(&c.setups[0].name.value).unwrap();
        LayerInputs::from_build(r.build.as_ref())
    }

    #[test]
    fn canonical_bytes_are_documented_form() {
        let i = inputs(
            "zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      prepareCommands:\n        - apk add \"vim\"\n        - |\n          a\n          b\n      cache: ./node_modules/\n",
        );
        assert_eq!(
            String::from_utf8(i.canonical_bytes()).unwrap(),
            r#"{"base":["nodejs@22"],"cache":["node_modules"],"os":"alpine","prepareCommands":["apk add \"vim\"","a\nb\n"],"v":"zerops-cache/layer-key/v1"}"#
        );
    }

    #[test]
    fn canonical_bytes_match_serde_json_for_strings() {
        // The hand-written encoder must agree with a standard JSON encoder
        // (serde_json escapes exactly like RFC 8785 for strings).
        let tricky = "q\"b\\s\u{1}\u{8}\u{c}\r\n\t\u{1f}é€😀\u{7f}";
        let mut ours = String::new();
        push_str(&mut ours, tricky);
        assert_eq!(ours, serde_json::to_string(tricky).unwrap());
    }

    #[test]
    fn pattern_normalization() {
        for (w, n) in [
            ("node_modules", "node_modules"),
            ("./node_modules", "node_modules"),
            ("node_modules/", "node_modules"),
            ("./node_modules/", "node_modules"),
            ("././x", "x"),
            (".//x", "x"),
            ("x//", "x"),
            ("x\\/", "x"),
            ("x\\\\/", "x\\\\"),
            (".", ""),
            ("./", ""),
            ("/", "/"),
            ("//", "/"),
            ("/root/go/", "/root/go"),
            ("a/./b", "a/./b"),
            ("../x", "../x"),
            (".next", ".next"),
            ("", ""),
            ("a/*.txt", "a/*.txt"),
        ] {
            assert_eq!(normalize_pattern(w), n, "{w}");
        }
    }

    #[test]
    fn defaults_and_equivalent_spellings() {
        let absent = inputs("zerops:\n  - setup: app\n    build:\n      deployFiles: ./\n");
        assert_eq!(absent, LayerInputs::default());
        let explicit = inputs(
            "zerops:\n  - setup: app\n    build:\n      os: alpine\n      base: []\n      prepareCommands: []\n      cache: false\n",
        );
        assert_eq!(absent.keys(), explicit.keys());
        let empty_cache = inputs("zerops:\n  - setup: app\n    build:\n      cache: []\n");
        assert_eq!(absent.keys(), empty_cache.keys());
        let scalar =
            inputs("zerops:\n  - setup: app\n    build:\n      base: go@1\n      cache: x\n");
        let list = inputs(
            "zerops:\n  - setup: app\n    build:\n      base: [go@1]\n      cache: [./x/]\n",
        );
        assert_eq!(scalar.keys(), list.keys());
    }

    #[test]
    fn keys_are_hex_and_distinct() {
        let k = LayerInputs::default().keys();
        assert_eq!(k.base.len(), 64);
        assert_eq!(k.build.len(), 64);
        assert!(
            k.base
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        );
        assert_ne!(k.base, k.build);
        assert_eq!(k.build, build_key(&k.base));
    }
}
