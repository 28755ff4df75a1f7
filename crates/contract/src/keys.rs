//! Layer keys and their normalized inputs, as data. How they are computed
//! is the policy's (`zerops_cache_policy::keys`).

use serde::{Deserialize, Serialize};

/// Version tag of the base-layer key; part of the hashed bytes.
pub const BASE_KEY_VERSION: &str = "zerops-cache/layer-key/v1";
/// Version tag of the build-layer key; part of the hashed bytes.
pub const BUILD_KEY_VERSION: &str = "zerops-cache/build-layer-key/v1";
/// The `os` a build uses when none is written.
pub const DEFAULT_OS: &str = "alpine";

/// The normalized `cache` field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CacheSpec {
    /// `true` keeps the whole build container; `false` (also absent, `[]`)
    /// keeps nothing of the source directory.
    All(bool),
    /// Normalized patterns, never empty, in the order written.
    Patterns(Vec<String>),
}

impl CacheSpec {
    /// The value as a user would write it: `false`, `true`, or `["a", "b"]`.
    pub fn display(&self) -> String {
        match self {
            CacheSpec::All(b) => b.to_string(),
            CacheSpec::Patterns(p) => {
                let items: Vec<String> = p.iter().map(|s| quote(s)).collect();
                format!("[{}]", items.join(", "))
            }
        }
    }
}

/// The normalized inputs of the layer keys: the four fields that invalidate
/// the cache when they change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerInputs {
    pub os: String,
    pub base: Vec<String>,
    pub prepare_commands: Vec<String>,
    pub cache: CacheSpec,
}

/// The two layer keys, lowercase hex SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerKeys {
    pub base: String,
    pub build: String,
}

impl LayerKeys {
    /// The key of one layer.
    pub fn of(&self, layer: crate::layer::Layer) -> &str {
        match layer {
            crate::layer::Layer::Base => &self.base,
            crate::layer::Layer::Build => &self.build,
        }
    }
}

impl Default for LayerInputs {
    /// The inputs of a setup with no `build` section.
    fn default() -> Self {
        LayerInputs {
            os: DEFAULT_OS.to_string(),
            base: Vec::new(),
            prepare_commands: Vec::new(),
            cache: CacheSpec::All(false),
        }
    }
}

/// A JSON string, escaped as RFC 8785 prescribes.
pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A string as a double-quoted, escaped literal for messages.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_str(&mut out, s);
    out
}
