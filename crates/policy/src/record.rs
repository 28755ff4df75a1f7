//! The layer record: what the store remembers about the cache of one service
//! between builds. Hosts keep it as JSON; the policy alone writes and reads
//! that JSON, so its format has one owner.
//!
//! ```json
//! {
//!   "schema": 1,
//!   "key_version": "zerops-cache/layer-key/v1",
//!   "setup": "app",
//!   "keys": {"base": "<hex>", "build": "<hex>"},
//!   "inputs": {"os": "alpine", "base": ["nodejs@22"], "prepare_commands": [], "cache": ["node_modules"]},
//!   "unkeyed": {"build_commands": ["npm ci"], "deploy_files": ["./"], "env_variables": {}, "add_to_run_prepare": [], "run": {}, "deploy": {}},
//!   "built_at": "2026-11-25T15:32:15Z",
//!   "events": [{"kind": "manual-invalidation", "at": "2026-11-26T09:00:00Z"},
//!              {"kind": "version-activated", "version": 7, "at": "2026-11-26T10:00:00Z"}]
//! }
//! ```
//!
//! Field names are snake_case, like every JSON the tools write. (The
//! camelCase records of the unreleased 0.1.0 are unreadable: a build
//! rebuilds with the reason `record-unreadable`.)
//!
//! Events are kept as history (the last [`MAX_EVENTS`]). Which of them count
//! against the cache is recorded, not inferred from clocks: `pending_events`
//! is how many of the last events came after the last build (a build sets
//! it to 0, each event adds 1), so an invalidation wins even when `built_at`
//! lies in the future (clock skew, a store copied from another machine).
//! A record without it is unreadable (only the camelCase records of the
//! unreleased 0.1.0 lacked it).

use crate::diag::Code;
use crate::diag::Diagnostic;
use crate::keys::{BASE_KEY_VERSION, LayerInputs, LayerKeys};
use crate::snapshot::{Snapshot, Unkeyed};
use crate::time::{self, Timestamp};
use serde::{Deserialize, Serialize};

/// The version of the record format this policy writes and reads.
pub const RECORD_SCHEMA: u32 = 1;
/// How many events a record keeps; older ones are dropped first.
pub const MAX_EVENTS: usize = 32;

pub use zerops_cache_contract::record::{Event, RecordInfo};

/// The stored state of the cache of one service after its last successful build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerRecord {
    pub schema: u32,
    /// The version tag of the keys below ([`BASE_KEY_VERSION`] when written).
    pub key_version: String,
    /// The setup the cache was built with.
    pub setup: String,
    pub keys: LayerKeys,
    pub inputs: LayerInputs,
    #[serde(default)]
    pub unkeyed: Unkeyed,
    /// When the build that produced the cache finished.
    pub built_at: Timestamp,
    #[serde(default)]
    pub events: Vec<Event>,
    /// How many of the last `events` happened after the build.
    pub pending_events: u32,
    /// The identity of the OS image the base layer was built on (the
    /// container's lower layer, or "none" for a build on the host). A
    /// different image rebuilds the base layer. Absent in records of
    /// hosts that do not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

/// Why a stored record cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordError {
    /// Written by another version of the format.
    Schema { found: Option<u64> },
    /// Not JSON, or not a record.
    Invalid(String),
}

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecordError::Schema { found: Some(n) } => write!(
                f,
                "the layer record has schema {n}; this version reads schema {RECORD_SCHEMA}"
            ),
            RecordError::Schema { found: None } => {
                write!(f, "the layer record has no schema version")
            }
            RecordError::Invalid(m) => write!(f, "the layer record is not readable: {m}"),
        }
    }
}

impl LayerRecord {
    /// The record written after a successful build of `current` at `now`.
    /// Events of the previous record are kept as history (they now lie
    /// before `built_at`, so they no longer count).
    pub fn after_build(
        current: &Snapshot,
        previous: Option<&LayerRecord>,
        now: Timestamp,
    ) -> LayerRecord {
        let mut events = previous.map(|p| p.events.clone()).unwrap_or_default();
        trim(&mut events);
        LayerRecord {
            schema: RECORD_SCHEMA,
            key_version: BASE_KEY_VERSION.to_string(),
            setup: current.setup.clone(),
            keys: current.keys.clone(),
            inputs: current.inputs.clone(),
            unkeyed: current.unkeyed.clone(),
            built_at: now,
            events,
            pending_events: 0,
            image: None,
        }
    }

    /// The record with the identity of the OS image it was built on.
    pub fn with_image(mut self, image: Option<&str>) -> LayerRecord {
        self.image = image.map(str::to_string);
        self
    }

    /// The record with one more event.
    pub fn with_event(mut self, event: Event) -> LayerRecord {
        let before = self.pending_events().count();
        self.events.push(event);
        trim(&mut self.events);
        let n = (before + 1).min(self.events.len());
        self.pending_events = u32::try_from(n).unwrap_or(u32::MAX);
        self
    }

    /// Events that happened after the last build: each invalidates the cache.
    pub fn pending_events(&self) -> impl Iterator<Item = &Event> {
        let first_pending = self
            .events
            .len()
            .saturating_sub(self.pending_events as usize);
        self.events[first_pending..].iter()
    }

