//! The build image, as data: what decides it (`os`, `base`, the override
//! files, `--image` or `ZEROPS_CACHE_IMAGE`) and what the policy chose, with where the choice came
//! from. The rule is the policy's `image` module.

/// What decides a build's image.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImageRequest {
    /// The setup's normalized `os` (`alpine` when absent).
    pub os: String,
    /// The setup's normalized `base` (`base: x` is `[x]`).
    pub base: Vec<String>,
    /// The override files' lines, the project's first, then the machine's.
    pub overrides: Vec<ImageOverride>,
    /// The image named for this one build (`host`: the host's own root),
    /// and where it was named.
    pub flag: Option<ImageFlag>,
}

/// The image named for one build, overruling the table and the override
/// files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFlag {
    /// An OCI image reference, or `host`.
    pub image: String,
    pub origin: FlagOrigin,
}

/// Where the one-build image was named: the words a choice and its errors
/// show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagOrigin {
    /// The command line's `--image`.
    CommandLine,
    /// The environment variable `ZEROPS_CACHE_IMAGE`.
    Environment,
}

impl FlagOrigin {
    /// How users name it: `--image` or `ZEROPS_CACHE_IMAGE`.
    pub const fn name(self) -> &'static str {
        match self {
            FlagOrigin::CommandLine => "--image",
            FlagOrigin::Environment => "ZEROPS_CACHE_IMAGE",
        }
    }
}

/// One line of an override file: `OS BASE... = IMAGE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageOverride {
    /// `*` for any `os`.
    pub os: String,
    /// The `base` items this line is for (any order); empty: no `base`.
    pub base: Vec<String>,
    /// An OCI image reference, or `host`.
    pub image: String,
    /// `FILE:LINE`, shown with the choice.
    pub origin: String,
}

/// The image chosen for a build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageChoice {
    /// The OCI reference as written (`node:22-alpine`), or `host`.
    pub reference: String,
    /// The reference in full: registry, repository, then `:tag` and/or
    /// `@digest` (`docker.io/library/node:22-alpine`); `host` for the host.
    pub canonical: String,
    /// The host's own root (`--image host` or an override to `host`).
    pub host: bool,
    /// Where it came from: `--image`, `ZEROPS_CACHE_IMAGE`, `FILE:LINE`, or
    /// the table's source link.
    pub origin: String,
    /// How the image differs from Zerops' own build image (table rows only).
    pub differs: Option<String>,
}

/// One row of the reviewed table (for `images table` and the README).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRow {
    pub os: String,
    /// The `base` item; empty: a setup with no `base`.
    pub base: String,
    pub image: String,
    /// The page that documents the image and its tags.
    pub source: String,
    /// How it differs from Zerops' own build image.
    pub differs: String,
}

/// An OCI image reference, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageReference {
    /// `docker.io` for Docker Hub.
    pub registry: String,
    /// `library/node` for Docker Hub's official images.
    pub repository: String,
    pub tag: Option<String>,
    /// `sha256:…`, when pinned.
    pub digest: Option<String>,
}
