//! Object names under the remote prefix (`s3://bucket/<prefix>/`):
//!
//! ```text
//! v1/packs/<sha256 of the pack>                    immutable packs of zstd frames
//! v1/invalidations/<project>/<setup>/<N:020>       epoch N: one immutable signed object per raise
//! v1/locks/<id>                                    a publish's shared lock, gc's exclusive lock
//! v1/quarantine/<manifest name>                    a reader refused that manifest (why)
//! v1/index/<project>/<setup>                       what `remote ls` shows (signed)
//! v1/manifests/<project>/<setup>/e<N>/<layer>/<entry>   one layer of one build
//! ```
//! `<project>` is the identity slug, `<setup>` the setup name made
//! name-safe, `<layer>` is `base` or `build`, `<entry>` the entry key
//! ([`entry_key`]). An entry of an older epoch is invalidated.

use sha2::{Digest, Sha256};
use zerops_cache_contract::layer::Layer;
pub use zerops_cache_contract::remote::naming::ManifestName;

pub const ROOT: &str = "v1";

/// A name-safe setup (as the local store names it): unsafe characters
/// become `_` and then a short digest of the real name is appended.
pub fn setup_part(setup: &str) -> String {
    let t: String = setup
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut t = match t.as_str() {
        "" | "." | ".." => "_".to_string(),
        _ => t,
    };
    if t != setup {
        let d = Sha256::digest(setup.as_bytes());
        t.push_str(&format!("-{:02x}{:02x}", d[0], d[1]));
    }
    t
}

/// Joins the user's prefix (may be empty) and a relative name.
pub fn join(prefix: &str, name: &str) -> String {
    let p = prefix.trim_matches('/');
    if p.is_empty() {
        name.to_string()
    } else {
        format!("{p}/{name}")
    }
}

pub fn pack(digest: &str) -> String {
    format!("{ROOT}/packs/{digest}")
}

pub fn packs_dir() -> String {
    format!("{ROOT}/packs")
}

/// The invalidations of a project and setup (their names sort by epoch).
pub fn invalidations_of(project: &str, setup: &str) -> String {
    format!("{ROOT}/invalidations/{project}/{}", setup_part(setup))
}

/// The object that raised the epoch of a project and setup to `epoch`.
pub fn invalidation(project: &str, setup: &str, epoch: u64) -> String {
    format!("{}/{epoch:020}", invalidations_of(project, setup))
}

/// The epoch of an invalidation object's name.
pub fn parse_invalidation(name: &str) -> Option<u64> {
    let last = name.rsplit('/').next()?;
    if last.len() != 20 || !last.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    last.parse().ok()
}

/// The epoch of a listed epoch directory of manifests (`.../e<N>`).
pub fn parse_epoch_dir(name: &str) -> Option<u64> {
    let last = name.trim_end_matches('/').rsplit('/').next()?;
    let n = last.strip_prefix('e')?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

/// The index of a project and setup (what `remote ls` shows).
pub fn index(project: &str, setup: &str) -> String {
    format!("{ROOT}/index/{project}/{}", setup_part(setup))
}

pub fn locks_dir() -> String {
    format!("{ROOT}/locks")
}

/// A lock object (`id`: random hex of the holder).
pub fn lock(id: &str) -> String {
    format!("{ROOT}/locks/{id}")
}

/// The quarantine note of a manifest.
pub fn quarantine(manifest: &str) -> String {
    format!("{ROOT}/quarantine/{manifest}")
}

/// All manifests of a project and setup (all epochs), for listing.
pub fn manifests_of(project: &str, setup: &str) -> String {
    format!("{ROOT}/manifests/{project}/{}", setup_part(setup))
}

pub fn manifests_dir() -> String {
    format!("{ROOT}/manifests")
}

pub fn manifest(project: &str, setup: &str, epoch: u64, layer: Layer, entry: &str) -> String {
    format!(
        "{ROOT}/manifests/{project}/{}/e{epoch}/{layer}/{entry}",
        setup_part(setup)
    )
}

/// The entry key of a layer: the base layer is the OS image plus the base
/// key; the build layer also depends on the base layer it was built on.
pub fn entry_key(layer: Layer, image: &str, base_key: &str, build_key: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"zerops-cache remote entry v1\0");
    h.update(layer.name().as_bytes());
    h.update(b"\0");
    h.update(image.as_bytes());
    h.update(b"\0");
    h.update(base_key.as_bytes());
    if layer == Layer::Build {
        h.update(b"\0");
        h.update(build_key.as_bytes());
    }
    super::hex(&h.finalize())
}

