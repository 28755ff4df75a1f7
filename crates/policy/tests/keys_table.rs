//! The invalidation table of the Zerops build cache (spec §4.6), layer keys
//! and the decisions built on them, over text configs as users write them.

use zerops_cache_policy::decide::{
    self, BaseAction, BuildAction, Decision, ReasonKind, decide, decide_json,
};
use zerops_cache_policy::keys::{InputsRules, LayerInputs};
use zerops_cache_policy::model;
use zerops_cache_policy::record::{Event, LayerRecord};
use zerops_cache_policy::snapshot::{Snapshot, SnapshotRules};
use zerops_cache_policy::time::Timestamp;
use zerops_cache_policy::{api, report};

/// A config that sets every field of `build` and a `run` section.
const BASE: &str = "zerops:
  - setup: app
    build:
      os: alpine
      base: nodejs@20
      prepareCommands:
        - apk add git
        - apk add curl
      buildCommands:
        - npm ci
        - npm run build
      deployFiles: [dist, package.json]
      cache: [node_modules, .next]
      addToRunPrepare: [package.json]
      envVariables:
        NODE_ENV: production
    run:
      base: nodejs@20
      start: npm start
";

fn snap(src: &str, setup: &str) -> Snapshot {
    Snapshot::of(&model::parse(src).unwrap(), setup).unwrap()
}

fn explain_app(old: &str, new: &str) -> Decision {
    api::explain(old, new, Some("app")).unwrap()
}

fn edit(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from:?} not in BASE");
    BASE.replacen(from, to, 1)
}

/// The fixed config of the fixed-digest test. Do not edit.
const FIXED: &str = "zerops:
  - setup: api
    build:
      base: [php@8.4, nodejs@22]
      prepareCommands:
        - apk add --no-cache vim
        - |
          curl -fsSL https://example.com/install.sh | sh
          echo \"done\"
      cache: ./vendor/
  - setup: web
    build:
      os: ubuntu
      base: nodejs@22
      cache: true
";

/// The layer keys are a public contract: the same config gives the same
/// keys on every host and in every implementation (see `keys.rs` for the
/// byte encoding). These digests must NEVER change unless
/// `BASE_KEY_VERSION` / `BUILD_KEY_VERSION` is bumped, which invalidates
/// every stored cache. The same values are checked through the component.
/// They were computed once and cross-checked with an independent encoder:
/// Python's `json.dumps(o, ensure_ascii=False, separators=(',', ':'),
/// sort_keys=True)` + `hashlib.sha256`.
pub const FIXED_API_BASE_KEY: &str =
    "b14ed0ebd6942ef560cb50c0501d96ea221dbad5f6a31d692f1066d9ed7ae70f";
pub const FIXED_API_BUILD_KEY: &str =
    "c629ee3c24c65117616b06384d5b20a66c0762bc7a2ce6fada7fa386293bcaad";
pub const FIXED_WEB_BASE_KEY: &str =
    "400cb6d57fdc32dda62af525a4c56e8ce8d48052dec5bc9ef398c2da5d2b723c";

#[test]
fn fixed_config_has_fixed_keys() {
    let api = snap(FIXED, "api");
    assert_eq!(
        String::from_utf8(api.inputs.canonical_bytes()).unwrap(),
        r#"{"base":["php@8.4","nodejs@22"],"cache":["vendor"],"os":"alpine","prepareCommands":["apk add --no-cache vim","curl -fsSL https://example.com/install.sh | sh\necho \"done\"\n"],"v":"zerops-cache/layer-key/v1"}"#
    );
    assert_eq!(api.keys.base, FIXED_API_BASE_KEY);
    assert_eq!(api.keys.build, FIXED_API_BUILD_KEY);
    let web = snap(FIXED, "web");
    assert_eq!(web.keys.base, FIXED_WEB_BASE_KEY);
    assert_eq!(
        web.keys.build,
        "82ab51b7dd16e5124523a8415bffc953056306f0758de19b79bc8cbe4e2524b3"
    );
}

