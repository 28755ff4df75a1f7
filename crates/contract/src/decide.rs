//! The invalidation decision as data: does the base layer get reused or
//! rebuilt, is the build layer reused or dropped, and why.

use crate::keys::LayerKeys;
use crate::layer::Layer;
use serde::{Deserialize, Serialize};

/// What a reason says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReasonKind {
    /// There is no cache to reuse (first build, or a setup new to the file).
    NoPrevious,
    /// A list item or map entry appeared.
    Added,
    /// A list item or map entry disappeared.
    Removed,
    /// A value, list item or map entry was rewritten.
    Changed,
    /// A list item stayed but changed position (lists are order-sensitive).
    Moved,
    /// The cache was invalidated by hand after the last build.
    ManualInvalidation,
    /// An app version was activated after the last build.
    VersionActivated,
    /// The build layer goes because the base layer is rebuilt.
    BaseRebuilt,
    /// The stored record could not be read.
    RecordUnreadable,
    /// The record was keyed with another key version.
    KeyVersion,
    /// The stored key differs although the stored inputs do not.
    KeyChanged,
    /// The cache was built for another setup.
    SetupChanged,
}

/// One reason, as data and as a sentence. Optional parts are present only
/// where they apply; `index` is the position in the new list (in the old
/// list for `removed`), `fromIndex` the old position of a moved item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub kind: ReasonKind,
    /// The `build` field (`os`, `base`, `prepareCommands`, `cache`,
    /// `buildCommands`, …) or section (`run`, `deploy`) concerned.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub index: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub from_index: Option<u32>,
    /// The map key, for `envVariables`, `run` and `deploy`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub old: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub new: Option<String>,
    /// The activated version, for `version-activated`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub version: Option<u32>,
    /// When an event happened.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub at: Option<String>,
    /// Whether this reason invalidates the cache (false for changes that
    /// have no effect on it).
    pub invalidates: bool,
    /// The reason in plain language, e.g. `prepareCommands[2] added "apk add vim"`.
    pub message: String,
}

impl Reason {
    pub fn new(kind: ReasonKind, invalidates: bool, message: String) -> Reason {
        Reason {
            kind,
            field: None,
            index: None,
            from_index: None,
            key: None,
            old: None,
            new: None,
            version: None,
            at: None,
            invalidates,
            message,
        }
    }

    pub fn field(mut self, f: &str) -> Reason {
        self.field = Some(f.to_string());
        self
    }
}

/// What happens to the base layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BaseAction {
    Reuse,
    Rebuild,
}

/// What happens to the build layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BuildAction {
    Reuse,
    Drop,
}

impl BaseAction {
    /// The label every host shows: `reuse` or `rebuild`.
    pub fn as_str(self) -> &'static str {
        match self {
            BaseAction::Reuse => "reuse",
            BaseAction::Rebuild => "rebuild",
        }
    }
}

impl BuildAction {
    /// The label every host shows: `reuse` or `drop`.
    pub fn as_str(self) -> &'static str {
        match self {
            BuildAction::Reuse => "reuse",
            BuildAction::Drop => "drop",
        }
    }
}

/// The verdict on one layer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerVerdict {
    pub invalidated: bool,
    pub reasons: Vec<Reason>,
}

/// The decision for one setup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub setup: String,
    /// The setup the `build` section comes from (itself or a parent).
    pub build_from: Option<String>,
    pub keys: LayerKeys,
    /// The keys the cache was built with, when there is a previous cache.
    pub previous_keys: Option<LayerKeys>,
    pub base: LayerVerdict,
    pub build: LayerVerdict,
    /// Changes that have no effect on the cache (`buildCommands`,
    /// `deployFiles`, `envVariables`, `addToRunPrepare`, `run`, `deploy`,
    /// the setup name), for verbose output.
    pub unaffected: Vec<Reason>,
}

impl Decision {
    pub fn base_action(&self) -> BaseAction {
        if self.base.invalidated {
            BaseAction::Rebuild
        } else {
            BaseAction::Reuse
        }
    }

    pub fn build_action(&self) -> BuildAction {
        if self.build.invalidated {
            BuildAction::Drop
        } else {
            BuildAction::Reuse
        }
    }

    /// The verdict on one layer.
    pub fn verdict(&self, layer: Layer) -> &LayerVerdict {
        match layer {
            Layer::Base => &self.base,
            Layer::Build => &self.build,
        }
    }

    /// The label of what the build does with one layer: `reuse`, or
    /// `rebuild` (base) or `drop` (build).
    pub fn action(&self, layer: Layer) -> &'static str {
        match layer {
            Layer::Base => self.base_action().as_str(),
            Layer::Build => self.build_action().as_str(),
        }
    }
}
