//! The remote tier on `object_store::memory::InMemory`: round trips of
//! every entry type, incremental pushes, refusal of tampered objects, racing
//! publishers, epochs and gc.

use futures::TryStreamExt;
use object_store::memory::InMemory;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::sync::Arc;

use super::config::Remote;
use super::pull::{LayerId, LayerSpec, fetch_manifest, pull_layer};
use super::push::push_layer;
use super::{Traffic, layer_dir, tier};
use zerops_cache_component::component::PolicyHost;
use zerops_cache_component::component::remote::wit::Mode;
use zerops_cache_contract::layer::Layer;

fn host() -> PolicyHost {
    PolicyHost::load().expect("the component loads")
}

fn remote(store: Arc<dyn ObjectStore>, secret: &[u8]) -> Remote {
    Remote::over(store, "ci/cache", Mode::Signed, Some(secret))
}

fn id(host: &PolicyHost, build_key: &str, epoch: u64) -> LayerId {
    let spec = LayerSpec {
        project: "app-0123456789ab",
        setup: "api",
        epoch,
        layer: Layer::Build,
        image: "host",
        base_key: "base-key",
        build_key,
    };
    LayerId::new(host, spec).unwrap()
}

fn rt() -> tokio::runtime::Runtime {
    tier::runtime().unwrap()
}

