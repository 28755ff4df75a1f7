//! `layers`: layer keys, decisions and layer records. Converts types (the
//! tables of `zerops_cache_contract::wit_map`) and calls the policy; no
//! rule lives here.

use crate::Component;
use crate::exports::zerops::build_cache::diagnostics::Diagnostic;
use crate::exports::zerops::build_cache::layers::{self as wit, Guest};
use crate::lint::diagnostic;
use crate::map::Convert;
use zerops_cache_policy as policy;

fn decision(x: policy::decide::Decision) -> wit::Decision {
    x.convert()
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
        let all = policy::api::keys(&source, setup.as_deref()).map_err(diagnostic)?;
        Ok(all
            .into_iter()
            .map(|(name, r)| wit::SetupKeysEntry {
                setup: name,
                keys: r.map(Convert::convert).map_err(diagnostic),
            })
            .collect())
    }

    fn explain(
        old_source: String,
        new_source: String,
        setup: Option<String>,
    ) -> Result<wit::Decision, Diagnostic> {
        policy::api::explain(&old_source, &new_source, setup.as_deref())
            .map(decision)
            .map_err(diagnostic)
    }

    fn decide(
        source: String,
        setup: Option<String>,
        record: Option<String>,
    ) -> Result<wit::Decision, Diagnostic> {
        policy::api::decide_for(&source, setup.as_deref(), record.as_deref())
            .map(decision)
            .map_err(diagnostic)
    }

    fn decide_in_image(
        source: String,
        setup: Option<String>,
        record: Option<String>,
        image: String,
    ) -> Result<wit::Decision, Diagnostic> {
        policy::api::decide_in_image(&source, setup.as_deref(), record.as_deref(), &image)
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

    fn describe_record(record: String) -> Result<wit::RecordInfo, Diagnostic> {
        policy::api::describe_json(&record)
            .map(Convert::convert)
            .map_err(diagnostic)
    }
}