    /// The snapshot the record was made from.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            setup: self.setup.clone(),
            build_from: None,
            inputs: self.inputs.clone(),
            keys: self.keys.clone(),
            unkeyed: self.unkeyed.clone(),
        }
    }

    /// The record as pretty-printed JSON (fields in a fixed order).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a record always serializes")
    }

    /// Reads a record, checking its schema version first so that a record
    /// from a newer format is reported as such, not as garbage.
    pub fn from_json(text: &str) -> Result<LayerRecord, RecordError> {
        /// Only the version, read first (a struct, not `serde_json::Value`,
        /// keeps the component small).
        #[derive(Deserialize)]
        struct Probe {
            schema: Option<serde_json::Number>,
        }
        let probe: Probe =
            serde_json::from_str(text).map_err(|e| RecordError::Invalid(e.to_string()))?;
        match probe.schema.as_ref().map(serde_json::Number::as_u64) {
            Some(Some(n)) if n == u64::from(RECORD_SCHEMA) => {}
            found => {
                return Err(RecordError::Schema {
                    found: found.flatten(),
                });
            }
        }
        serde_json::from_str(text).map_err(|e| RecordError::Invalid(e.to_string()))
    }
}

/// Text in, text out: the record to store after a successful build of
/// `setup` of the config at `now`. An unreadable previous record only loses
/// its event history.
pub fn after_build_json(
    src: &str,
    setup: Option<&str>,
    previous: Option<&str>,
    now: &str,
) -> Result<String, Diagnostic> {
    let now = time::parse_arg(now)?;
    let current = crate::snapshot::current_of(src, setup)?;
    let previous = previous.and_then(|p| LayerRecord::from_json(p).ok());
    Ok(LayerRecord::after_build(&current, previous.as_ref(), now).to_json())
}

/// [`after_build_json`], recording the OS image the base layer was built on.
pub fn after_build_in_image_json(
    src: &str,
    setup: Option<&str>,
    previous: Option<&str>,
    image: Option<&str>,
    now: &str,
) -> Result<String, Diagnostic> {
    let now = time::parse_arg(now)?;
    let current = crate::snapshot::current_of(src, setup)?;
    let previous = previous.and_then(|p| LayerRecord::from_json(p).ok());
    Ok(LayerRecord::after_build(&current, previous.as_ref(), now)
        .with_image(image)
        .to_json())
}

/// Text in, data out: what a stored record says about the last build.
pub fn describe_json(record: &str) -> Result<RecordInfo, Diagnostic> {
    let r = LayerRecord::from_json(record)
        .map_err(|e| Diagnostic::error(Code::RecordUnreadable, None, e.to_string()))?;
    Ok(RecordInfo {
        setup: r.setup,
        built_at: r.built_at.into(),
        image: r.image,
        keys: r.keys,
    })
}

/// Text in, text out: the stored record with one more event.
pub fn add_event_json(record: &str, event: Event) -> Result<String, Diagnostic> {
    let r = LayerRecord::from_json(record)
        .map_err(|e| Diagnostic::error(Code::RecordUnreadable, None, e.to_string()))?;
    Ok(r.with_event(event).to_json())
}