#[test]
fn each_keyed_field_invalidates_both_layers() {
    let cases = [
        ("os", edit("os: alpine", "os: ubuntu"), "os alpine → ubuntu"),
        (
            "base",
            edit(
                "base: nodejs@20\n      prepare",
                "base: nodejs@22\n      prepare",
            ),
            "base nodejs@20 → nodejs@22",
        ),
        (
            "prepareCommands",
            edit(
                "        - apk add curl\n",
                "        - apk add curl\n        - apk add vim\n",
            ),
            "prepareCommands[2] added \"apk add vim\"",
        ),
        (
            "cache",
            edit("cache: [node_modules, .next]", "cache: [node_modules]"),
            "cache pattern \".next\" removed",
        ),
    ];
    for (field, new, message) in cases {
        let d = explain_app(BASE, &new);
        assert_eq!(d.base_action(), BaseAction::Rebuild, "{field}");
        assert_eq!(d.build_action(), BuildAction::Drop, "{field}");
        assert_ne!(d.keys, d.previous_keys.clone().unwrap(), "{field}");
        let r = &d.base.reasons[0];
        assert_eq!(r.field.as_deref(), Some(field));
        assert_eq!(r.message, message);
        assert!(r.invalidates);
        assert!(d.unaffected.is_empty(), "{field}: {:?}", d.unaffected);
        // The build layer goes too, and says why.
        let build: Vec<&str> = d.build.reasons.iter().map(|r| r.message.as_str()).collect();
        if field == "cache" {
            assert_eq!(build, [message]);
        } else {
            assert_eq!(build, ["base layer rebuilt (layers are coupled)"]);
        }
    }
}

#[test]
fn other_fields_do_not_invalidate() {
    let cases = [
        (
            "buildCommands",
            edit("- npm run build", "- npm run build:prod"),
            "buildCommands[1] changed \"npm run build\" → \"npm run build:prod\" (no effect on the cache)",
        ),
        (
            "envVariables",
            edit("NODE_ENV: production", "NODE_ENV: development"),
            "envVariables.NODE_ENV \"production\" → \"development\" (no effect on the cache)",
        ),
        (
            "deployFiles",
            edit("deployFiles: [dist, package.json]", "deployFiles: [dist]"),
            "deployFiles[1] removed \"package.json\" (no effect on the cache)",
        ),
        (
            "addToRunPrepare",
            edit(
                "addToRunPrepare: [package.json]",
                "addToRunPrepare: [package.json, x]",
            ),
            "addToRunPrepare[1] added \"x\" (no effect on the cache)",
        ),
        (
            "run",
            edit("start: npm start", "start: node server.js"),
            "run.start \"npm start\" → \"node server.js\" (no effect on the cache)",
        ),
    ];
    for (field, new, message) in cases {
        let d = explain_app(BASE, &new);
        assert_eq!(d.base_action(), BaseAction::Reuse, "{field}");
        assert_eq!(d.build_action(), BuildAction::Reuse, "{field}");
        assert!(d.base.reasons.is_empty() && d.build.reasons.is_empty());
        assert_eq!(d.keys, d.previous_keys.clone().unwrap());
        assert_eq!(d.unaffected.len(), 1, "{field}: {:?}", d.unaffected);
        assert_eq!(d.unaffected[0].field.as_deref(), Some(field));
        assert_eq!(d.unaffected[0].message, message);
        assert!(!d.unaffected[0].invalidates);
    }
    // The `run` change shows only when asked (verbose).
    let d = explain_app(BASE, &edit("start: npm start", "start: node server.js"));
    assert!(!report::render_text(&d, false).contains("run.start"));
    assert!(report::render_text(&d, true).contains("run.start"));
}

