//! Typed questions to the component's `remote` interface: the project
//! identity, object names, what to trust of a fetched object, and what
//! `remote gc` removes. The WIT types are used as they are (they are plain
//! data), re-exported as [`wit`].

use anyhow::Result;

use super::PolicyHost;
pub use crate::component::bindings::exports::zerops::build_cache::remote as wit;

impl PolicyHost {
    pub fn identify(&self, facts: &wit::IdentityFacts) -> Result<Result<wit::Identity, String>> {
        self.call("finding the project identity", |p, s| {
            p.zerops_build_cache_remote().call_identify(s, facts)
        })
    }

    pub fn setup_part(&self, setup: &str) -> Result<String> {
        self.call("naming a setup", |p, s| {
            p.zerops_build_cache_remote().call_setup_part(s, setup)
        })
    }

    pub fn entry_key(&self, layer: &str, image: &str, base: &str, build: &str) -> Result<String> {
        self.call("computing an entry key", |p, s| {
            p.zerops_build_cache_remote()
                .call_entry_key(s, layer, image, base, build)
        })
    }

    pub fn manifest_name(
        &self,
        project: &str,
        setup: &str,
        epoch: u64,
        layer: &str,
        entry: &str,
    ) -> Result<String> {
        self.call("naming a manifest", |p, s| {
            p.zerops_build_cache_remote()
                .call_manifest_name(s, project, setup, epoch, layer, entry)
        })
    }

    pub fn manifests_of(&self, project: &str, setup: &str) -> Result<String> {
        self.call("naming manifests", |p, s| {
            p.zerops_build_cache_remote()
                .call_manifests_of(s, project, setup)
        })
    }

    pub fn epoch_name(&self, project: &str, setup: &str) -> Result<String> {
        self.call("naming an epoch", |p, s| {
            p.zerops_build_cache_remote()
                .call_epoch_name(s, project, setup)
        })
    }

    pub fn pack_name(&self, digest: &str) -> Result<String> {
        self.call("naming a pack", |p, s| {
            p.zerops_build_cache_remote().call_pack_name(s, digest)
        })
    }

    pub fn parse_manifest_name(&self, name: &str) -> Result<Option<wit::ManifestNameParts>> {
        self.call("reading a manifest name", |p, s| {
            p.zerops_build_cache_remote()
                .call_parse_manifest_name(s, name)
        })
    }

    pub fn parse_pack_name(&self, name: &str) -> Result<Option<String>> {
        self.call("reading a pack name", |p, s| {
            p.zerops_build_cache_remote().call_parse_pack_name(s, name)
        })
    }

    pub fn check_manifest(&self, json: &str, want: &wit::Expect) -> Result<Result<(), String>> {
        self.call("checking a manifest", |p, s| {
            p.zerops_build_cache_remote()
                .call_check_manifest(s, json, want)
        })
    }

    pub fn apply_delta(&self, parent: &str, delta: &str) -> Result<Result<String, String>> {
        self.call("applying a delta manifest", |p, s| {
            p.zerops_build_cache_remote()
                .call_apply_delta(s, parent, delta)
        })
    }

    pub fn diff_tree(&self, parent: &str, entries: &str) -> Result<Result<String, String>> {
        self.call("computing a delta manifest", |p, s| {
            p.zerops_build_cache_remote()
                .call_diff_tree(s, parent, entries)
        })
    }

    pub fn signing_input(&self, name: &str, body_digest: &str) -> Result<Vec<u8>> {
        self.call("preparing a signature", |p, s| {
            p.zerops_build_cache_remote()
                .call_signing_input(s, name, body_digest)
        })
    }

    pub fn remote_mode(&self, secret: bool, unsigned: bool) -> Result<Result<wit::Mode, String>> {
        self.call("choosing the signing mode", |p, s| {
            p.zerops_build_cache_remote()
                .call_signing_mode(s, secret, unsigned)
        })
    }

    pub fn publish_alg(&self, mode: wit::Mode) -> Result<String> {
        self.call("choosing the signature algorithm", |p, s| {
            p.zerops_build_cache_remote().call_publish_alg(s, mode)
        })
    }

    pub fn trust(&self, mode: wit::Mode, alg: &str) -> Result<Result<wit::Trust, String>> {
        self.call("deciding what to trust", |p, s| {
            p.zerops_build_cache_remote()
                .call_trust_object(s, mode, alg)
        })
    }

    pub fn raise_epoch(
        &self,
        current: Option<&str>,
        project: &str,
        setup: &str,
        reason: &str,
    ) -> Result<String> {
        self.call("raising an epoch", |p, s| {
            p.zerops_build_cache_remote()
                .call_raise_epoch(s, current, project, setup, reason)
        })
    }

    pub fn check_epoch(
        &self,
        json: &str,
        project: &str,
        setup: &str,
    ) -> Result<Result<u64, String>> {
        self.call("checking an epoch", |p, s| {
            p.zerops_build_cache_remote()
                .call_check_epoch(s, json, project, setup)
        })
    }

    pub fn remote_gc(
        &self,
        manifests: &[wit::ManifestFacts],
        packs: &[wit::PackFacts],
        budget: wit::GcBudget,
    ) -> Result<wit::GcPlan> {
        self.call("choosing what remote gc removes", |p, s| {
            p.zerops_build_cache_remote()
                .call_gc(s, manifests, packs, budget)
        })
    }
}
