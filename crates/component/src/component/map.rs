//! The WIT <-> contract conversions of the host: the tables of
//! `zerops_cache_contract::wit_map`, written once and shared with the guest.

use crate::component::bindings::exports::zerops::build_cache as w;

zerops_cache_contract::wit_map!(w);

#[cfg(test)]
mod tests {
    use super::{Convert, w};
    use zerops_cache_contract::decide::{Decision, LayerVerdict, Reason, ReasonKind};
    use zerops_cache_contract::keys::{CacheSpec, LayerInputs, LayerKeys};
    use zerops_cache_contract::plan::setup::BuildSetup;
    use zerops_cache_contract::plan::{Entry, EntryKind, deploy::DeployItem};
    use zerops_cache_contract::record::RecordInfo;
    use zerops_cache_contract::snapshot::Snapshot;
    use zerops_cache_contract::{Code, Diagnostic, Pos, Severity, Span};

    /// `x` survives the trip to its WIT type and back.
    fn round_trip<T, W>(x: T)
    where
        T: Convert<W> + Clone + PartialEq + std::fmt::Debug,
        W: Convert<T>,
    {
        let back: T = x.clone().convert().convert();
        assert_eq!(back, x);
    }

    fn keys() -> LayerKeys {
        LayerKeys {
            base: "b".into(),
            build: "c".into(),
        }
    }

    #[test]
    fn diagnostics_keep_code_span_file_and_help() {
        for sev in [Severity::Error, Severity::Warning, Severity::Note] {
            round_trip::<_, w::diagnostics::Severity>(sev);
        }
        let d = Diagnostic::warning(
            Code::CacheDoubleStar,
            Span::new(Pos::new(2, 3), Pos::new(2, 9)),
            "m",
        )
        .with_help("h")
        .in_file("old");
        round_trip::<_, w::diagnostics::Diagnostic>(d.clone());
        let none = Diagnostic::error(Code::SetupUnknown, None, "no position");
        round_trip::<_, w::diagnostics::Diagnostic>(none.clone());
        let wit: w::diagnostics::Diagnostic = none.convert();
        assert!(wit.start.is_none() && wit.end.is_none());
        // Every code of the table crosses as its text and comes back.
        for c in Code::ALL {
            round_trip::<_, w::diagnostics::Diagnostic>(Diagnostic::note(*c, None, "x"));
        }
    }

    #[test]
    fn image_requests_choices_rows_and_references() {
        use zerops_cache_contract::image::*;
        let o = ImageOverride {
            os: "*".into(),
            base: vec!["php@8.4".into(), "nodejs@22".into()],
            image: "r.io/x:1".into(),
            origin: "f:3".into(),
        };
        round_trip::<_, w::images::ImageOverride>(o.clone());
        for origin in [FlagOrigin::CommandLine, FlagOrigin::Environment] {
            round_trip::<_, w::images::ImageRequest>(ImageRequest {
                os: "alpine".into(),
                base: vec!["nodejs@22".into()],
                overrides: vec![o.clone()],
                flag: Some(ImageFlag {
                    image: "host".into(),
                    origin,
                }),
            });
        }
        round_trip::<_, w::images::ImageChoice>(ImageChoice {
            reference: "node:22-alpine".into(),
            canonical: "docker.io/library/node:22-alpine".into(),
            host: false,
            origin: "https://hub.docker.com/_/node".into(),
            differs: Some("no zCLI".into()),
        });
        round_trip::<_, w::images::ImageRow>(ImageRow {
            os: "ubuntu".into(),
            base: String::new(),
            image: "ubuntu:24.04".into(),
            source: "s".into(),
            differs: "d".into(),
        });
        round_trip::<_, w::images::ImageReference>(ImageReference {
            registry: "docker.io".into(),
            repository: "library/node".into(),
            tag: None,
            digest: Some(format!("sha256:{}", "a".repeat(64))),
        });
    }

    #[test]
    fn an_unknown_code_stays_visible() {
        let wit = w::diagnostics::Diagnostic {
            code: "from-the-future".into(),
            severity: w::diagnostics::Severity::Error,
            message: "m".into(),
            start: None,
            end: None,
            file: None,
            help: None,
        };
        let d: Diagnostic = wit.convert();
        assert_eq!(d.code, Code::UnknownCode);
        assert!(d.message.contains("from-the-future"), "{}", d.message);
    }