/// A layer with every entry type the remote carries.
fn layer(dir: &Path, files: usize) {
    let nm = dir.join("node_modules");
    std::fs::create_dir_all(nm.join("pkg/lib")).unwrap();
    for i in 0..files {
        let size = [10, 500, 4096, 90_000][i % 4] + i;
        // Incompressible bytes (xorshift), as most real contents are.
        let mut x = (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let body: Vec<u8> = (0..size)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        std::fs::write(nm.join(format!("pkg/lib/f{i}.js")), body).unwrap();
    }
    std::fs::write(nm.join("pkg/same1"), "same").unwrap();
    std::fs::write(nm.join("pkg/same2"), "same").unwrap();
    std::fs::write(nm.join("pkg/empty"), "").unwrap();
    std::fs::write(nm.join("pkg/run.sh"), "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(
        nm.join("pkg/run.sh"),
        std::fs::Permissions::from_mode(0o750),
    )
    .unwrap();
    std::os::unix::fs::symlink("pkg/run.sh", nm.join(".bin")).unwrap();
    std::os::unix::fs::symlink("../missing", nm.join("dangling")).unwrap();
    std::fs::set_permissions(nm.join("pkg/lib"), std::fs::Permissions::from_mode(0o705)).unwrap();
    // An overlay opaque directory, and (with CAP_MKNOD) a whiteout.
    std::fs::create_dir(nm.join("opaque")).unwrap();
    rustix::fs::lsetxattr(
        nm.join("opaque"),
        "user.overlay.opaque",
        b"y",
        rustix::fs::XattrFlags::empty(),
    )
    .unwrap();
    let _ = rustix::fs::mknodat(
        rustix::fs::CWD,
        nm.join("gone"),
        rustix::fs::FileType::CharacterDevice,
        rustix::fs::Mode::empty(),
        0,
    );
}

/// Every entry of a tree: path, kind, mode, mtime, contents.
fn snapshot(dir: &Path) -> Vec<String> {
    let w = layer_dir::walk(dir).unwrap();
    w.entries
        .iter()
        .map(|e| {
            let p = dir.join(&e.entry.path);
            let md = std::fs::symlink_metadata(&p).unwrap();
            let body = if md.is_file() {
                format!("{:x?}", super::sha256_hex(&std::fs::read(&p).unwrap()))
            } else if md.file_type().is_symlink() {
                std::fs::read_link(&p).unwrap().display().to_string()
            } else {
                String::new()
            };
            format!(
                "{} {:?} {:o} {} {}",
                e.entry.path,
                e.entry.kind,
                md.mode(),
                // A whiteout's mtime is not kept (overlayfs ignores it).
                if matches!(e.entry.kind, super::Kind::Whiteout) {
                    0
                } else {
                    md.mtime_nsec() + md.mtime() * 1_000_000_000
                },
                body
            )
        })
        .collect()
}

#[test]
fn a_pushed_layer_pulls_back_identical() {
    let host = host();
    let mem: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let r = remote(mem.clone(), b"secret");
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    layer(&src, 40);
    let id = id(&host, "k1", 0);
    let rt = rt();
    let traffic = Traffic::default();
    let hidden = indicatif::ProgressBar::hidden();
    let p = rt
        .block_on(push_layer(&host, &r, &traffic, &src, &id, 1, &hidden))
        .unwrap();
    assert!(p.published);
    assert_eq!(p.new_blobs, 40 + 3, "same1/same2 share one blob");
    // Pushing again: the manifest is there, nothing is uploaded.
    let before = traffic.summary().objects_up;
    let again = rt
        .block_on(push_layer(&host, &r, &traffic, &src, &id, 1, &hidden))
        .unwrap();
    assert!(again.already_there && !again.published);
    assert_eq!(traffic.summary().objects_up, before);

    let m = rt
        .block_on(fetch_manifest(&host, &r, &id, &traffic))
        .unwrap()
        .expect("published");
    let dst = t.path().join("dst");
    std::fs::create_dir(&dst).unwrap();
    rt.block_on(pull_layer(&host, &r, &traffic, &m, &dst, &hidden))
        .unwrap();
    assert_eq!(snapshot(&src), snapshot(&dst));
}

#[test]
fn an_incremental_push_uploads_only_new_blobs() {
    let host = host();
    let mem: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let r = remote(mem, b"secret");
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    layer(&src, 200);
    let rt = rt();
    let hidden = indicatif::ProgressBar::hidden();
    let full = Traffic::default();
    rt.block_on(push_layer(
        &host,
        &r,
        &full,
        &src,
        &id(&host, "k1", 0),
        1,
        &hidden,
    ))
    .unwrap();
    std::fs::write(src.join("node_modules/pkg/lib/f7.js"), "changed").unwrap();
    let inc = Traffic::default();
    let p = rt
        .block_on(push_layer(
            &host,
            &r,
            &inc,
            &src,
            &id(&host, "k2", 0),
            2,
            &hidden,
        ))
        .unwrap();
    assert!(p.published);
    assert_eq!(p.new_blobs, 1);
    assert_eq!(p.reused_blobs, 200 + 3 - 1);
    let (f, i) = (full.summary().bytes_up, inc.summary().bytes_up);
    // One pack of one small blob, plus the manifest.
    assert!(i * 50 < f, "incremental {i} bytes vs full {f}");
    assert_eq!(inc.summary().objects_up, 2);
    // The second manifest is a delta; it pulls back as the whole tree.
    let m = rt
        .block_on(fetch_manifest(&host, &r, &id(&host, "k2", 0), &inc))
        .unwrap()
        .unwrap();
    assert!(m.delta.is_none(), "resolved");
    let dst = t.path().join("dst");
    std::fs::create_dir(&dst).unwrap();
    rt.block_on(pull_layer(&host, &r, &inc, &m, &dst, &hidden))
        .unwrap();
    assert_eq!(snapshot(&src), snapshot(&dst));
}

async fn names(mem: &Arc<dyn ObjectStore>, under: &str) -> Vec<object_store::path::Path> {
    mem.list(Some(&object_store::path::Path::from(under)))
        .map_ok(|m| m.location)
        .try_collect()
        .await
        .unwrap()
}

#[test]
fn tampered_manifests_and_blobs_are_refused() {
    let host = host();
    let mem: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let r = remote(mem.clone(), b"secret");
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    layer(&src, 8);
    let rt = rt();
    let traffic = Traffic::default();
    let hidden = indicatif::ProgressBar::hidden();
    let id = id(&host, "k1", 0);
    rt.block_on(push_layer(&host, &r, &traffic, &src, &id, 1, &hidden))
        .unwrap();
    let mpath = r.path(&id.manifest_name(&host).unwrap());
    let original = rt.block_on(async { mem.get(&mpath).await.unwrap().bytes().await.unwrap() });

    // Another secret: the signature does not verify.
    let other = remote(mem.clone(), b"other secret");
    let e = rt
        .block_on(fetch_manifest(&host, &other, &id, &traffic))
        .unwrap_err();
    assert!(format!("{e:#}").contains("signature"), "{e:#}");
    // Unsigned mode reads it; a signed reader refuses an unsigned object.
    let unsigned = Remote::over(mem.clone(), "ci/cache", Mode::Unsigned, None);
    assert!(
        rt.block_on(fetch_manifest(&host, &unsigned, &id, &traffic))
            .unwrap()
            .is_some()
    );
    let forged =
        super::sign::seal(&host, &unsigned, &id.manifest_name(&host).unwrap(), b"x").unwrap();
    rt.block_on(mem.put(&mpath, PutPayload::from(forged)))
        .unwrap();
    let e = rt
        .block_on(fetch_manifest(&host, &r, &id, &traffic))
        .unwrap_err();
    assert!(format!("{e:#}").contains("unsigned"), "{e:#}");
    // A flipped body byte: the digest in the header no longer matches.
    let mut bad = original.to_vec();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    rt.block_on(mem.put(&mpath, PutPayload::from(bad))).unwrap();
    let e = rt
        .block_on(fetch_manifest(&host, &r, &id, &traffic))
        .unwrap_err();
    assert!(format!("{e:#}").contains("digest"), "{e:#}");
    // Replayed under another entry name: refused by the component's check.
    let other_id = super::pull::LayerId {
        entry: "0".repeat(64),
        ..id.clone()
    };
    let other_name = other_id.manifest_name(&host).unwrap();
    let (h, body) = super::split_object(&original).unwrap();
    let _ = h;
    let resealed = super::sign::seal(&host, &r, &other_name, body).unwrap();
    rt.block_on(mem.put(&r.path(&other_name), PutPayload::from(resealed)))
        .unwrap();
    let e = rt
        .block_on(fetch_manifest(&host, &r, &other_id, &traffic))
        .unwrap_err();
    assert!(format!("{e:#}").contains("replayed"), "{e:#}");

    // A tampered pack: the blob fails its digest, and the pull stops.
    rt.block_on(mem.put(&mpath, PutPayload::from(original)))
        .unwrap();
    let m = rt
        .block_on(fetch_manifest(&host, &r, &id, &traffic))
        .unwrap()
        .unwrap();
    let packs = rt.block_on(names(&mem, "ci/cache/v1/packs"));
    for p in packs {
        let bytes = rt.block_on(async { mem.get(&p).await.unwrap().bytes().await.unwrap() });
        // Same length, other contents: a valid zstd frame of other bytes is
        // the hardest case, so re-compress something else at each offset.
        // Each frame of the size it declares, so only the digests tell.
        let mut forged = Vec::new();
        let frames: std::collections::BTreeMap<u64, (u64, u64)> = m
            .blobs
            .iter()
            .filter(|b| p.as_ref().ends_with(&b.pack))
            .map(|b| (b.offset, (b.len, b.frame_raw())))
            .collect();
        assert!(
            m.blobs.iter().any(|b| b.frame_size.is_some()),
            "small files share frames"
        );
        for (off, (len, size)) in frames {
            let evil = vec![b'!'; size as usize];
            let mut f = zstd::bulk::compress(&evil, 3).unwrap();
            // Padded to the frame's length with a skippable frame: a valid
            // frame of the right size in the right place.
            if let Some(pad) = (len as usize).checked_sub(f.len() + 8) {
                f.extend_from_slice(&0x184D_2A50u32.to_le_bytes());
                f.extend_from_slice(&(pad as u32).to_le_bytes());
                f.resize(len as usize, 0);
            }
            forged.resize(off as usize, 0);
            forged.extend_from_slice(&f);
        }
        forged.resize(bytes.len().max(forged.len()), 0);
        rt.block_on(mem.put(&p, PutPayload::from(forged))).unwrap();
    }
    let dst = t.path().join("dst");
    std::fs::create_dir(&dst).unwrap();
    let e = rt
        .block_on(pull_layer(&host, &r, &traffic, &m, &dst, &hidden))
        .unwrap_err();
    let msg = format!("{e:#}");
    assert!(msg.contains("does not match its digest"), "{msg}");
}

#[test]
fn racing_publishers_leave_one_manifest() {
    let host = host();
    let mem: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let r = remote(mem.clone(), b"secret");
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    layer(&src, 30);
    let id = id(&host, "k1", 0);
    let rt = rt();
    let traffic = Traffic::default();
    let hidden = indicatif::ProgressBar::hidden();
    let results = rt.block_on(futures::future::join_all(
        (0..8).map(|i| push_layer(&host, &r, &traffic, &src, &id, i, &hidden)),
    ));
    let published = results
        .iter()
        .filter(|r| r.as_ref().unwrap().published)
        .count();
    assert_eq!(published, 1);
    assert_eq!(rt.block_on(names(&mem, "ci/cache/v1/manifests")).len(), 1);
    assert!(
        rt.block_on(fetch_manifest(&host, &r, &id, &traffic))
            .unwrap()
            .is_some()
    );
}

#[test]
fn epochs_rise_and_old_manifests_are_collected() {
    let host = host();
    let mem: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let r = remote(mem.clone(), b"secret");
    let rt = rt();
    let (p, s) = ("app-0123456789ab", "api");
    let current = |seen| rt.block_on(super::epochs::current(&host, &r, p, s, seen));
    assert_eq!(current(None).unwrap(), 0);
    let raise = |seen, why| {
        rt.block_on(super::epochs::raise(&host, &r, p, s, seen, why))
            .unwrap()
    };
    assert_eq!(raise(None, "invalidate"), 1);
    assert_eq!(raise(Some(1), "activate 2"), 2);
    assert_eq!(current(Some(1)).unwrap(), 2);

    let t = tempfile::tempdir().unwrap();
    let a = t.path().join("a");
    layer(&a, 6);
    let b = t.path().join("b");
    std::fs::create_dir_all(&b).unwrap();
    std::fs::write(b.join("only-in-b"), "b").unwrap();
    let traffic = Traffic::default();
    let hidden = indicatif::ProgressBar::hidden();
    // An entry of epoch 1 (invalidated) and one of epoch 2 (live).
    rt.block_on(push_layer(
        &host,
        &r,
        &traffic,
        &a,
        &id(&host, "k1", 1),
        1,
        &hidden,
    ))
    .unwrap();
    rt.block_on(push_layer(
        &host,
        &r,
        &traffic,
        &b,
        &id(&host, "k2", 2),
        1,
        &hidden,
    ))
    .unwrap();
    let args = super::admin::GcArgs {
        max_age: None,
        max_size: None,
        grace: std::time::Duration::ZERO,
        dry_run: false,
    };
    super::admin::gc(&host, &r, &args).unwrap();
    let left = rt.block_on(names(&mem, "ci/cache/v1/manifests"));
    assert_eq!(left.len(), 1);
    assert!(left[0].as_ref().contains("/e2/"));
    // What the live manifest references is all still there.
    assert_eq!(
        super::admin::verify(&host, &r, true).unwrap(),
        zerops_cache_base::exit::Exit::Ok
    );
    let packs = rt.block_on(names(&mem, "ci/cache/v1/packs"));
    assert_eq!(packs.len(), 1, "only the live entry's pack is left");
}

#[test]
fn a_deleted_or_replayed_epoch_is_an_error_never_a_reset() {
    let host = host();
    let mem: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let r = remote(mem.clone(), b"secret");
    let rt = rt();
    let (p, s) = ("app-0123456789ab", "api");
    let raise = || {
        rt.block_on(super::epochs::raise(&host, &r, p, s, None, "invalidate"))
            .unwrap()
    };
    assert_eq!(raise(), 1);
    assert_eq!(raise(), 2);
    let newest = r.path(&host.invalidation_name(p, s, 2).unwrap());
    let object = rt.block_on(async { mem.get(&newest).await.unwrap().bytes().await.unwrap() });
    rt.block_on(mem.delete(&newest)).unwrap();
    // A builder that saw 2: an error that says why.
    let e = rt
        .block_on(super::epochs::current(&host, &r, p, s, Some(2)))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("saw epoch 2") && e.contains("rolled back"),
        "{e}"
    );
    // A fresh builder: a signed manifest of epoch 2 proves it.
    let t = tempfile::tempdir().unwrap();
    layer(t.path(), 3);
    let hidden = indicatif::ProgressBar::hidden();
    rt.block_on(mem.put(&newest, object.clone().into()))
        .unwrap();
    rt.block_on(push_layer(
        &host,
        &r,
        &Traffic::default(),
        t.path(),
        &id(&host, "k", 2),
        1,
        &hidden,
    ))
    .unwrap();
    rt.block_on(mem.delete(&newest)).unwrap();
    let e = rt
        .block_on(super::epochs::current(&host, &r, p, s, None))
        .unwrap_err()
        .to_string();
    assert!(e.contains("signed manifest of epoch 2"), "{e}");
    // Epoch 2's object replayed as epoch 3: refused, the newest valid one counts.
    rt.block_on(mem.put(&newest, object.clone().into()))
        .unwrap();
    let three = r.path(&host.invalidation_name(p, s, 3).unwrap());
    rt.block_on(mem.put(&three, object.into())).unwrap();
    assert_eq!(
        rt.block_on(super::epochs::current(&host, &r, p, s, None))
            .unwrap(),
        2
    );
    // Raising goes above everything known.
    assert_eq!(raise(), 4);
}

