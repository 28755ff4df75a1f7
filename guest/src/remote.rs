use crate::Component;
use crate::exports::zerops::build_cache::remote as wit;
use zerops_cache_policy::remote::{epoch, gc, identity, index, lock, manifest, naming, signature};

fn epoch_facts(f: wit::EpochFacts) -> epoch::Facts {
    epoch::Facts {
        newest_object: f.newest_object,
        newest_manifest: f.newest_manifest,
        seen: f.seen,
    }
}

fn lock_kind(k: wit::LockKind) -> lock::Kind {
    match k {
        wit::LockKind::Shared => lock::Kind::Shared,
        wit::LockKind::Exclusive => lock::Kind::Exclusive,
    }
}

fn lock_others(o: Vec<wit::LockFacts>) -> Vec<lock::Other> {
    o.into_iter()
        .map(|l| lock::Other {
            name: l.name,
            json: l.body,
            modified_ms: l.modified_ms,
        })
        .collect()
}

fn keys_of(f: wit::SigningFacts) -> signature::Keys {
    signature::Keys {
        hmac_secret: f.hmac_secret,
        ed25519_private: f.ed25519_private,
        ed25519_trusted: f.ed25519_trusted,
        allow_unsigned: f.allow_unsigned,
    }
}

fn mode_of(m: wit::Mode) -> signature::Mode {
    match m {
        wit::Mode::Signed => signature::Mode::Signed,
        wit::Mode::Unsigned => signature::Mode::Unsigned,
    }
}

impl wit::Guest for Component {
    fn identify(f: wit::IdentityFacts) -> Result<wit::Identity, String> {
        let i = identity::identify(&identity::Facts {
            explicit: f.explicit,
            remote_url: f.remote_url,
            root_commit: f.root_commit,
            path: f.path,
        })?;
        Ok(wit::Identity {
            source: i.source.name().to_string(),
            shareable: i.shareable(),
            value: i.value,
            slug: i.slug,
        })
    }

    fn setup_part(setup: String) -> String {
        naming::setup_part(&setup)
    }

    fn entry_key(layer: String, image: String, base_key: String, build_key: String) -> String {
        naming::entry_key(&layer, &image, &base_key, &build_key)
    }

    fn manifest_name(
        project: String,
        setup: String,
        epoch: u64,
        layer: String,
        entry: String,
    ) -> String {
        naming::manifest(&project, &setup, epoch, &layer, &entry)
    }

    fn manifests_of(project: String, setup: String) -> String {
        naming::manifests_of(&project, &setup)
    }

    fn epoch_name(project: String, setup: String) -> String {
        naming::epoch(&project, &setup)
    }

    fn pack_name(digest: String) -> String {
        naming::pack(&digest)
    }

    fn parse_manifest_name(name: String) -> Option<wit::ManifestNameParts> {
        naming::parse_manifest(&name).map(|n| wit::ManifestNameParts {
            project: n.project,
            setup_part: n.setup_part,
            epoch: n.epoch,
            layer: n.layer,
            entry: n.entry,
        })
    }

    fn parse_pack_name(name: String) -> Option<String> {
        naming::parse_pack(&name).map(str::to_string)
    }

    fn check_manifest(json: String, w: wit::Expect) -> Result<(), String> {
        let want = manifest::Expect {
            project: &w.project,
            setup: &w.setup,
            layer: &w.layer,
            entry: &w.entry,
            epoch: w.epoch,
        };
        manifest::check_json(&json, &want).map(drop)
    }

    fn apply_delta(parent: String, delta: String) -> Result<String, String> {
        manifest::apply_json(&parent, &delta)
    }

    fn diff_tree(parent: String, entries: String) -> Result<String, String> {
        manifest::diff_json(&parent, &entries)
    }

    fn signing_input(name: String, body_digest: String) -> Vec<u8> {
        signature::signing_input(&name, &body_digest)
    }

    fn signing_mode(secret_set: bool, allow_unsigned: bool) -> Result<wit::Mode, String> {
        Ok(match signature::mode(secret_set, allow_unsigned)? {
            signature::Mode::Signed => wit::Mode::Signed,
            signature::Mode::Unsigned => wit::Mode::Unsigned,
        })
    }

    fn publish_alg(mode: wit::Mode) -> String {
        signature::publish_alg(mode_of(mode)).to_string()
    }

    fn trust_object(mode: wit::Mode, alg: String) -> Result<wit::Trust, String> {
        Ok(match signature::trust(mode_of(mode), &alg)? {
            signature::Trust::Verify => wit::Trust::Verify,
            signature::Trust::Accept => wit::Trust::Accept,
        })
    }

    fn raise_epoch(
        current: Option<String>,
        project: String,
        setup: String,
        reason: String,
    ) -> String {
        epoch::raise_json(current.as_deref(), &project, &setup, &reason)
    }

    fn check_epoch(json: String, project: String, setup: String) -> Result<u64, String> {
        epoch::check_json(&json, &project, &setup)
    }