#[test]
fn list_order_matters() {
    let swapped = edit(
        "        - apk add git\n        - apk add curl\n",
        "        - apk add curl\n        - apk add git\n",
    );
    let d = explain_app(BASE, &swapped);
    assert_eq!(d.base_action(), BaseAction::Rebuild);
    assert_eq!(d.base.reasons.len(), 1);
    assert_eq!(d.base.reasons[0].kind, ReasonKind::Moved);
    assert_eq!(
        d.base.reasons[0].message,
        "prepareCommands \"apk add git\" moved from [0] to [1]"
    );
    let d = explain_app(
        BASE,
        &edit(
            "cache: [node_modules, .next]",
            "cache: [.next, node_modules]",
        ),
    );
    assert_eq!(d.build_action(), BuildAction::Drop);
    assert_eq!(d.base.reasons[0].kind, ReasonKind::Moved);
    let d = explain_app(
        BASE,
        &edit(
            "base: nodejs@20\n      prepare",
            "base: [nodejs@20, php@8.4]\n      prepare",
        ),
    );
    assert_eq!(d.base.reasons[0].message, "base[1] added php@8.4");
}

#[test]
fn defaults_are_equivalent_spellings() {
    let minimal = "zerops:\n  - setup: app\n    build:\n      deployFiles: ./\n";
    let explicit = "zerops:\n  - setup: app\n    build:\n      os: alpine\n      base: []\n      prepareCommands: []\n      cache: false\n      deployFiles: ./\n";
    let d = explain_app(minimal, explicit);
    assert_eq!(d.base_action(), BaseAction::Reuse, "{:?}", d.base.reasons);
    let scalar =
        "zerops:\n  - setup: app\n    build:\n      base: go@1\n      cache: node_modules\n";
    let list =
        "zerops:\n  - setup: app\n    build:\n      base: [go@1]\n      cache: [./node_modules/]\n";
    assert_eq!(explain_app(scalar, list).base_action(), BaseAction::Reuse);
    // `false` → `true` and absent → a pattern are real changes.
    let d = explain_app(
        minimal,
        &minimal.replace("deployFiles", "cache: true\n      deployFiles"),
    );
    assert_eq!(d.base.reasons[0].message, "cache false → true");
    let d = explain_app(
        minimal,
        &minimal.replace("deployFiles", "cache: vendor\n      deployFiles"),
    );
    assert_eq!(d.base.reasons[0].message, "cache false → [\"vendor\"]");
    let d = explain_app(
        minimal,
        &minimal.replace("deployFiles", "os: ubuntu\n      deployFiles"),
    );
    assert_eq!(d.base.reasons[0].message, "os alpine → ubuntu");
}

const EXTENDS: &str = "zerops:
  - setup: base
    build:
      base: php@8.4
      prepareCommands: [apk add imagick]
      cache: vendor
  - setup: app
    extends: base
    run:
      start: php-fpm
  - setup: worker
    build:
      base: php@8.4
      cache: vendor
";

#[test]
fn parent_changes_reach_the_child() {
    let new = EXTENDS.replace("[apk add imagick]", "[apk add imagick, apk add vim]");
    let d = explain_app(EXTENDS, &new);
    assert_eq!(d.build_from.as_deref(), Some("base"));
    assert_eq!(d.base_action(), BaseAction::Rebuild);
    assert_eq!(
        d.base.reasons[0].message,
        "prepareCommands[1] added \"apk add vim\""
    );
    assert!(report::render_text(&d, false).contains("inherited from `base`"));
    // A setup that does not extend the parent is untouched.
    let d = api::explain(EXTENDS, &new, Some("worker")).unwrap();
    assert_eq!(d.base_action(), BaseAction::Reuse);
    // A child that starts writing its own (identical) build keeps its keys.
    let own = EXTENDS.replace(
        "    extends: base\n",
        "    extends: base\n    build:\n      base: php@8.4\n      prepareCommands: [apk add imagick]\n      cache: vendor\n",
    );
    assert_eq!(explain_app(EXTENDS, &own).base_action(), BaseAction::Reuse);
}

#[test]
fn only_the_selected_setup_counts() {
    let two = format!("{BASE}  - setup: api\n    build:\n      base: go@1\n      cache: true\n");
    let other_changed = two.replace("base: go@1", "base: go@2");
    let d = explain_app(&two, &other_changed);
    assert_eq!(d.base_action(), BaseAction::Reuse);
    assert!(d.unaffected.is_empty());
    let d = api::explain(&two, &other_changed, Some("api")).unwrap();
    assert_eq!(d.base_action(), BaseAction::Rebuild);
    assert_eq!(d.base.reasons[0].message, "base go@1 → go@2");
    // Keys of one setup do not depend on the other setups in the file.
    assert_eq!(snap(&two, "app").keys, snap(BASE, "app").keys);
}

