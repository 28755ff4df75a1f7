//! Typed questions to the component's `remote` interface about what keeps
//! a shared cache right: epochs (invalidations), the locks between publish
//! and gc, quarantine notes, and which keys sign and verify.

use anyhow::Result;
use zerops_cache_contract::remote::epoch::Invalidation;
use zerops_cache_contract::remote::index::{Index, IndexEntry};
use zerops_cache_contract::remote::lock::{Lock, LockFacts, LockKind};

use super::PolicyHost;
use super::map::Convert;
use super::remote::wit;

macro_rules! ask {
    ($self:ident, $what:literal, $call:ident $(, $arg:expr)*) => {
        $self.call($what, |p, s| p.zerops_build_cache_remote().$call(s $(, $arg)*))
    };
}

impl PolicyHost {
    pub fn invalidations_of(&self, project: &str, setup: &str) -> Result<String> {
        ask!(
            self,
            "naming invalidations",
            call_invalidations_of,
            project,
            setup
        )
    }

    pub fn invalidation_name(&self, project: &str, setup: &str, epoch: u64) -> Result<String> {
        ask!(
            self,
            "naming an invalidation",
            call_invalidation_name,
            project,
            setup,
            epoch
        )
    }

    pub fn parse_invalidation_name(&self, name: &str) -> Result<Option<u64>> {
        ask!(
            self,
            "reading an invalidation name",
            call_parse_invalidation_name,
            name
        )
    }

    pub fn parse_epoch_dir(&self, name: &str) -> Result<Option<u64>> {
        ask!(
            self,
            "reading an epoch directory",
            call_parse_epoch_dir,
            name
        )
    }

    /// The body of invalidation `epoch`.
    pub fn epoch_object(
        &self,
        project: &str,
        setup: &str,
        epoch: u64,
        reason: &str,
    ) -> Result<Invalidation> {
        let out = ask!(
            self,
            "writing an epoch",
            call_epoch_object,
            project,
            setup,
            epoch,
            reason
        )?;
        Ok(out.convert())
    }

    pub fn check_epoch_object(
        &self,
        object: Invalidation,
        project: &str,
        setup: &str,
        epoch: u64,
    ) -> Result<Result<(), String>> {
        let object: wit::Invalidation = object.convert();
        ask!(
            self,
            "checking an epoch",
            call_check_epoch_object,
            &object,
            project,
            setup,
            epoch
        )
    }

    pub fn current_epoch(&self, facts: wit::EpochFacts) -> Result<Result<u64, String>> {
        ask!(
            self,
            "deciding the current epoch",
            call_current_epoch,
            facts
        )
    }

    pub fn next_epoch(&self, facts: wit::EpochFacts) -> Result<u64> {
        ask!(self, "choosing the next epoch", call_next_epoch, facts)
    }

    pub fn layer_current(&self, built_in: Option<u64>, current: u64) -> Result<bool> {
        ask!(
            self,
            "checking a local layer's epoch",
            call_layer_current,
            built_in,
            current
        )
    }

    pub fn locks_dir(&self) -> Result<String> {
        ask!(self, "naming locks", call_locks_dir)
    }

    pub fn lock_name(&self, id: &str) -> Result<String> {
        ask!(self, "naming a lock", call_lock_name, id)
    }

    pub fn lock_body(&self, kind: LockKind, holder: &str) -> Result<Lock> {
        let out = ask!(
            self,
            "writing a lock",
            call_lock_body,
            kind.convert(),
            holder
        )?;
        Ok(out.convert())
    }

    pub fn lock_verdict(
        &self,
        kind: LockKind,
        mine_ms: u64,
        others: &[LockFacts],
    ) -> Result<Result<(), String>> {
        let others: Vec<wit::LockFacts> = others.to_vec().convert();
        ask!(
            self,
            "checking locks",
            call_lock_verdict,
            kind.convert(),
            mine_ms,
            &others
        )
    }

    pub fn stale_locks(&self, mine_ms: u64, others: &[LockFacts]) -> Result<Vec<String>> {
        let others: Vec<wit::LockFacts> = others.to_vec().convert();
        ask!(
            self,
            "finding stale locks",
            call_stale_locks,
            mine_ms,
            &others
        )
    }

    pub fn quarantine_name(&self, manifest: &str) -> Result<String> {
        ask!(
            self,
            "naming a quarantine note",
            call_quarantine_name,
            manifest
        )
    }

    pub fn signing_setup(&self, facts: wit::SigningFacts) -> Result<Result<wit::Signing, String>> {
        ask!(self, "choosing how to sign", call_signing_setup, facts)
    }

    pub fn trust_alg(
        &self,
        facts: wit::SigningFacts,
        alg: &str,
    ) -> Result<Result<wit::Trust, String>> {
        ask!(self, "deciding what to trust", call_trust_alg, facts, alg)
    }

    pub fn index_name(&self, project: &str, setup: &str) -> Result<String> {
        ask!(self, "naming an index", call_index_name, project, setup)
    }

    /// The index after a publish of `entry` (`current`: the stored one, if
    /// it could be read).
    pub fn index_add(
        &self,
        current: Option<Index>,
        project: &str,
        setup: &str,
        entry: &IndexEntry,
    ) -> Result<Index> {
        let current: Option<wit::Index> = current.convert();
        let entry: wit::IndexEntry = entry.clone().convert();
        let out = ask!(
            self,
            "updating an index",
            call_index_add,
            current.as_ref(),
            project,
            setup,
            &entry
        )?;
        Ok(out.convert())
    }

    /// The entries of a stored index, once checked against its place.
    pub fn index_read(
        &self,
        stored: Index,
        project: &str,
        setup: &str,
    ) -> Result<Result<Vec<IndexEntry>, String>> {
        let stored: wit::Index = stored.convert();
        let out = ask!(
            self,
            "reading an index",
            call_index_read,
            &stored,
            project,
            setup
        )?;
        Ok(out.map(Convert::convert))
    }
}
