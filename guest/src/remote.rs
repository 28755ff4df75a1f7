use crate::Component;
use crate::exports::zerops::build_cache::remote as wit;
use crate::map::Convert;
use zerops_cache_policy::remote::{epoch, gc, identity, index, lock, manifest, naming, signature};

fn epoch_facts(f: wit::EpochFacts) -> epoch::Facts {
    epoch::Facts {
        newest_object: f.newest_object,
        newest_manifest: f.newest_manifest,
        seen: f.seen,
    }
}

fn keys_of(f: wit::SigningFacts) -> signature::Keys {
    signature::Keys {
        hmac_secret: f.hmac_secret,
        ed25519_private: f.ed25519_private,
        ed25519_trusted: f.ed25519_trusted,
        allow_unsigned: f.allow_unsigned,
    }
}

fn trust_of(t: signature::Trust) -> wit::Trust {
    match t {
        signature::Trust::Verify => wit::Trust::Verify,
        signature::Trust::Accept => wit::Trust::Accept,
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

    fn entry_key(layer: wit::Layer, image: String, base_key: String, build_key: String) -> String {
        naming::entry_key(layer.convert(), &image, &base_key, &build_key)
    }

    fn manifest_name(
        project: String,
        setup: String,
        epoch: u64,
        layer: wit::Layer,
        entry: String,
    ) -> String {
        naming::manifest(&project, &setup, epoch, layer.convert(), &entry)
    }

    fn manifests_of(project: String, setup: String) -> String {
        naming::manifests_of(&project, &setup)
    }

    fn pack_name(digest: String) -> String {
        naming::pack(&digest)
    }

    fn parse_manifest_name(name: String) -> Option<wit::ManifestNameParts> {
        naming::parse_manifest(&name).convert()
    }

    fn parse_pack_name(name: String) -> Option<String> {
        naming::parse_pack(&name).map(str::to_string)
    }

    fn check_manifest(m: wit::Manifest, want: wit::Expect) -> Result<(), String> {
        let m: manifest::Manifest = m.convert();
        manifest::check(&m, &want.convert())
    }

    fn apply_delta(parent: wit::Manifest, delta: wit::Manifest) -> Result<wit::Manifest, String> {
        let parent: manifest::Manifest = parent.convert();
        let delta: manifest::Manifest = delta.convert();
        manifest::apply(&parent, &delta).map(Convert::convert)
    }

    fn diff_tree(parent: Vec<wit::Entry>, tree: Vec<wit::Entry>) -> wit::Changes {
        let parent: Vec<manifest::Entry> = parent.convert();
        let tree: Vec<manifest::Entry> = tree.convert();
        let (changed, removed) = manifest::diff(&parent, &tree);
        wit::Changes {
            changed: changed.convert(),
            removed,
        }
    }

    fn signing_input(name: String, body_digest: String) -> Vec<u8> {
        signature::signing_input(&name, &body_digest)
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

    fn epoch_object(project: String, setup: String, n: u64, reason: String) -> wit::Invalidation {
        epoch::object(&project, &setup, n, &reason).convert()
    }

    fn check_epoch_object(
        object: wit::Invalidation,
        project: String,
        setup: String,
        n: u64,
    ) -> Result<(), String> {
        epoch::check_object(&object.convert(), &project, &setup, n)
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

    fn lock_body(kind: wit::LockKind, holder: String) -> wit::Lock {
        lock::body(kind.convert(), &holder).convert()
    }

    fn lock_verdict(
        kind: wit::LockKind,
        mine_ms: u64,
        others: Vec<wit::LockFacts>,
    ) -> Result<(), String> {
        let others: Vec<lock::LockFacts> = others.convert();
        lock::verdict(kind.convert(), mine_ms, &others)
    }

    fn stale_locks(mine_ms: u64, others: Vec<wit::LockFacts>) -> Vec<String> {
        let others: Vec<lock::LockFacts> = others.convert();
        lock::stale(mine_ms, &others)
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
        signature::trust_with(&keys_of(f), &alg).map(trust_of)
    }

    fn index_name(project: String, setup: String) -> String {
        naming::index(&project, &setup)
    }

    fn index_add(
        current: Option<wit::Index>,
        project: String,
        setup: String,
        e: wit::IndexEntry,
    ) -> wit::Index {
        index::add(current.convert(), &project, &setup, e.convert()).convert()
    }

    fn index_read(
        stored: wit::Index,
        project: String,
        setup: String,
    ) -> Result<Vec<wit::IndexEntry>, String> {
        let idx: index::Index = stored.convert();
        index::check(&idx, &project, &setup)?;
        Ok(idx.entries.convert())
    }
}