    fn gc(
        manifests: Vec<wit::ManifestFacts>,
        packs: Vec<wit::PackFacts>,
        b: wit::GcBudget,
    ) -> wit::GcPlan {
        let ms: Vec<gc::ManifestFacts> = manifests
            .into_iter()
            .map(|m| gc::ManifestFacts {
                name: m.name,
                bytes: m.bytes,
                modified_ms: m.modified_ms,
                live: m.live,
                packs: m.packs,
                parent: m.parent,
            })
            .collect();
        let ps: Vec<gc::PackFacts> = packs
            .into_iter()
            .map(|p| gc::PackFacts {
                digest: p.digest,
                name: p.name,
                bytes: p.bytes,
                modified_ms: p.modified_ms,
            })
            .collect();
        let plan = gc::plan(
            &ms,
            &ps,
            &gc::Budget {
                now_ms: b.now_ms,
                max_age_ms: b.max_age_ms,
                max_bytes: b.max_bytes,
                grace_ms: b.grace_ms,
            },
        );
        wit::GcPlan {
            remove: plan
                .remove
                .into_iter()
                .map(|r| wit::Removal {
                    name: r.name,
                    bytes: r.bytes,
                    reason: r.reason,
                })
                .collect(),
            notes: plan.notes,
        }
    }

    fn invalidations_of(project: String, setup: String) -> String {
        naming::invalidations_of(&project, &setup)
    }

    fn invalidation_name(project: String, setup: String, epoch: u64) -> String {
        naming::invalidation(&project, &setup, epoch)
    }

    fn parse_invalidation_name(name: String) -> Option<u64> {
        naming::parse_invalidation(&name)
    }

    fn parse_epoch_dir(name: String) -> Option<u64> {
        naming::parse_epoch_dir(&name)
    }

    fn epoch_object(project: String, setup: String, n: u64, reason: String) -> String {
        epoch::object_json(&project, &setup, n, &reason)
    }

    fn check_epoch_object(
        json: String,
        project: String,
        setup: String,
        n: u64,
    ) -> Result<(), String> {
        epoch::check_object(&json, &project, &setup, n)
    }

    fn current_epoch(f: wit::EpochFacts) -> Result<u64, String> {
        epoch::current(&epoch_facts(f))
    }

    fn next_epoch(f: wit::EpochFacts) -> u64 {
        epoch::next(&epoch_facts(f))
    }

    fn layer_current(built_in: Option<u64>, current: u64) -> bool {
        epoch::layer_current(built_in, current)
    }

    fn locks_dir() -> String {
        naming::locks_dir()
    }

    fn lock_name(id: String) -> String {
        naming::lock(&id)
    }

    fn lock_body(kind: wit::LockKind, holder: String) -> String {
        lock::body(lock_kind(kind), &holder)
    }

    fn lock_verdict(
        kind: wit::LockKind,
        mine_ms: u64,
        others: Vec<wit::LockFacts>,
    ) -> Result<(), String> {
        lock::verdict(lock_kind(kind), mine_ms, &lock_others(others))
    }

    fn stale_locks(mine_ms: u64, others: Vec<wit::LockFacts>) -> Vec<String> {
        lock::stale(mine_ms, &lock_others(others))
    }

    fn quarantine_name(manifest: String) -> String {
        naming::quarantine(&manifest)
    }

    fn signing_setup(f: wit::SigningFacts) -> Result<wit::Signing, String> {
        let (mode, alg) = signature::setup(&keys_of(f))?;
        Ok(wit::Signing {
            mode: match mode {
                signature::Mode::Signed => wit::Mode::Signed,
                signature::Mode::Unsigned => wit::Mode::Unsigned,
            },
            publish_alg: alg.map(str::to_string),
        })
    }

    fn trust_alg(f: wit::SigningFacts, alg: String) -> Result<wit::Trust, String> {
        Ok(match signature::trust_with(&keys_of(f), &alg)? {
            signature::Trust::Verify => wit::Trust::Verify,
            signature::Trust::Accept => wit::Trust::Accept,
        })
    }

    fn index_name(project: String, setup: String) -> String {
        naming::index(&project, &setup)
    }

    fn index_add(
        current: Option<String>,
        project: String,
        setup: String,
        e: wit::IndexEntry,
    ) -> String {
        index::add(
            current.as_deref(),
            &project,
            &setup,
            index::Entry {
                name: e.name,
                files: e.files,
                bytes: e.bytes,
                stored_bytes: e.stored_bytes,
            },
        )
    }

    fn index_read(
        json: String,
        project: String,
        setup: String,
    ) -> Result<Vec<wit::IndexEntry>, String> {
        Ok(index::check(&json, &project, &setup)?
            .entries
            .into_iter()
            .map(|e| wit::IndexEntry {
                name: e.name,
                files: e.files,
                bytes: e.bytes,
                stored_bytes: e.stored_bytes,
            })
            .collect())
    }
}