#[test]
fn no_previous_cache() {
    let d = decide(None, &snap(BASE, "app"));
    assert_eq!(d.base_action(), BaseAction::Rebuild);
    assert_eq!(d.build_action(), BuildAction::Drop);
    assert_eq!(d.base.reasons[0].message, "no previous cache");
    assert_eq!(d.build.reasons[0].kind, ReasonKind::NoPrevious);
}

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

#[test]
fn records_and_events() {
    let s = snap(BASE, "app");
    let rec = LayerRecord::after_build(&s, None, ts("2026-11-25T10:00:00Z"));
    let d = decide(Some(&rec), &s);
    assert_eq!(d.base_action(), BaseAction::Reuse);
    assert_eq!(d.build_action(), BuildAction::Reuse);

    let rec = rec.with_event(Event::ManualInvalidation {
        at: ts("2026-11-25T11:00:00Z"),
    });
    let d = decide(Some(&rec), &s);
    assert_eq!(d.build_action(), BuildAction::Drop);
    assert_eq!(
        d.base.reasons[0].message,
        "manual invalidation at 2026-11-25T11:00:00Z"
    );

    let rec = rec.with_event(Event::VersionActivated {
        version: 7,
        at: ts("2026-11-25T12:00:00Z"),
    });
    let d = decide_json(Some(&rec.to_json()), &s);
    let msgs: Vec<&str> = d.build.reasons.iter().map(|r| r.message.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "manual invalidation at 2026-11-25T11:00:00Z",
            "version 7 activated at 2026-11-25T12:00:00Z"
        ]
    );
    assert_eq!(d.build.reasons[1].version, Some(7));

    // The next build consumes the events.
    let next = LayerRecord::after_build(&s, Some(&rec), ts("2026-11-25T13:00:00Z"));
    assert_eq!(decide(Some(&next), &s).base_action(), BaseAction::Reuse);

    // A change since the record is named against the record's inputs.
    let changed = snap(&edit("os: alpine", "os: ubuntu"), "app");
    let d = decide(Some(&next), &changed);
    assert_eq!(d.base.reasons[0].message, "os alpine → ubuntu");
}

#[test]
fn unreadable_and_foreign_records_invalidate_with_a_reason() {
    let s = snap(BASE, "app");
    let d = decide_json(Some("{\"schema\": 9}"), &s);
    assert_eq!(d.base.reasons[0].kind, ReasonKind::RecordUnreadable);
    assert!(d.base.reasons[0].message.contains("schema 9"));
    let d = decide_json(Some("garbage"), &s);
    assert_eq!(d.build_action(), BuildAction::Drop);

    let mut rec = LayerRecord::after_build(&s, None, ts("2026-11-25T10:00:00Z"));
    rec.key_version = "zerops-cache/layer-key/v0".into();
    let d = decide(Some(&rec), &s);
    assert_eq!(d.base.reasons[0].kind, ReasonKind::KeyVersion);

    let mut rec = LayerRecord::after_build(&s, None, ts("2026-11-25T10:00:00Z"));
    rec.keys.base = "f".repeat(64);
    let d = decide(Some(&rec), &s);
    assert_eq!(d.base.reasons[0].kind, ReasonKind::KeyChanged);
}

#[test]
fn moving_the_cache_to_another_setup_is_noted_not_invalidating() {
    let s = snap(BASE, "app");
    let rec = LayerRecord::after_build(&s, None, ts("2026-11-25T10:00:00Z"));
    let other = snap(&BASE.replace("setup: app", "setup: web"), "web");
    let d = decide(Some(&rec), &other);
    assert_eq!(d.base_action(), BaseAction::Reuse);
    assert_eq!(d.unaffected[0].kind, ReasonKind::SetupChanged);
}

