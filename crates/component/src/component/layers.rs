//! Typed questions to the component's `layers` interface (keys, decisions,
//! layer records). Each converts the WIT types into the contract's data
//! types (the tables of `component::map`).

use anyhow::Result;
use zerops_cache_contract::Diagnostic;
use zerops_cache_contract::decide as d;
use zerops_cache_contract::record::Event;
use zerops_cache_contract::record::RecordInfo;
use zerops_cache_contract::snapshot::Snapshot;

use crate::component::PolicyHost;
use crate::component::bindings::exports::zerops::build_cache::layers as wit;
use crate::component::lint::diagnostic;
use crate::component::map::Convert;

fn decision(x: wit::Decision) -> d::Decision {
    x.convert()
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
                    .map(|e| (e.setup, e.keys.map(Convert::convert).map_err(diagnostic)))
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
        let e: wit::Event = e.clone().convert();
        let out = self.call("adding an event to the layer record", |p, s| {
            p.zerops_build_cache_layers()
                .call_record_add_event(s, record, &e)
        })?;
        Ok(out.map_err(diagnostic))
    }

    /// What a stored layer record says about the last build (the host
    /// never parses the record itself).
    pub fn describe_record(
        &self,
        record: &str,
    ) -> Result<std::result::Result<RecordInfo, Diagnostic>> {
        let out = self.call("reading the layer record", |p, s| {
            p.zerops_build_cache_layers()
                .call_describe_record(s, record)
        })?;
        Ok(out.map(Convert::convert).map_err(diagnostic))
    }
}