/// Parses a manifest name relative to the prefix (`v1/manifests/...`).
pub fn parse_manifest(name: &str) -> Option<ManifestName> {
    let rest = name.strip_prefix(&format!("{ROOT}/manifests/"))?;
    let parts: Vec<&str> = rest.split('/').collect();
    let [project, setup, epoch, layer, entry] = parts[..] else {
        return None;
    };
    let epoch = epoch.strip_prefix('e')?.parse().ok()?;
    let layer = Layer::of_name(layer)?;
    if !super::is_digest(entry) {
        return None;
    }
    Some(ManifestName {
        project: project.into(),
        setup_part: setup.into(),
        epoch,
        layer,
        entry: entry.into(),
    })
}

/// Parses a pack name (`v1/packs/<digest>`) into its digest.
pub fn parse_pack(name: &str) -> Option<&str> {
    name.strip_prefix(&format!("{ROOT}/packs/"))
        .filter(|d| super::is_digest(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let e = entry_key(Layer::Build, "img", "b", "c");
        let n = manifest("app-0123", "api", 3, Layer::Build, &e);
        assert_eq!(
            parse_manifest(&n),
            Some(ManifestName {
                project: "app-0123".into(),
                setup_part: "api".into(),
                epoch: 3,
                layer: Layer::Build,
                entry: e.clone(),
            })
        );
        assert!(n.starts_with(&manifests_of("app-0123", "api")));
        assert_eq!(parse_pack(&pack(&e)), Some(e.as_str()));
        assert_eq!(parse_manifest("v1/manifests/a/b/x3/build/00"), None);
        let other = n.replace("/build/", "/cache/");
        assert_eq!(parse_manifest(&other), None);
        assert_eq!(parse_pack("v1/packs/../x"), None);
        assert_eq!(join("/ci/cache/", "v1/x"), "ci/cache/v1/x");
        assert_eq!(join("", "v1/x"), "v1/x");
    }

    #[test]
    fn epoch_names() {
        let n = invalidation("app-0123", "api", 7);
        assert!(n.starts_with(&invalidations_of("app-0123", "api")));
        assert_eq!(parse_invalidation(&n), Some(7));
        assert!(invalidation("p", "s", 9) < invalidation("p", "s", 10));
        assert_eq!(parse_invalidation("v1/invalidations/p/s/7"), None);
        assert_eq!(parse_epoch_dir("x/v1/manifests/p/s/e12/"), Some(12));
        assert_eq!(parse_epoch_dir("x/v1/manifests/p/s/e"), None);
        assert_eq!(parse_epoch_dir("x/v1/manifests/p/s/f1"), None);
    }

    #[test]
    fn entry_keys_separate_layers_images_and_bases() {
        let b = entry_key(Layer::Base, "img", "k1", "c1");
        assert_eq!(b, entry_key(Layer::Base, "img", "k1", "other build key"));
        assert_ne!(b, entry_key(Layer::Base, "img2", "k1", "c1"));
        let c = entry_key(Layer::Build, "img", "k1", "c1");
        assert_ne!(c, b);
        assert_ne!(c, entry_key(Layer::Build, "img", "k2", "c1"));
        assert_ne!(c, entry_key(Layer::Build, "img", "k1", "c2"));
        // The keys of 0.3.0, when the layer was its name: published entries keep them.
        assert_eq!(
            b,
            "a031068c96ac9481e6848b946f3da45e18174287e2f88d6c78601c8f636e39c3"
        );
        assert_eq!(
            c,
            "0c604d4dd90866df5247965a781c3559d71976efe8a9049aa0bd36947120d728"
        );
    }

    #[test]
    fn setups_are_name_safe() {
        assert_eq!(setup_part("api"), "api");
        let odd = setup_part("../x y");
        assert!(!odd.contains('/') && !odd.contains(' '));
        assert_ne!(setup_part("a b"), setup_part("a_b"));
    }
}
