//! Typed questions to the component's `remote` interface about what keeps
//! a shared cache right: epochs (invalidations), the locks between publish
//! and gc, quarantine notes, and which keys sign and verify.

use anyhow::Result;

use super::PolicyHost;
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

    pub fn epoch_object(
        &self,
        project: &str,
        setup: &str,
        epoch: u64,
        reason: &str,
    ) -> Result<String> {
        ask!(
            self,
            "writing an epoch",
            call_epoch_object,
            project,
            setup,
            epoch,
            reason
        )
    }

    pub fn check_epoch_object(
        &self,
        json: &str,
        project: &str,
        setup: &str,
        epoch: u64,
    ) -> Result<Result<(), String>> {
        ask!(
            self,
            "checking an epoch",
            call_check_epoch_object,
            json,
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

    pub fn lock_body(&self, kind: wit::LockKind, holder: &str) -> Result<String> {
        ask!(self, "writing a lock", call_lock_body, kind, holder)
    }

    pub fn lock_verdict(
        &self,
        kind: wit::LockKind,
        mine_ms: u64,
        others: &[wit::LockFacts],
    ) -> Result<Result<(), String>> {
        ask!(
            self,
            "checking locks",
            call_lock_verdict,
            kind,
            mine_ms,
            others
        )
    }

    pub fn stale_locks(&self, mine_ms: u64, others: &[wit::LockFacts]) -> Result<Vec<String>> {
        ask!(
            self,
            "finding stale locks",
            call_stale_locks,
            mine_ms,
            others
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

    pub fn index_add(
        &self,
        current: Option<&str>,
        project: &str,
        setup: &str,
        entry: &wit::IndexEntry,
    ) -> Result<String> {
        ask!(
            self,
            "updating an index",
            call_index_add,
            current,
            project,
            setup,
            entry
        )
    }

    pub fn index_read(
        &self,
        json: &str,
        project: &str,
        setup: &str,
    ) -> Result<Result<Vec<wit::IndexEntry>, String>> {
        ask!(
            self,
            "reading an index",
            call_index_read,
            json,
            project,
            setup
        )
    }
}
