//! Typed questions to the component's `layers` interface (keys, decisions,
//! layer records). Each converts the WIT types into the policy crate's data
//! types, so the renderers and the JSON output share one definition.

use anyhow::Result;
use zerops_cache_policy::decide as d;
use zerops_cache_policy::keys as k;
use zerops_cache_policy::record::Event;
use zerops_cache_policy::snapshot::{Snapshot, Unkeyed};
use zerops_cache_policy::{Diagnostic, time::Timestamp};

use crate::component::PolicyHost;
use crate::component::bindings::exports::zerops::build_cache::layers as wit;
use crate::component::lint::diagnostic;

fn keys(x: wit::LayerKeys) -> k::LayerKeys {
    k::LayerKeys {
        base: x.base,
        build: x.build,
    }
}

fn inputs(i: wit::LayerInputs) -> k::LayerInputs {
    k::LayerInputs {
        os: i.os,
        base: i.base,
        prepare_commands: i.prepare_commands,
        cache: match i.cache {
            wit::CacheSpec::All(b) => k::CacheSpec::All(b),
            wit::CacheSpec::Patterns(p) => k::CacheSpec::Patterns(p),
        },
    }
}

/// The keys of one setup, as a snapshot without the unkeyed fields (the
/// `keys` question does not return them).
fn setup_keys(s: wit::SetupKeys) -> Snapshot {
    Snapshot {
        setup: s.setup,
        build_from: s.build_from,
        inputs: inputs(s.inputs),
        keys: keys(s.keys),
        unkeyed: Unkeyed::default(),
    }
}

fn kind(x: wit::ReasonKind) -> d::ReasonKind {
    use d::ReasonKind as K;
    use wit::ReasonKind as W;
    match x {
        W::NoPrevious => K::NoPrevious,
        W::Added => K::Added,
        W::Removed => K::Removed,
        W::Changed => K::Changed,
        W::Moved => K::Moved,
        W::ManualInvalidation => K::ManualInvalidation,
        W::VersionActivated => K::VersionActivated,
        W::BaseRebuilt => K::BaseRebuilt,
        W::RecordUnreadable => K::RecordUnreadable,
        W::KeyVersion => K::KeyVersion,
        W::KeyChanged => K::KeyChanged,
        W::SetupChanged => K::SetupChanged,
    }
}

fn reason(r: wit::Reason) -> d::Reason {
    d::Reason {
        kind: kind(r.kind),
        field: r.field,
        index: r.index,
        from_index: r.from_index,
        key: r.key,
        old: r.old,
        new: r.new,
        version: r.version,
        at: r.at,
        invalidates: r.invalidates,
        message: r.message,
    }
}

fn verdict(v: wit::LayerVerdict) -> d::LayerVerdict {
    d::LayerVerdict {
        invalidated: v.invalidated,
        reasons: v.reasons.into_iter().map(reason).collect(),
    }
}

fn decision(x: wit::Decision) -> d::Decision {
    d::Decision {
        setup: x.setup,
        build_from: x.build_from,
        keys: keys(x.keys),
        previous_keys: x.previous_keys.map(keys),
        base: verdict(x.base),
        build: verdict(x.build),
        unaffected: x.unaffected.into_iter().map(reason).collect(),
    }
}

fn event(e: &Event) -> wit::Event {
    let at = |t: &Timestamp| t.as_str().to_string();
    match e {
        Event::ManualInvalidation { at: t } => wit::Event::ManualInvalidation(at(t)),
        Event::VersionActivated { version, at: t } => {
            wit::Event::VersionActivated(wit::VersionActivation {
                version: *version,
                at: at(t),
            })
        }
    }
}

/// The keys of every setup (or one), each with its keys or its error.
pub type SetupKeys = Vec<(String, Result<Snapshot, Diagnostic>)>;

impl PolicyHost {
    /// The layer keys of `setup`, or of every setup. The outer error is a
    /// file that cannot be read as a config or an unknown setup.
    pub fn keys(
        &self,
        src: &str,
        setup: Option<&str>,
    ) -> Result<std::result::Result<SetupKeys, Diagnostic>> {
        let out = self.call("computing layer keys", |p, s| {
            p.zerops_build_cache_layers().call_keys(s, src, setup)
        })?;
        Ok(out
            .map(|all| {
                all.into_iter()
                    .map(|e| (e.setup, e.keys.map(setup_keys).map_err(diagnostic)))
                    .collect()
            })
            .map_err(diagnostic))
    }

    /// What changing the config from `old` to `new` does to the cache.
    pub fn explain(
        &self,
        old: &str,
        new: &str,
        setup: Option<&str>,
    ) -> Result<std::result::Result<d::Decision, Diagnostic>> {
        let out = self.call("explaining the change", |p, s| {
            p.zerops_build_cache_layers()
                .call_explain(s, old, new, setup)
        })?;
        Ok(out.map(decision).map_err(diagnostic))
    }

    /// The decision against a stored layer record (JSON), or none.
    pub fn decide(
        &self,
        src: &str,
        setup: Option<&str>,
        record: Option<&str>,
    ) -> Result<std::result::Result<d::Decision, Diagnostic>> {
        let out = self.call("deciding on the cache", |p, s| {
            p.zerops_build_cache_layers()
                .call_decide(s, src, setup, record)
        })?;
        Ok(out.map(decision).map_err(diagnostic))
    }

    /// The layer record (JSON) to store after a successful build at `now`.
    pub fn record_after_build(
        &self,
        src: &str,
        setup: Option<&str>,
        previous: Option<&str>,
        now: &str,
    ) -> Result<std::result::Result<String, Diagnostic>> {
        let out = self.call("writing the layer record", |p, s| {
            p.zerops_build_cache_layers()
                .call_record_after_build(s, src, setup, previous, now)
        })?;
        Ok(out.map_err(diagnostic))
    }

    /// [`Self::decide`] for a build on the OS image `image`.
    pub fn decide_in_image(
        &self,
        src: &str,
        setup: Option<&str>,
        record: Option<&str>,
        image: &str,
    ) -> Result<std::result::Result<d::Decision, Diagnostic>> {
        let out = self.call("deciding on the cache", |p, s| {
            p.zerops_build_cache_layers()
                .call_decide_in_image(s, src, setup, record, image)
        })?;
        Ok(out.map(decision).map_err(diagnostic))
    }

    /// [`Self::record_after_build`], recording the OS image `image`.
    pub fn record_after_build_in_image(
        &self,
        src: &str,
        setup: Option<&str>,
        previous: Option<&str>,
        image: &str,
        now: &str,
    ) -> Result<std::result::Result<String, Diagnostic>> {
        let out = self.call("writing the layer record", |p, s| {
            p.zerops_build_cache_layers()
                .call_record_after_build_in_image(s, src, setup, previous, image, now)
        })?;
        Ok(out.map_err(diagnostic))
    }

    /// The layer record (JSON) with one more event.
    pub fn record_add_event(
        &self,
        record: &str,
        e: &Event,
    ) -> Result<std::result::Result<String, Diagnostic>> {
        let e = event(e);
        let out = self.call("adding an event to the layer record", |p, s| {
            p.zerops_build_cache_layers()
                .call_record_add_event(s, record, &e)
        })?;
        Ok(out.map_err(diagnostic))
    }
}
