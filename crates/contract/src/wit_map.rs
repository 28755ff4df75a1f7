//! The mapping between the contract types and the types that `wit-bindgen`
//! (guest) and `wasmtime::component::bindgen!` (host) generate from wit/,
//! written once as tables.
//!
//! Both sides generate their own Rust types from the same WIT, so the
//! mapping cannot be a plain `From` impl here. Instead each side invokes
//! [`wit_map!`](crate::wit_map) with the module its bindings put the
//! `zerops:build-cache` interfaces in:
//!
//! ```ignore
//! use crate::exports::zerops::build_cache as w;
//! zerops_cache_contract::wit_map!(w);
//! ```
//!
//! which defines a local trait `Convert<T>` with impls in both directions
//! for every row of the tables below (plus `Vec`, `Option`, pairs and the
//! scalars), so `x.convert()` turns a contract value into its WIT value and
//! back. The host's round-trip tests check every row.

/// Conversions that keep the value (scalars).
#[doc(hidden)]
#[macro_export]
macro_rules! __wit_same {
    ($($t:ty),*) => {$(
        impl Convert<$t> for $t {
            fn convert(self) -> $t {
                self
            }
        }
    )*};
}

/// Records: `ours => wit { fields }`, both directions, each field converted.
#[doc(hidden)]
#[macro_export]
macro_rules! __wit_records {
    ($($ours:ty => $wit:ty { $($field:ident),* $(,)? })*) => {$(
        impl Convert<$wit> for $ours {
            fn convert(self) -> $wit {
                type W = $wit;
                W { $($field: self.$field.convert(),)* }
            }
        }
        impl Convert<$ours> for $wit {
            fn convert(self) -> $ours {
                type O = $ours;
                O { $($field: self.$field.convert(),)* }
            }
        }
    )*};
}

/// Enums of unit variants with the same names on both sides.
#[doc(hidden)]
#[macro_export]
macro_rules! __wit_enums {
    ($($ours:ty => $wit:ty { $($v:ident),* $(,)? })*) => {$(
        impl Convert<$wit> for $ours {
            fn convert(self) -> $wit {
                type O = $ours;
                type W = $wit;
                match self {
                    $(O::$v => W::$v,)*
                }
            }
        }
        impl Convert<$ours> for $wit {
            fn convert(self) -> $ours {
                type O = $ours;
                type W = $wit;
                match self {
                    $(W::$v => O::$v,)*
                }
            }
        }
    )*};
}

/// Variants whose cases each carry one value.
#[doc(hidden)]
#[macro_export]
macro_rules! __wit_variants {
    ($($ours:ty => $wit:ty { $($v:ident),* $(,)? })*) => {$(
        impl Convert<$wit> for $ours {
            fn convert(self) -> $wit {
                type O = $ours;
                type W = $wit;
                match self {
                    $(O::$v(x) => W::$v(x.convert()),)*
                }
            }
        }
        impl Convert<$ours> for $wit {
            fn convert(self) -> $ours {
                type O = $ours;
                type W = $wit;
                match self {
                    $(W::$v(x) => O::$v(x.convert()),)*
                }
            }
        }
    )*};
}