fn trim(events: &mut Vec<Event>) {
    if events.len() > MAX_EVENTS {
        events.drain(..events.len() - MAX_EVENTS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model;
    use crate::snapshot::SnapshotRules;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn snapshot() -> Snapshot {
        let c = model::parse(
            "zerops:\n  - setup: app\n    build:\n      base: nodejs@22\n      buildCommands: [npm ci]\n      deployFiles: ./\n      cache: node_modules\n",
        )
        .unwrap();
        Snapshot::of(&c, "app").unwrap()
    }

    #[test]
    fn camel_case_records_are_unreadable() {
        let old = r#"{"schema": 1, "keyVersion": "zerops-cache/layer-key/v1", "setup": "app",
            "keys": {"base": "b", "build": "c"},
            "inputs": {"os": "alpine", "base": [], "prepareCommands": ["x"], "cache": false},
            "unkeyed": {"buildCommands": ["npm ci"]},
            "builtAt": "2026-11-25T15:32:15Z", "events": [], "pendingEvents": 0}"#;
        assert!(LayerRecord::from_json(old).is_err());
        assert_eq!(describe_json(old).unwrap_err().code, "record-unreadable");
        assert_eq!(describe_json("{}").unwrap_err().code, "record-unreadable");
    }

    #[test]
    fn json_round_trip() {
        let r = LayerRecord::after_build(&snapshot(), None, ts("2026-11-25T15:32:15Z"))
            .with_event(Event::ManualInvalidation {
                at: ts("2026-11-26T09:00:00Z"),
            })
            .with_event(Event::VersionActivated {
                version: 7,
                at: ts("2026-11-26T10:00:00Z"),
            });
        let j = r.to_json();
        assert!(j.contains("\"kind\": \"version-activated\""), "{j}");
        assert!(j.contains("\"key_version\": \"zerops-cache/layer-key/v1\""));
        assert!(
            j.contains("\"cache\": [\n      \"node_modules\"\n    ]"),
            "{j}"
        );
        assert_eq!(LayerRecord::from_json(&j).unwrap(), r);
    }

    #[test]
    fn events_after_the_build_count_whatever_the_clocks_say() {
        // built_at in the future (clock skew): the invalidation still counts.
        let r = LayerRecord::after_build(&snapshot(), None, ts("2099-01-01T00:00:00Z")).with_event(
            Event::ManualInvalidation {
                at: ts("2026-11-25T15:32:15Z"),
            },
        );
        assert_eq!(r.pending_events().count(), 1);
        let j = LayerRecord::from_json(&r.to_json()).unwrap();
        assert_eq!(j.pending_events().count(), 1);
        let next = LayerRecord::after_build(&snapshot(), Some(&r), ts("2026-11-25T16:00:00Z"));
        assert_eq!(next.pending_events().count(), 0);
        assert_eq!(next.events.len(), 1);
        // More events than are kept: all kept ones are pending.
        let mut r = next;
        for v in 0..(MAX_EVENTS as u32 + 3) {
            r = r.with_event(Event::VersionActivated {
                version: v,
                at: ts("2000-01-01T00:00:00Z"),
            });
        }
        assert_eq!(r.pending_events().count(), MAX_EVENTS);
    }

    #[test]
    fn a_record_without_the_count_is_unreadable() {
        let r = LayerRecord::after_build(&snapshot(), None, ts("2026-11-25T15:32:15Z"));
        let mut v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        v.as_object_mut().unwrap().remove("pending_events");
        assert!(matches!(
            LayerRecord::from_json(&v.to_string()),
            Err(RecordError::Invalid(_))
        ));
    }

    #[test]
    fn pending_events_are_those_after_the_build() {
        let r = LayerRecord::after_build(&snapshot(), None, ts("2026-11-25T15:32:15Z"))
            .with_event(Event::ManualInvalidation {
                at: ts("2026-11-25T15:32:15Z"),
            })
            .with_event(Event::ManualInvalidation {
                at: ts("2026-11-25T15:32:15.001Z"),
            });
        // Both came after the build, one of them in the same millisecond.
        assert_eq!(r.pending_events().count(), 2);
        // A new build consumes them but keeps them as history.
        let next = LayerRecord::after_build(&snapshot(), Some(&r), ts("2026-11-25T16:00:00Z"));
        assert_eq!(next.events.len(), 2);
        assert_eq!(next.pending_events().count(), 0);
    }

    #[test]
    fn keeps_at_most_max_events() {
        let mut r = LayerRecord::after_build(&snapshot(), None, ts("2026-01-01T00:00:00Z"));
        for v in 0..(MAX_EVENTS as u32 + 5) {
            r = r.with_event(Event::VersionActivated {
                version: v,
                at: ts("2026-01-02T00:00:00Z"),
            });
        }
        assert_eq!(r.events.len(), MAX_EVENTS);
        assert_eq!(
            r.events[0],
            Event::VersionActivated {
                version: 5,
                at: ts("2026-01-02T00:00:00Z")
            }
        );
    }

    #[test]
    fn text_entry_points() {
        let src = "zerops:\n  - setup: app\n    build:\n      base: go@1\n";
        let j = after_build_json(src, None, None, "2026-11-25T10:00:00Z").unwrap();
        let j = add_event_json(
            &j,
            Event::ManualInvalidation {
                at: ts("2026-11-25T11:00:00Z"),
            },
        )
        .unwrap();
        let r = LayerRecord::from_json(&j).unwrap();
        assert_eq!(r.pending_events().count(), 1);
        let again = after_build_json(src, None, Some(&j), "2026-11-25T12:00:00Z").unwrap();
        assert_eq!(LayerRecord::from_json(&again).unwrap().events.len(), 1);
        assert_eq!(
            after_build_json(src, None, None, "now").unwrap_err().code,
            "invalid-time"
        );
        assert_eq!(
            add_event_json("{}", r.events[0].clone()).unwrap_err().code,
            "record-unreadable"
        );
    }

    #[test]
    fn rejects_other_schemas_and_garbage() {
        assert_eq!(
            LayerRecord::from_json("{\"schema\": 2}").unwrap_err(),
            RecordError::Schema { found: Some(2) }
        );
        assert_eq!(
            LayerRecord::from_json("{}").unwrap_err(),
            RecordError::Schema { found: None }
        );
        assert!(matches!(
            LayerRecord::from_json("not json").unwrap_err(),
            RecordError::Invalid(_)
        ));
        assert!(matches!(
            LayerRecord::from_json("{\"schema\": 1}").unwrap_err(),
            RecordError::Invalid(_)
        ));
        let bad_time = snapshot();
        let mut j = LayerRecord::after_build(&bad_time, None, ts("2026-01-01T00:00:00Z")).to_json();
        j = j.replace("2026-01-01T00:00:00Z", "yesterday");
        assert!(
            LayerRecord::from_json(&j)
                .unwrap_err()
                .to_string()
                .contains("yesterday")
        );
    }
}