#[test]
fn an_ed25519_reader_reads_and_cannot_publish() {
    use super::config::Keys;
    let host = host();
    let mem: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let (private, public) = super::sign::keygen().unwrap();
    let sk = ed25519_dalek::SigningKey::from_bytes(
        &super::sign::unhex(&private).unwrap().try_into().unwrap(),
    );
    let mut writer = remote(mem.clone(), b"unused");
    writer.keys = Keys {
        trusted: vec![sk.verifying_key()],
        signing: Some(sk),
        ..Keys::default()
    };
    writer.publish_alg = Some("ed25519".into());
    let mut reader = remote(mem.clone(), b"unused");
    let vk = ed25519_dalek::VerifyingKey::from_bytes(
        &super::sign::unhex(&public).unwrap().try_into().unwrap(),
    )
    .unwrap();
    reader.keys = Keys {
        trusted: vec![vk],
        ..Keys::default()
    };
    reader.publish_alg = None;
    let rt = rt();
    let t = tempfile::tempdir().unwrap();
    layer(t.path(), 3);
    let hidden = indicatif::ProgressBar::hidden();
    let i = id(&host, "k", 0);
    rt.block_on(push_layer(
        &host,
        &writer,
        &Traffic::default(),
        t.path(),
        &i,
        1,
        &hidden,
    ))
    .unwrap();
    assert!(
        rt.block_on(fetch_manifest(&host, &reader, &i, &Traffic::default()))
            .unwrap()
            .is_some()
    );
    let e = rt
        .block_on(push_layer(
            &host,
            &reader,
            &Traffic::default(),
            t.path(),
            &id(&host, "k2", 0),
            1,
            &hidden,
        ))
        .unwrap_err();
    assert!(format!("{e:#}").contains("never publishes"), "{e:#}");
    // An HMAC-only builder does not trust it.
    let hmac = remote(mem.clone(), b"secret");
    assert!(
        rt.block_on(fetch_manifest(&host, &hmac, &i, &Traffic::default()))
            .is_err()
    );
}