/// The tables. `$w` is the module holding the generated interfaces
/// (`diagnostics`, `layers`, `patterns`, `plan`, …).
#[macro_export]
macro_rules! wit_map {
    ($w:ident) => {
        /// A conversion between a contract type and its WIT-generated
        /// twin, in either direction (see `zerops_cache_contract::wit_map`).
        pub(crate) trait Convert<T> {
            fn convert(self) -> T;
        }

        $crate::__wit_same!(String, bool, u32, u64, i64);

        impl<A: Convert<B>, B> Convert<Vec<B>> for Vec<A> {
            fn convert(self) -> Vec<B> {
                self.into_iter().map(Convert::convert).collect()
            }
        }

        impl<A: Convert<B>, B> Convert<Option<B>> for Option<A> {
            fn convert(self) -> Option<B> {
                self.map(Convert::convert)
            }
        }

        impl<A: Convert<C>, B: Convert<D>, C, D> Convert<(C, D)> for (A, B) {
            fn convert(self) -> (C, D) {
                (self.0.convert(), self.1.convert())
            }
        }

        $crate::__wit_enums! {
            $crate::diag::Severity => $w::diagnostics::Severity { Error, Warning, Note }
            $crate::decide::ReasonKind => $w::layers::ReasonKind {
                NoPrevious, Added, Removed, Changed, Moved, ManualInvalidation,
                VersionActivated, BaseRebuilt, RecordUnreadable, KeyVersion, KeyChanged,
                SetupChanged,
            }
            $crate::select::EntryKind => $w::patterns::EntryKind { Dir, File, Symlink, Other }
            $crate::layer::Layer => $w::advice::Layer { Base, Build }
            $crate::walk::SkipReason => $w::walk::Why {
                NoMatch, NotUtf8, SymlinkNotFollowed, NotADirectory, SourceWins, Ignored,
            }
            $crate::image::FlagOrigin => $w::images::FlagOrigin { CommandLine, Environment }
            $crate::lint::GatedCommand => $w::linter::GatedCommand {
                Build, Plan, Keys, Advise, Status, Invalidate, Activate,
            }
            $crate::remote::lock::LockKind => $w::remote::LockKind { Shared, Exclusive }
        }

        $crate::__wit_variants! {
            $crate::keys::CacheSpec => $w::layers::CacheSpec { All, Patterns }
        }

        $crate::__wit_records! {
            $crate::diag::Pos => $w::diagnostics::Position { line, column }
            $crate::keys::LayerKeys => $w::layers::LayerKeys { base, build }
            $crate::keys::LayerInputs => $w::layers::LayerInputs {
                os, base, prepare_commands, cache,
            }
            $crate::decide::Reason => $w::layers::Reason {
                kind, field, index, from_index, key, old, new, version, at, invalidates, message,
            }
            $crate::decide::LayerVerdict => $w::layers::LayerVerdict { invalidated, reasons }
            $crate::decide::Decision => $w::layers::Decision {
                setup, build_from, keys, previous_keys, base, build, unaffected,
            }
            $crate::record::RecordInfo => $w::layers::RecordInfo { setup, built_at, image, keys }
            $crate::select::Entry => $w::patterns::Entry { name, kind, utf8 }
            $crate::walk::Listing => $w::walk::Listing { dir, entries, against }
            $crate::plan::deploy::DeployItem => $w::plan::DeployItem { written, source, target }
            $crate::plan::setup::BuildSetup => $w::plan::SetupBuild {
                setup, build_from, prepare_commands, build_commands, deploy_files, cache,
                env_variables,
            }
            $crate::lint::TreeFacts => $w::linter::TreeFacts { entries, depth, tracked }
            $crate::lint::GateVerdict => $w::linter::GateVerdict {
                refuse, build_refuses, findings, deployignore,
            }
            $crate::image::ImageOverride => $w::images::ImageOverride { os, base, image, origin }
            $crate::image::ImageFlag => $w::images::ImageFlag { image, origin }
            $crate::image::ImageRequest => $w::images::ImageRequest { os, base, overrides, flag }
            $crate::image::ImageChoice => $w::images::ImageChoice {
                reference, canonical, host, origin, differs,
            }
            $crate::image::ImageRow => $w::images::ImageRow { os, base, image, source, differs }
            $crate::image::ImageReference => $w::images::ImageReference {
                registry, repository, tag, digest,
            }
            $crate::remote::naming::ManifestName => $w::remote::ManifestNameParts {
                project, setup_part, epoch, layer, entry,
            }
            $crate::remote::naming::Expect => $w::remote::Expect {
                project, setup, layer, entry, epoch,
            }
            $crate::remote::Manifest => $w::remote::Manifest {
                format, project, setup, layer, entry, epoch, image, base_key, build_key,
                created_ms, entries, blobs, delta,
            }
            $crate::remote::Delta => $w::remote::Delta {
                parent, parent_object, depth, changed, removed,
            }
            $crate::remote::epoch::Invalidation => $w::remote::Invalidation {
                format, project, setup, epoch, reason,
            }
            $crate::remote::lock::Lock => $w::remote::Lock { format, kind, holder }
            $crate::remote::lock::LockFacts => $w::remote::LockFacts { name, body, modified_ms }
            $crate::remote::index::Index => $w::remote::Index { format, project, setup, entries }
            $crate::remote::index::IndexEntry => $w::remote::IndexEntry {
                name, files, bytes, stored_bytes,
            }
        }

        // Rows whose two sides differ in shape.

        /// A span is two optional positions in WIT (none: no position).
        impl Convert<$w::diagnostics::Diagnostic> for $crate::diag::Diagnostic {
            fn convert(self) -> $w::diagnostics::Diagnostic {
                $w::diagnostics::Diagnostic {
                    code: self.code.as_str().to_string(),
                    severity: self.severity.convert(),
                    message: self.message,
                    start: self.span.map(|s| s.start.convert()),
                    end: self.span.map(|s| s.end.convert()),
                    file: self.file,
                    help: self.help,
                }
            }
        }

        /// A code the table does not know (a component of another version)
        /// is kept visible as `unknown-code`, with the code in the message.
        impl Convert<$crate::diag::Diagnostic> for $w::diagnostics::Diagnostic {
            fn convert(self) -> $crate::diag::Diagnostic {
                let (code, message) = match $crate::lint::Code::parse(&self.code) {
                    Some(c) => (c, self.message),
                    None => (
                        $crate::lint::Code::UnknownCode,
                        format!("[{}] {}", self.code, self.message),
                    ),
                };
                let span = match (self.start, self.end) {
                    (Some(s), Some(e)) => Some($crate::diag::Span::new(s.convert(), e.convert())),
                    (Some(s), None) => Some($crate::diag::Span::point(s.convert())),
                    _ => None,
                };
                $crate::diag::Diagnostic {
                    code,
                    severity: self.severity.convert(),
                    message,
                    span,
                    file: self.file,
                    help: self.help,
                }
            }
        }

        /// The `keys` question answers keys and inputs, no unkeyed fields.
        impl Convert<$w::layers::SetupKeys> for $crate::snapshot::Snapshot {
            fn convert(self) -> $w::layers::SetupKeys {
                $w::layers::SetupKeys {
                    setup: self.setup,
                    build_from: self.build_from,
                    inputs: self.inputs.convert(),
                    keys: self.keys.convert(),
                }
            }
        }

        impl Convert<$crate::snapshot::Snapshot> for $w::layers::SetupKeys {
            fn convert(self) -> $crate::snapshot::Snapshot {
                $crate::snapshot::Snapshot {
                    setup: self.setup,
                    build_from: self.build_from,
                    inputs: self.inputs.convert(),
                    keys: self.keys.convert(),
                    unkeyed: $crate::snapshot::Unkeyed::default(),
                }
            }
        }

        /// A step's unit cases and its skip reason.
        impl Convert<$w::walk::Step> for $crate::walk::Step {
            fn convert(self) -> $w::walk::Step {
                match self {
                    $crate::walk::Step::Take => $w::walk::Step::Take,
                    $crate::walk::Step::Descend => $w::walk::Step::Descend,
                    $crate::walk::Step::Skip(r) => $w::walk::Step::Skip(r.convert()),
                }
            }
        }

        impl Convert<$crate::walk::Step> for $w::walk::Step {
            fn convert(self) -> $crate::walk::Step {
                match self {
                    $w::walk::Step::Take => $crate::walk::Step::Take,
                    $w::walk::Step::Descend => $crate::walk::Step::Descend,
                    $w::walk::Step::Skip(r) => $crate::walk::Step::Skip(r.convert()),
                }
            }
        }

        /// A walk's purpose: `restore` carries nothing.
        impl Convert<$w::walk::Purpose> for $crate::walk::Purpose {
            fn convert(self) -> $w::walk::Purpose {
                match self {
                    $crate::walk::Purpose::Preserve(c) => $w::walk::Purpose::Preserve(c.convert()),
                    $crate::walk::Purpose::Restore => $w::walk::Purpose::Restore,
                    $crate::walk::Purpose::Deploy(t) => $w::walk::Purpose::Deploy(t),
                }
            }
        }

        impl Convert<$crate::walk::Purpose> for $w::walk::Purpose {
            fn convert(self) -> $crate::walk::Purpose {
                match self {
                    $w::walk::Purpose::Preserve(c) => $crate::walk::Purpose::Preserve(c.convert()),
                    $w::walk::Purpose::Restore => $crate::walk::Purpose::Restore,
                    $w::walk::Purpose::Deploy(t) => $crate::walk::Purpose::Deploy(t),
                }
            }
        }

        /// A selection is one flat enum here; WIT nests the skips
        /// (`decision.skip(skip-reason)`). Pattern indexes cross as u32.
        impl Convert<$w::patterns::Decision> for $crate::select::Selection {
            fn convert(self) -> $w::patterns::Decision {
                use $crate::select::Selection as S;
                use $w::patterns::{Decision as D, SkipReason as R};
                let i = |p: usize| u32::try_from(p).unwrap_or(u32::MAX);
                match self {
                    S::Take { pattern } => D::Take(i(pattern)),
                    S::Descend { pattern } => D::Descend(i(pattern)),
                    S::NoMatch => D::Skip(R::NoMatch),
                    S::NotUtf8 => D::Skip(R::NotUtf8),
                    S::SymlinkNotFollowed { pattern } => D::Skip(R::SymlinkNotFollowed(i(pattern))),
                    S::NotADirectory { pattern } => D::Skip(R::NotADirectory(i(pattern))),
                }
            }
        }

        impl Convert<$crate::select::Selection> for $w::patterns::Decision {
            fn convert(self) -> $crate::select::Selection {
                use $crate::select::Selection as S;
                use $w::patterns::{Decision as D, SkipReason as R};
                let i = |p: u32| p as usize;
                match self {
                    D::Take(p) => S::Take { pattern: i(p) },
                    D::Descend(p) => S::Descend { pattern: i(p) },
                    D::Skip(R::NoMatch) => S::NoMatch,
                    D::Skip(R::NotUtf8) => S::NotUtf8,
                    D::Skip(R::SymlinkNotFollowed(p)) => S::SymlinkNotFollowed { pattern: i(p) },
                    D::Skip(R::NotADirectory(p)) => S::NotADirectory { pattern: i(p) },
                }
            }
        }

        /// A manifest's entry (the stored form's wire names are one letter;
        /// `crates/contract/src/remote.rs` keeps them through serde).
        impl Convert<$w::remote::Entry> for $crate::remote::Entry {
            fn convert(self) -> $w::remote::Entry {
                $w::remote::Entry {
                    path: self.path,
                    kind: self.kind.convert(),
                    mode: self.mode,
                    mtime_ns: self.mtime_ns,
                }
            }
        }

        impl Convert<$crate::remote::Entry> for $w::remote::Entry {
            fn convert(self) -> $crate::remote::Entry {
                $crate::remote::Entry {
                    path: self.path,
                    kind: self.kind.convert(),
                    mode: self.mode,
                    mtime_ns: self.mtime_ns,
                }
            }
        }

        /// What an entry is: WIT carries a file's and a directory's facts
        /// as records.
        impl Convert<$w::remote::EntryKind> for $crate::remote::Kind {
            fn convert(self) -> $w::remote::EntryKind {
                use $crate::remote::Kind as K;
                use $w::remote::EntryKind as W;
                match self {
                    K::File { digest, size } => W::File($w::remote::Contents { digest, size }),
                    K::Dir { opaque } => W::Dir($w::remote::Directory { opaque }),
                    K::Link { to } => W::Link(to),
                    K::Whiteout => W::Whiteout,
                }
            }
        }

        impl Convert<$crate::remote::Kind> for $w::remote::EntryKind {
            fn convert(self) -> $crate::remote::Kind {
                use $crate::remote::Kind as K;
                use $w::remote::EntryKind as W;
                match self {
                    W::File(c) => K::File {
                        digest: c.digest,
                        size: c.size,
                    },
                    W::Dir(d) => K::Dir { opaque: d.opaque },
                    W::Link(to) => K::Link { to },
                    W::Whiteout => K::Whiteout,
                }
            }
        }

        impl Convert<$w::remote::Patch> for $crate::remote::Patch {
            fn convert(self) -> $w::remote::Patch {
                $w::remote::Patch {
                    path: self.path,
                    kind: self.kind.convert(),
                    mode: self.mode,
                    mtime_ns: self.mtime_ns,
                }
            }
        }

        impl Convert<$crate::remote::Patch> for $w::remote::Patch {
            fn convert(self) -> $crate::remote::Patch {
                $crate::remote::Patch {
                    path: self.path,
                    kind: self.kind.convert(),
                    mode: self.mode,
                    mtime_ns: self.mtime_ns,
                }
            }
        }

        impl Convert<$w::remote::Blob> for $crate::remote::Blob {
            fn convert(self) -> $w::remote::Blob {
                $w::remote::Blob {
                    digest: self.digest,
                    pack: self.pack,
                    offset: self.offset,
                    length: self.len,
                    size: self.size,
                    at: self.at,
                    frame_size: self.frame_size,
                }
            }
        }

        impl Convert<$crate::remote::Blob> for $w::remote::Blob {
            fn convert(self) -> $crate::remote::Blob {
                $crate::remote::Blob {
                    digest: self.digest,
                    pack: self.pack,
                    offset: self.offset,
                    len: self.length,
                    size: self.size,
                    at: self.at,
                    frame_size: self.frame_size,
                }
            }
        }

        /// Times cross as RFC 3339 text; reading one back is the guest's
        /// (`time::parse_arg`), so this direction only goes out.
        impl Convert<$w::layers::Event> for $crate::record::Event {
            fn convert(self) -> $w::layers::Event {
                match self {
                    $crate::record::Event::ManualInvalidation { at } => {
                        $w::layers::Event::ManualInvalidation(at.as_str().to_string())
                    }
                    $crate::record::Event::VersionActivated { version, at } => {
                        $w::layers::Event::VersionActivated($w::layers::VersionActivation {
                            version,
                            at: at.as_str().to_string(),
                        })
                    }
                }
            }
        }
    };
}
