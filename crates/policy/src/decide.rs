//! The invalidation decision: given what the cache was built from (a layer
//! record, an older config, or nothing) and the current setup, does the base
//! layer get reused or rebuilt, is the build layer reused or dropped, and
//! why — named down to the field and the list item.

use crate::diff::{Edit, diff};
use crate::keys::{BASE_KEY_VERSION, CacheSpec, LayerInputs, LayerKeys, quote};
use crate::record::{Event, LayerRecord, RecordError};
use crate::snapshot::{Snapshot, Unkeyed};
use std::collections::BTreeMap;

pub use zerops_cache_contract::decide::{
    BaseAction, BuildAction, Decision, LayerVerdict, Reason, ReasonKind,
};

/// What the cache was built from.
#[derive(Debug, Clone, Copy)]
pub enum Previous<'a> {
    /// No cache exists; the string says why, when there is more to say
    /// (e.g. "setup `api` is not in the old file").
    None(Option<&'a str>),
    /// A stored record that could not be read.
    Unreadable(&'a RecordError),
    /// The record of the last build, with its events.
    Record(&'a LayerRecord),
    /// An older config (for `explain OLD NEW`): no events.
    Config(&'a Snapshot),
}

/// Decides against the stored record (or none).
pub fn decide(previous: Option<&LayerRecord>, current: &Snapshot) -> Decision {
    match previous {
        Some(r) => judge(Previous::Record(r), current),
        None => judge(Previous::None(None), current),
    }
}

/// Decides against a record given as JSON, as hosts store it; an unreadable
/// record invalidates the cache with a reason that says why.
pub fn decide_json(previous: Option<&str>, current: &Snapshot) -> Decision {
    match previous.map(LayerRecord::from_json) {
        None => judge(Previous::None(None), current),
        Some(Ok(r)) => judge(Previous::Record(&r), current),
        Some(Err(e)) => judge(Previous::Unreadable(&e), current),
    }
}

/// Compares two configs of the same setup, as `explain OLD NEW` does.
pub fn compare(old: Option<&Snapshot>, current: &Snapshot) -> Decision {
    match old {
        Some(o) => judge(Previous::Config(o), current),
        None => judge(Previous::None(None), current),
    }
}

/// [`decide_json`] for a build on the OS image `image`: a record made on
/// another image (or one that names none) rebuilds the base layer.
pub fn decide_json_in_image(previous: Option<&str>, current: &Snapshot, image: &str) -> Decision {
    match previous.map(LayerRecord::from_json) {
        None => judge(Previous::None(None), current),
        Some(Ok(r)) => judge_in_image(Previous::Record(&r), current, Some(image)),
        Some(Err(e)) => judge(Previous::Unreadable(&e), current),
    }
}

/// The reason a record made on `old` is not reused on `new`.
fn image_changed(old: Option<&str>, new: &str) -> Reason {
    let mut r = Reason::new(
        ReasonKind::Changed,
        true,
        format!(
            "OS image {} (the base layer is a layer over the image)",
            crate::image::describe_change(old, new)
        ),
    )
    .field("image");
    r.old = old.map(str::to_string);
    r.new = Some(new.to_string());
    r
}

/// The decision against any kind of previous state.
pub fn judge(previous: Previous<'_>, current: &Snapshot) -> Decision {
    judge_in_image(previous, current, None)
}

/// [`judge`]; with `image`, a record made on another OS image rebuilds the
/// base layer (configs compared by `explain` carry no image).
pub fn judge_in_image(previous: Previous<'_>, current: &Snapshot, image: Option<&str>) -> Decision {
    // Reasons that concern both layers directly, and those that reach the
    // build layer only through the coupling.
    let mut both = Vec::new();
    let mut base_only = Vec::new();
    let mut unaffected = Vec::new();
    let mut previous_keys = None;
    let mut old_view: Option<(&LayerInputs, &LayerKeys, &Unkeyed, &str)> = None;
    let mut events: Vec<&Event> = Vec::new();
    match previous {
        Previous::None(detail) => {
            let msg = match detail {
                Some(d) => format!("no previous cache ({d})"),
                None => "no previous cache".to_string(),
            };
            both.push(Reason::new(ReasonKind::NoPrevious, true, msg));
        }
        Previous::Unreadable(e) => {
            both.push(Reason::new(
                ReasonKind::RecordUnreadable,
                true,
                format!("{e}; starting from a clean cache"),
            ));
        }
        Previous::Record(r) => {
            previous_keys = Some(r.keys.clone());
            old_view = Some((&r.inputs, &r.keys, &r.unkeyed, &r.setup));
            events = r.pending_events().collect();
            if let Some(img) = image
                && r.image.as_deref() != Some(img)
            {
                base_only.push(image_changed(r.image.as_deref(), img));
            }
            if r.key_version != BASE_KEY_VERSION {
                both.push(Reason::new(
                    ReasonKind::KeyVersion,
                    true,
                    format!(
                        "the cache was keyed as {}, this version keys as {BASE_KEY_VERSION}",
                        r.key_version
                    ),
                ));
            }
        }
        Previous::Config(s) => {
            previous_keys = Some(s.keys.clone());
            old_view = Some((&s.inputs, &s.keys, &s.unkeyed, &s.setup));
        }
    }
    if let Some((inputs, keys, unkeyed, setup)) = old_view {
        let (b, o) = keyed_changes(inputs, &current.inputs);
        both.extend(b);
        base_only.extend(o);
        let explained = !both.is_empty() || !base_only.is_empty();
        if !explained && *keys != current.keys {
            both.push(Reason::new(
                ReasonKind::KeyChanged,
                true,
                format!(
                    "the stored base-layer key {} does not match {} although the stored inputs do; the record was probably edited",
                    short(&keys.base),
                    short(&current.keys.base)
                ),
            ));
        }
        if setup != current.setup {
            let mut r = Reason::new(
                ReasonKind::SetupChanged,
                false,
                format!(
                    "setup {} → {} (no effect on the cache: its key covers only os, base, prepareCommands and cache)",
                    quote(setup),
                    quote(&current.setup)
                ),
            );
            r.old = Some(setup.to_string());
            r.new = Some(current.setup.clone());
            unaffected.push(r);
        }
        unaffected.extend(unkeyed_changes(unkeyed, &current.unkeyed));
    }
    for e in events {
        let mut r = match e {
            Event::ManualInvalidation { at } => Reason::new(
                ReasonKind::ManualInvalidation,
                true,
                format!("manual invalidation at {at}"),
            ),
            Event::VersionActivated { version, at } => {
                let mut r = Reason::new(
                    ReasonKind::VersionActivated,
                    true,
                    format!("version {version} activated at {at}"),
                );
                r.version = Some(*version);
                r
            }
        };
        r.at = Some(e.at().to_string());
        both.push(r);
    }

    let mut base_reasons = base_only.clone();
    base_reasons.extend(both.iter().cloned());
    // Keep the base reasons in field order: os, base, prepareCommands, cache, events.
    base_reasons.sort_by_key(order);
    let mut build_reasons = both;
    build_reasons.sort_by_key(order);
    if !base_only.is_empty() {
        build_reasons.push(Reason::new(
            ReasonKind::BaseRebuilt,
            true,
            "base layer rebuilt (layers are coupled)".to_string(),
        ));
    }
    Decision {
        setup: current.setup.clone(),
        build_from: current.build_from.clone(),
        keys: current.keys.clone(),
        previous_keys,
        base: LayerVerdict {
            invalidated: !base_reasons.is_empty(),
            reasons: base_reasons,
        },
        build: LayerVerdict {
            invalidated: !build_reasons.is_empty(),
            reasons: build_reasons,
        },
        unaffected,
    }
}

/// Sort rank of a reason: record problems first, then fields in the order
/// a `build` section lists them, then events. The sort is stable, so items
/// of one field stay in list order.
fn order(r: &Reason) -> u8 {
    match (r.kind, r.field.as_deref()) {
        (ReasonKind::NoPrevious | ReasonKind::RecordUnreadable | ReasonKind::KeyVersion, _) => 0,
        (_, Some("image")) => 1,
        (_, Some("os")) => 1,
        (_, Some("base")) => 2,
        (_, Some("prepareCommands")) => 3,
        (_, Some("cache")) => 4,
        (ReasonKind::KeyChanged, _) => 5,
        _ => 6,
    }
}

/// The first 12 characters of a key, for messages. A stored key is data:
/// it may hold any text, so the cut is on a character boundary.
fn short(key: &str) -> String {
    let cut: String = key.chars().take(12).collect();
    format!("{cut}…")
}

/// Longest text of an item shown in a message; the full value is in the
/// reason's `old`/`new`.
const SHOWN: usize = 120;

fn shown(s: &str, quoted: bool) -> String {
    let cut: String = s.chars().take(SHOWN).collect();
    let cut = if cut.len() < s.len() {
        format!("{cut}…")
    } else {
        cut
    };
    if quoted { quote(&cut) } else { cut }
}

/// Changes to the keyed fields: (those touching both layers, those touching
/// the base layer only).
fn keyed_changes(old: &LayerInputs, new: &LayerInputs) -> (Vec<Reason>, Vec<Reason>) {
    let mut base_only = Vec::new();
    if old.os != new.os {
        let mut r = Reason::new(
            ReasonKind::Changed,
            true,
            format!("os {} → {}", shown(&old.os, false), shown(&new.os, false)),
        )
        .field("os");
        r.old = Some(old.os.clone());
        r.new = Some(new.os.clone());
        base_only.push(r);
    }
    let single = old.base.len() == 1 && new.base.len() == 1;
    base_only.extend(list_changes(
        "base",
        &old.base,
        &new.base,
        true,
        &|e| match e {
            Edit::Changed { old, new, .. } if single => {
                format!("base {} → {}", shown(old, false), shown(new, false))
            }
            e => item_message("base", e, false),
        },
    ));
    base_only.extend(list_changes(
        "prepareCommands",
        &old.prepare_commands,
        &new.prepare_commands,
        true,
        &|e| item_message("prepareCommands", e, true),
    ));
    let mut both = Vec::new();
    match (&old.cache, &new.cache) {
        (CacheSpec::Patterns(a), CacheSpec::Patterns(b)) => {
            both.extend(list_changes("cache", a, b, true, &|e| match e {
                Edit::Added { item, .. } => format!("cache pattern {} added", shown(item, true)),
                Edit::Removed { item, .. } => {
                    format!("cache pattern {} removed", shown(item, true))
                }
                Edit::Changed { old, new, .. } => {
                    format!("cache pattern {} → {}", shown(old, true), shown(new, true))
                }
                Edit::Moved { from, to, item } => format!(
                    "cache pattern {} moved from [{from}] to [{to}] (the order is part of the key)",
                    shown(item, true)
                ),
            }));
        }
        (a, b) if a != b => {
            let mut r = Reason::new(
                ReasonKind::Changed,
                true,
                format!("cache {} → {}", a.display(), b.display()),
            )
            .field("cache");
            r.old = Some(a.display());
            r.new = Some(b.display());
            both.push(r);
        }
        _ => {}
    }
    (both, base_only)
}

/// The message of a list edit: `field[i] added "x"`, `field[i] removed "x"`,
/// `field[i] changed "a" → "b"`, `field "x" moved from [i] to [j]`.
fn item_message(field: &str, e: &Edit, quoted: bool) -> String {
    match e {
        Edit::Added { index, item } => format!("{field}[{index}] added {}", shown(item, quoted)),
        Edit::Removed { index, item } => {
            format!("{field}[{index}] removed {}", shown(item, quoted))
        }
        Edit::Changed { index, old, new } => format!(
            "{field}[{index}] changed {} → {}",
            shown(old, quoted),
            shown(new, quoted)
        ),
        Edit::Moved { from, to, item } => format!(
            "{field} {} moved from [{from}] to [{to}]",
            shown(item, quoted)
        ),
    }
}

fn list_changes(
    field: &str,
    old: &[String],
    new: &[String],
    invalidates: bool,
    message: &dyn Fn(&Edit) -> String,
) -> Vec<Reason> {
    diff(old, new)
        .into_iter()
        .map(|e| {
            let (kind, index, from, o, n) = match &e {
                Edit::Added { index, item } => (ReasonKind::Added, *index, None, None, Some(item)),
                Edit::Removed { index, item } => {
                    (ReasonKind::Removed, *index, None, Some(item), None)
                }
                Edit::Changed { index, old, new } => {
                    (ReasonKind::Changed, *index, None, Some(old), Some(new))
                }
                Edit::Moved { from, to, item } => {
                    (ReasonKind::Moved, *to, Some(*from), Some(item), Some(item))
                }
            };
            let mut msg = message(&e);
            if !invalidates {
                msg.push_str(" (no effect on the cache)");
            }
            let mut r = Reason::new(kind, invalidates, msg).field(field);
            r.index = Some(u32::try_from(index).unwrap_or(u32::MAX));
            r.from_index = from.map(|f| u32::try_from(f).unwrap_or(u32::MAX));
            r.old = o.cloned();
            r.new = n.cloned();
            r
        })
        .collect()
}

fn map_changes(
    field: &str,
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Vec<Reason> {
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut out = Vec::new();
    for k in keys {
        let (kind, msg) = match (old.get(k), new.get(k)) {
            (Some(a), Some(b)) if a == b => continue,
            (Some(a), Some(b)) => (
                ReasonKind::Changed,
                format!("{field}.{k} {} → {}", shown(a, true), shown(b, true)),
            ),
            (None, Some(b)) => (
                ReasonKind::Added,
                format!("{field}.{k} added {}", shown(b, true)),
            ),
            (Some(a), None) => (
                ReasonKind::Removed,
                format!("{field}.{k} removed (was {})", shown(a, true)),
            ),
            (None, None) => continue,
        };
        let mut r =
            Reason::new(kind, false, format!("{msg} (no effect on the cache)")).field(field);
        r.key = Some(k.clone());
        r.old = old.get(k).cloned();
        r.new = new.get(k).cloned();
        out.push(r);
    }
    out
}

/// Changes to fields the cache does not depend on, reported so users see
/// they are safe.
fn unkeyed_changes(old: &Unkeyed, new: &Unkeyed) -> Vec<Reason> {
    let mut out = Vec::new();
    for (field, a, b) in [
        ("buildCommands", &old.build_commands, &new.build_commands),
        ("deployFiles", &old.deploy_files, &new.deploy_files),
        (
            "addToRunPrepare",
            &old.add_to_run_prepare,
            &new.add_to_run_prepare,
        ),
    ] {
        out.extend(list_changes(field, a, b, false, &|e| {
            item_message(field, e, true)
        }));
    }
    out.extend(map_changes(
        "envVariables",
        &old.env_variables,
        &new.env_variables,
    ));
    out.extend(map_changes("run", &old.run, &new.run));
    out.extend(map_changes("deploy", &old.deploy, &new.deploy));
    out
}

#[cfg(test)]
mod short_tests {
    use super::short;

    #[test]
    fn short_cuts_on_character_boundaries() {
        assert_eq!(short("a€€€€"), "a€€€€…");
        assert_eq!(short("€€€€€€€€€€€€€€"), "€€€€€€€€€€€€…");
        assert_eq!(short("0123456789abcdef"), "0123456789ab…");
    }
}
