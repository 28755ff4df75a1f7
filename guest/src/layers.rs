//! `layers`: layer keys, decisions and layer records. Converts types and
//! calls the policy; no rule lives here.

use crate::Component;
use crate::exports::zerops::build_cache::diagnostics::Diagnostic;
use crate::exports::zerops::build_cache::layers::{self as wit, Guest};
use crate::lint::diagnostic;
use zerops_cache_policy as policy;
use zerops_cache_policy::decide as d;

fn keys(k: policy::keys::LayerKeys) -> wit::LayerKeys {
    wit::LayerKeys {
        base: k.base,
        build: k.build,
    }
}

fn inputs(i: policy::keys::LayerInputs) -> wit::LayerInputs {
    wit::LayerInputs {
        os: i.os,
        base: i.base,
        prepare_commands: i.prepare_commands,
        cache: match i.cache {
            policy::keys::CacheSpec::All(b) => wit::CacheSpec::All(b),
            policy::keys::CacheSpec::Patterns(p) => wit::CacheSpec::Patterns(p),
        },
    }
}

fn setup_keys(s: policy::snapshot::Snapshot) -> wit::SetupKeys {
    wit::SetupKeys {
        setup: s.setup,
        build_from: s.build_from,
        inputs: inputs(s.inputs),
        keys: keys(s.keys),
    }
}

fn kind(k: d::ReasonKind) -> wit::ReasonKind {
    use d::ReasonKind as K;
    use wit::ReasonKind as W;
    match k {
        K::NoPrevious => W::NoPrevious,
        K::Added => W::Added,
        K::Removed => W::Removed,
        K::Changed => W::Changed,
        K::Moved => W::Moved,
        K::ManualInvalidation => W::ManualInvalidation,
        K::VersionActivated => W::VersionActivated,
        K::BaseRebuilt => W::BaseRebuilt,
        K::RecordUnreadable => W::RecordUnreadable,
        K::KeyVersion => W::KeyVersion,
        K::KeyChanged => W::KeyChanged,
        K::SetupChanged => W::SetupChanged,
    }
}

fn reason(r: d::Reason) -> wit::Reason {
    wit::Reason {
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

fn verdict(v: d::LayerVerdict) -> wit::LayerVerdict {
    wit::LayerVerdict {
        invalidated: v.invalidated,
        reasons: v.reasons.into_iter().map(reason).collect(),
    }
}

fn decision(x: d::Decision) -> wit::Decision {
    wit::Decision {
        setup: x.setup,
        build_from: x.build_from,
        keys: keys(x.keys),
        previous_keys: x.previous_keys.map(keys),
        base: verdict(x.base),
        build: verdict(x.build),
        unaffected: x.unaffected.into_iter().map(reason).collect(),
    }
}

fn event(e: wit::Event) -> Result<policy::record::Event, Diagnostic> {
    let at = |s: &str| policy::time::parse_arg(s).map_err(diagnostic);
    Ok(match e {
        wit::Event::ManualInvalidation(t) => {
            policy::record::Event::ManualInvalidation { at: at(&t)? }
        }
        wit::Event::VersionActivated(v) => policy::record::Event::VersionActivated {
            version: v.version,
            at: at(&v.at)?,
        },
    })
}

impl Guest for Component {
    fn keys(source: String, setup: Option<String>) -> Result<Vec<wit::SetupKeysEntry>, Diagnostic> {
        let all = policy::explain::keys(&source, setup.as_deref()).map_err(diagnostic)?;
        Ok(all
            .into_iter()
            .map(|(name, r)| wit::SetupKeysEntry {
                setup: name,
                keys: r.map(setup_keys).map_err(diagnostic),
            })
            .collect())
    }

    fn explain(
        old_source: String,
        new_source: String,
        setup: Option<String>,
    ) -> Result<wit::Decision, Diagnostic> {
        policy::explain::explain(&old_source, &new_source, setup.as_deref())
            .map(decision)
            .map_err(diagnostic)
    }

    fn decide(
        source: String,
        setup: Option<String>,
        record: Option<String>,
    ) -> Result<wit::Decision, Diagnostic> {
        policy::explain::decide_for(&source, setup.as_deref(), record.as_deref())
            .map(decision)
            .map_err(diagnostic)
    }

    fn record_after_build(
        source: String,
        setup: Option<String>,
        previous: Option<String>,
        now: String,
    ) -> Result<String, Diagnostic> {
        policy::record::after_build_json(&source, setup.as_deref(), previous.as_deref(), &now)
            .map_err(diagnostic)
    }

    fn decide_in_image(
        source: String,
        setup: Option<String>,
        record: Option<String>,
        image: String,
    ) -> Result<wit::Decision, Diagnostic> {
        policy::explain::decide_in_image(&source, setup.as_deref(), record.as_deref(), &image)
            .map(decision)
            .map_err(diagnostic)
    }

    fn record_after_build_in_image(
        source: String,
        setup: Option<String>,
        previous: Option<String>,
        image: String,
        now: String,
    ) -> Result<String, Diagnostic> {
        policy::record::after_build_in_image_json(
            &source,
            setup.as_deref(),
            previous.as_deref(),
            Some(&image),
            &now,
        )
        .map_err(diagnostic)
    }

    fn record_add_event(record: String, event: wit::Event) -> Result<String, Diagnostic> {
        policy::record::add_event_json(&record, self::event(event)?).map_err(diagnostic)
    }
}