    #[test]
    fn decisions_and_keys() {
        let reason = |kind| Reason {
            kind,
            field: Some("base".into()),
            index: Some(1),
            from_index: Some(2),
            key: Some("k".into()),
            old: Some("o".into()),
            new: Some("n".into()),
            version: Some(7),
            at: Some("2026-11-25T15:32:15Z".into()),
            invalidates: true,
            message: "m".into(),
        };
        let kinds = [
            ReasonKind::NoPrevious,
            ReasonKind::Added,
            ReasonKind::Removed,
            ReasonKind::Changed,
            ReasonKind::Moved,
            ReasonKind::ManualInvalidation,
            ReasonKind::VersionActivated,
            ReasonKind::BaseRebuilt,
            ReasonKind::RecordUnreadable,
            ReasonKind::KeyVersion,
            ReasonKind::KeyChanged,
            ReasonKind::SetupChanged,
        ];
        let d = Decision {
            setup: "app".into(),
            build_from: Some("base".into()),
            keys: keys(),
            previous_keys: Some(keys()),
            base: LayerVerdict {
                invalidated: true,
                reasons: kinds.iter().map(|k| reason(*k)).collect(),
            },
            build: LayerVerdict::default(),
            unaffected: vec![reason(ReasonKind::Changed)],
        };
        round_trip::<_, w::layers::Decision>(d);
        for cache in [CacheSpec::All(true), CacheSpec::Patterns(vec!["a".into()])] {
            let s = Snapshot {
                setup: "app".into(),
                build_from: None,
                inputs: LayerInputs {
                    os: "alpine".into(),
                    base: vec!["go@1".into()],
                    prepare_commands: vec!["x".into()],
                    cache,
                },
                keys: keys(),
                unkeyed: Default::default(),
            };
            round_trip::<_, w::layers::SetupKeys>(s);
        }
        round_trip::<_, w::layers::RecordInfo>(RecordInfo {
            setup: "app".into(),
            built_at: "2026-11-25T15:32:15Z".into(),
            image: Some("img".into()),
            keys: keys(),
        });
    }

    #[test]
    fn plans() {
        for k in [
            EntryKind::Dir,
            EntryKind::File,
            EntryKind::Symlink,
            EntryKind::Other,
        ] {
            let mut e = Entry::new("n", k);
            e.utf8 = false;
            round_trip::<_, w::patterns::Entry>(e);
        }
        round_trip::<_, w::plan::DeployItem>(DeployItem {
            written: "dist/~".into(),
            source: "dist".into(),
            target: "".into(),
        });
        round_trip::<_, w::plan::SetupBuild>(BuildSetup {
            setup: "app".into(),
            build_from: None,
            prepare_commands: vec!["p".into()],
            build_commands: vec!["b".into()],
            deploy_files: vec!["./".into()],
            cache: CacheSpec::All(false),
            env_variables: vec![("K".into(), "V".into())],
        });
    }

    #[test]
    fn walk_steps_purposes_listings_and_selections() {
        use zerops_cache_contract::select::Selection;
        use zerops_cache_contract::walk::{Listing, Purpose, SkipReason, Step};
        for r in SkipReason::ALL {
            round_trip::<_, w::walk::Why>(r);
            round_trip::<_, w::walk::Step>(Step::Skip(r));
        }
        round_trip::<_, w::walk::Step>(Step::Take);
        round_trip::<_, w::walk::Step>(Step::Descend);
        for p in [
            Purpose::Preserve(CacheSpec::Patterns(vec!["a/*".into()])),
            Purpose::Preserve(CacheSpec::All(true)),
            Purpose::Restore,
            Purpose::Deploy(Some("*.log".into())),
            Purpose::Deploy(None),
        ] {
            round_trip::<_, w::walk::Purpose>(p);
        }
        round_trip::<_, w::walk::Listing>(Listing {
            dir: "a/b".into(),
            entries: vec![Entry::dir("c"), Entry::file("d")],
            against: vec![Entry::symlink("c")],
        });
        for s in [
            Selection::Take { pattern: 3 },
            Selection::Descend { pattern: 1 },
            Selection::NoMatch,
            Selection::NotUtf8,
            Selection::SymlinkNotFollowed { pattern: 2 },
            Selection::NotADirectory { pattern: 4 },
        ] {
            round_trip::<_, w::patterns::Decision>(s);
        }
    }