/// Every setup of every corpus file gets keys (or a resolve error), and
/// comparing a file with itself keeps both layers.
#[test]
fn corpus_keys_for_every_setup() {
    // The corpus is in the repository: a missing one is a failure, not a skip.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/corpus/zerops-yml");
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("the corpus at {dir}: {e}"));
    let (mut files, mut setups, mut errors) = (0, 0, 0);
    for e in entries {
        let path = e.unwrap().path();
        if path.extension().is_none_or(|x| x != "yaml") {
            continue;
        }
        let src = std::fs::read_to_string(&path).unwrap();
        let Ok(all) = api::keys(&src, None) else {
            continue;
        };
        files += 1;
        for (name, snap) in all {
            setups += 1;
            let Ok(s) = snap else {
                errors += 1;
                continue;
            };
            assert_eq!(s.keys, s.inputs.keys());
            assert_eq!(s.keys.base.len(), 64);
            let d = api::explain(&src, &src, Some(&name)).unwrap();
            assert_eq!(
                d.base_action(),
                BaseAction::Reuse,
                "{}:{name}",
                path.display()
            );
            assert!(d.unaffected.is_empty());
            let d = decide::compare(None, &s);
            assert_eq!(d.build_action(), BuildAction::Drop);
        }
    }
    eprintln!("corpus: {files} files, {setups} setups, {errors} resolve errors");
    assert!(files > 50, "only {files} corpus files parsed");
}

mod properties {
    use super::*;
    use proptest::prelude::*;
    use zerops_cache_policy::keys::CacheSpec;
    use zerops_cache_policy::snapshot::Unkeyed;

    fn words() -> impl Strategy<Value = Vec<String>> {
        proptest::collection::vec("[abc]", 0..5)
    }

    fn inputs() -> impl Strategy<Value = LayerInputs> {
        let cache = prop_oneof![
            any::<bool>().prop_map(CacheSpec::All),
            proptest::collection::vec("[xyz]", 1..4).prop_map(CacheSpec::Patterns),
        ];
        (
            prop_oneof![Just("alpine"), Just("ubuntu")],
            words(),
            words(),
            cache,
        )
            .prop_map(|(os, base, prepare_commands, cache)| LayerInputs {
                os: os.to_string(),
                base,
                prepare_commands,
                cache,
            })
    }

    fn snapshot(inputs: LayerInputs) -> Snapshot {
        Snapshot {
            setup: "app".into(),
            build_from: Some("app".into()),
            keys: inputs.keys(),
            inputs,
            unkeyed: Unkeyed::default(),
        }
    }

    proptest! {
        /// The decision follows the keys exactly, the layers are coupled,
        /// and every invalidation has reasons that point into the lists.
        #[test]
        fn decision_follows_keys(a in inputs(), b in inputs()) {
            let (a, b) = (snapshot(a), snapshot(b));
            let d = decide::compare(Some(&a), &b);
            prop_assert_eq!(d.base.invalidated, a.keys != b.keys);
            prop_assert_eq!(d.base.invalidated, a.inputs != b.inputs);
            prop_assert_eq!(d.build.invalidated, d.base.invalidated);
            prop_assert_eq!(d.base.reasons.is_empty(), !d.base.invalidated);
            prop_assert_eq!(d.build.reasons.is_empty(), !d.build.invalidated);
            for r in d.base.reasons.iter().chain(&d.build.reasons) {
                prop_assert!(r.invalidates && !r.message.is_empty());
                let len = |i: &LayerInputs| match r.field.as_deref() {
                    Some("base") => i.base.len(),
                    Some("prepareCommands") => i.prepare_commands.len(),
                    Some("cache") => match &i.cache {
                        CacheSpec::Patterns(p) => p.len(),
                        CacheSpec::All(_) => 0,
                    },
                    _ => usize::MAX,
                };
                if let Some(ix) = r.index {
                    let list = if r.kind == ReasonKind::Removed { &a.inputs } else { &b.inputs };
                    prop_assert!((ix as usize) < len(list), "{:?}", r);
                }
                if let Some(ix) = r.from_index {
                    prop_assert!((ix as usize) < len(&a.inputs), "{:?}", r);
                }
            }
        }
    }
}
