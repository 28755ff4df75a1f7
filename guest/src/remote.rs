use crate::Component;
use crate::exports::zerops::build_cache::remote as wit;
use zerops_cache_policy::remote::{epoch, gc, identity, manifest, naming, signature};

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
}