    #[test]
    fn remote_manifests_names_and_bodies() {
        use zerops_cache_contract::layer::Layer;
        use zerops_cache_contract::remote::Entry as Node;
        use zerops_cache_contract::remote::epoch::Invalidation;
        use zerops_cache_contract::remote::index::{Index, IndexEntry};
        use zerops_cache_contract::remote::lock::{Lock, LockFacts, LockKind};
        use zerops_cache_contract::remote::naming::{Expect, ManifestName};
        use zerops_cache_contract::remote::{Blob, Delta, Kind, Manifest, Patch};
        let d = |c: char| c.to_string().repeat(64);
        let entries = vec![
            Node {
                path: "a".into(),
                kind: Kind::Dir { opaque: true },
                mode: 0o755,
                mtime_ns: -5,
            },
            Node {
                path: "b".into(),
                kind: Kind::Dir { opaque: false },
                mode: 0o700,
                mtime_ns: i64::MAX,
            },
            Node {
                path: "a/f".into(),
                kind: Kind::File {
                    digest: d('c'),
                    size: u64::MAX,
                },
                mode: 0o644,
                mtime_ns: 1,
            },
            Node {
                path: "a/l".into(),
                kind: Kind::Link { to: "../x".into() },
                mode: 0o777,
                mtime_ns: 2,
            },
            Node {
                path: "a/w".into(),
                kind: Kind::Whiteout,
                mode: 0,
                mtime_ns: i64::MIN,
            },
        ];
        for e in &entries {
            round_trip::<_, w::remote::Entry>(e.clone());
        }
        let blobs = vec![
            Blob {
                digest: d('c'),
                pack: d('f'),
                offset: 7,
                len: 9,
                size: 3,
                at: 0,
                frame_size: None,
            },
            Blob {
                digest: d('d'),
                pack: d('f'),
                offset: 7,
                len: 9,
                size: 2,
                at: 3,
                frame_size: Some(5),
            },
        ];
        let full = Manifest {
            format: "zerops-cache-remote-manifest/2".into(),
            project: "app-1".into(),
            setup: "api".into(),
            layer: Layer::Build,
            entry: d('e'),
            epoch: 4,
            image: "host".into(),
            base_key: d('a'),
            build_key: d('b'),
            created_ms: 1_765_112_429_377,
            entries,
            blobs: blobs.clone(),
            delta: None,
        };
        round_trip::<_, w::remote::Manifest>(full.clone());
        let patches = vec![
            Patch {
                path: "a/f".into(),
                kind: Some(Kind::File {
                    digest: d('d'),
                    size: 2,
                }),
                mode: None,
                mtime_ns: Some(9),
            },
            Patch {
                path: "a".into(),
                kind: None,
                mode: Some(0o700),
                mtime_ns: None,
            },
            Patch {
                path: "n".into(),
                kind: Some(Kind::Whiteout),
                mode: Some(0),
                mtime_ns: Some(0),
            },
        ];
        round_trip::<_, w::remote::Manifest>(Manifest {
            layer: Layer::Base,
            entries: Vec::new(),
            blobs,
            delta: Some(Delta {
                parent: d('9'),
                parent_object: d('8'),
                depth: 2,
                changed: patches,
                removed: vec!["b".into()],
            }),
            ..full
        });
        for layer in Layer::ALL {
            round_trip::<_, w::remote::ManifestNameParts>(ManifestName {
                project: "p".into(),
                setup_part: "s-1a2b".into(),
                epoch: u64::MAX,
                layer,
                entry: d('e'),
            });
            round_trip::<_, w::remote::Expect>(Expect {
                project: "p".into(),
                setup: "s x".into(),
                layer,
                entry: d('e'),
                epoch: 0,
            });
        }
        round_trip::<_, w::remote::Invalidation>(Invalidation {
            format: "zerops-cache-remote-epoch/1".into(),
            project: "p".into(),
            setup: "s".into(),
            epoch: 3,
            reason: "activate 2".into(),
        });
        for kind in [LockKind::Shared, LockKind::Exclusive] {
            let body = Lock {
                format: "zerops-cache-remote-lock/1".into(),
                kind,
                holder: "gc".into(),
            };
            for body in [Some(body), None] {
                round_trip::<_, w::remote::LockFacts>(LockFacts {
                    name: "v1/locks/x".into(),
                    body,
                    modified_ms: 5,
                });
            }
        }
        round_trip::<_, w::remote::Index>(Index {
            format: "zerops-cache-remote-index/1".into(),
            project: "p".into(),
            setup: "s".into(),
            entries: vec![IndexEntry {
                name: "v1/manifests/p/s/e1/base/x".into(),
                files: 1,
                bytes: 2,
                stored_bytes: 3,
            }],
        });
    }
}
