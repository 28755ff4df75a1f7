//! The OS image is part of what the base layer was built on: a record made
//! on another image rebuilds it, and the same image reuses it.

use zerops_cache_policy::api::decide_in_image;
use zerops_cache_policy::decide::ReasonKind;
use zerops_cache_policy::record::{LayerRecord, after_build_in_image_json, after_build_json};

const SRC: &str = "zerops:\n  - setup: app\n    build:\n      prepareCommands: [make]\n      cache: true\n      deployFiles: ./\n";
const NOW: &str = "2026-11-25T10:00:00Z";

#[test]
fn the_same_image_reuses_another_rebuilds() {
    let rec = after_build_in_image_json(SRC, None, None, Some("host-root:aa"), NOW).unwrap();
    assert_eq!(
        LayerRecord::from_json(&rec).unwrap().image.as_deref(),
        Some("host-root:aa")
    );
    let same = decide_in_image(SRC, None, Some(&rec), "host-root:aa").unwrap();
    assert!(!same.base.invalidated && !same.build.invalidated);

    let other = decide_in_image(SRC, None, Some(&rec), "rootfs:bb").unwrap();
    assert!(other.base.invalidated && other.build.invalidated);
    let r = &other.base.reasons[0];
    assert_eq!(r.kind, ReasonKind::Changed);
    assert_eq!(r.field.as_deref(), Some("image"));
    assert_eq!(r.old.as_deref(), Some("host-root:aa"));
    assert_eq!(r.new.as_deref(), Some("rootfs:bb"));
    assert!(
        r.message.contains("host-root:aa → rootfs:bb"),
        "{}",
        r.message
    );
    assert_eq!(
        other.build.reasons.last().unwrap().kind,
        ReasonKind::BaseRebuilt
    );
}

#[test]
fn a_record_without_an_image_rebuilds_and_records_one() {
    let old = after_build_json(SRC, None, None, NOW).unwrap();
    assert!(!old.contains("\"image\""));
    let d = decide_in_image(SRC, None, Some(&old), "none").unwrap();
    assert!(d.base.invalidated);
    assert!(d.base.reasons[0].message.contains("(not recorded) → none"));
    let again = after_build_in_image_json(SRC, None, Some(&old), Some("none"), NOW).unwrap();
    assert!(
        !decide_in_image(SRC, None, Some(&again), "none")
            .unwrap()
            .base
            .invalidated
    );
}
