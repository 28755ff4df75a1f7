//! Typed questions to the component's `remote` interface: the project
//! identity, object names, what to trust of a fetched object, and what
//! `remote gc` removes. Manifests, names and layers cross as the contract's
//! types (`zerops_cache_contract::remote`), converted by the one table
//! (`map`); the interface's other plain records are used as they are,
//! re-exported as [`wit`].
//!
//! A manifest is passed by value: it is converted into its WIT record
//! (moved, not copied), and what the component answers is converted back.

use anyhow::Result;
use zerops_cache_contract::layer::Layer;
use zerops_cache_contract::remote::naming::{Expect, ManifestName};
use zerops_cache_contract::remote::{Entry, Manifest, Patch};

use super::PolicyHost;
use super::map::Convert;
pub use crate::component::bindings::exports::zerops::build_cache::remote as wit;

impl PolicyHost {
    pub fn identify(&self, facts: &wit::IdentityFacts) -> Result<Result<wit::Identity, String>> {
        self.call("finding the project identity", |p, s| {
            p.zerops_build_cache_remote().call_identify(s, facts)
        })
    }

    pub fn entry_key(&self, layer: Layer, image: &str, base: &str, build: &str) -> Result<String> {
        self.call("computing an entry key", |p, s| {
            p.zerops_build_cache_remote()
                .call_entry_key(s, layer.convert(), image, base, build)
        })
    }

    pub fn manifest_name(
        &self,
        project: &str,
        setup: &str,
        epoch: u64,
        layer: Layer,
        entry: &str,
    ) -> Result<String> {
        self.call("naming a manifest", |p, s| {
            p.zerops_build_cache_remote().call_manifest_name(
                s,
                project,
                setup,
                epoch,
                layer.convert(),
                entry,
            )
        })
    }

    pub fn manifests_of(&self, project: &str, setup: &str) -> Result<String> {
        self.call("naming manifests", |p, s| {
            p.zerops_build_cache_remote()
                .call_manifests_of(s, project, setup)
        })
    }

    pub fn pack_name(&self, digest: &str) -> Result<String> {
        self.call("naming a pack", |p, s| {
            p.zerops_build_cache_remote().call_pack_name(s, digest)
        })
    }

    pub fn parse_manifest_name(&self, name: &str) -> Result<Option<ManifestName>> {
        let out = self.call("reading a manifest name", |p, s| {
            p.zerops_build_cache_remote()
                .call_parse_manifest_name(s, name)
        })?;
        Ok(out.convert())
    }

    pub fn parse_pack_name(&self, name: &str) -> Result<Option<String>> {
        self.call("reading a pack name", |p, s| {
            p.zerops_build_cache_remote().call_parse_pack_name(s, name)
        })
    }

    /// The manifest back once it passed every check, or the first problem.
    pub fn check_manifest(&self, m: Manifest, want: &Expect) -> Result<Result<Manifest, String>> {
        let m: wit::Manifest = m.convert();
        let want: wit::Expect = want.clone().convert();
        let out = self.call("checking a manifest", |p, s| {
            p.zerops_build_cache_remote()
                .call_check_manifest(s, &m, &want)
        })?;
        Ok(out.map(|()| m.convert()))
    }

    /// The full manifest `delta` stands for on its full `parent` (check it
    /// before trusting it).
    pub fn apply_delta(
        &self,
        parent: Manifest,
        delta: Manifest,
    ) -> Result<Result<Manifest, String>> {
        let (parent, delta): (wit::Manifest, wit::Manifest) = (parent.convert(), delta.convert());
        let out = self.call("applying a delta manifest", |p, s| {
            p.zerops_build_cache_remote()
                .call_apply_delta(s, &parent, &delta)
        })?;
        Ok(out.map(Convert::convert))
    }

    /// The changes from a full manifest's entries to `tree`: new or changed
    /// entries (only the fields that changed) and removed paths.
    pub fn diff_tree(
        &self,
        parent: Vec<Entry>,
        tree: Vec<Entry>,
    ) -> Result<(Vec<Patch>, Vec<String>)> {
        let (parent, tree): (Vec<wit::Entry>, Vec<wit::Entry>) = (parent.convert(), tree.convert());
        let out = self.call("computing a delta manifest", |p, s| {
            p.zerops_build_cache_remote()
                .call_diff_tree(s, &parent, &tree)
        })?;
        Ok((out.changed.convert(), out.removed))
    }

    pub fn signing_input(&self, name: &str, body_digest: &str) -> Result<Vec<u8>> {
        self.call("preparing a signature", |p, s| {
            p.zerops_build_cache_remote()
                .call_signing_input(s, name, body_digest)
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
