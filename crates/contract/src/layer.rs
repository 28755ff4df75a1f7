//! The two cache layers of a setup: one type wherever a layer is named
//! (the build's and status's summaries, the remote tier, `advise`).

use serde::{Deserialize, Serialize};

/// A cache layer. Its name (`base`, `build`) is what users read (JSON
/// keys and values, the build's summary lines) and what the remote's
/// manifests and object names store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// The OS, `base`, prepareCommands and everything outside
    /// /build/source.
    Base,
    /// The `cache` paths of /build/source, after buildCommands.
    Build,
}

impl Layer {
    /// Both layers, base first (the order of their names).
    pub const ALL: [Layer; 2] = [Layer::Base, Layer::Build];

    /// The layer's name: `base` or `build`.
    pub const fn name(self) -> &'static str {
        match self {
            Layer::Base => "base",
            Layer::Build => "build",
        }
    }

    /// The layer of a name, if it names one.
    pub fn of_name(name: &str) -> Option<Layer> {
        Layer::ALL.into_iter().find(|l| l.name() == name)
    }
}

impl std::fmt::Display for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad`: widths and alignment apply (`{:5}` in `remote ls`).
        f.pad(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::Layer;

    #[test]
    fn names_are_the_serialized_form_and_read_back() {
        for l in Layer::ALL {
            assert_eq!(serde_json::to_string(&l).unwrap(), format!("\"{l}\""));
            assert_eq!(Layer::of_name(l.name()), Some(l));
        }
        assert_eq!(Layer::of_name("Base"), None);
        for l in Layer::ALL {
            let back: Layer = serde_json::from_str(&format!("\"{l}\"")).unwrap();
            assert_eq!(back, l);
        }
        assert!(serde_json::from_str::<Layer>("\"Base\"").is_err());
        assert_eq!(format!("{:6}|", Layer::Base), "base  |");
        // The order of the names, so a map keyed by layer prints as before.
        assert!(Layer::Base < Layer::Build && "base" < "build");
    }
}
