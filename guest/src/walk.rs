//! `walk`: the stateful walker resource <-> `zerops_cache_policy::plan::walker`.

use crate::Component;
use crate::exports::zerops::build_cache::layers::CacheSpec as WitSpec;
use crate::exports::zerops::build_cache::walk::{self as wit, Guest, GuestWalker};
use crate::map::Convert;
use zerops_cache_policy::keys::CacheSpec;
use zerops_cache_policy::plan::walker::{self as drive, Step, Why};

/// One walk's rules, kept across the batches of the walk.
pub struct Walker(drive::Walker);

fn step(s: Step) -> wit::Step {
    match s {
        Step::Take => wit::Step::Take,
        Step::Descend => wit::Step::Descend,
        Step::Skip(w) => wit::Step::Skip(match w {
            Why::NoMatch => wit::Why::NoMatch,
            Why::NotUtf8 => wit::Why::NotUtf8,
            Why::SymlinkNotFollowed => wit::Why::SymlinkNotFollowed,
            Why::NotADirectory => wit::Why::NotADirectory,
            Why::SourceWins => wit::Why::SourceWins,
            Why::Ignored => wit::Why::Ignored,
        }),
    }
}

impl GuestWalker for Walker {
    fn new(purpose: wit::Purpose) -> Walker {
        let p = match purpose {
            wit::Purpose::Preserve(WitSpec::All(b)) => drive::Purpose::Preserve(CacheSpec::All(b)),
            wit::Purpose::Preserve(WitSpec::Patterns(p)) => {
                drive::Purpose::Preserve(CacheSpec::Patterns(p))
            }
            wit::Purpose::Restore => drive::Purpose::Restore,
            wit::Purpose::Deploy(text) => drive::Purpose::Deploy(text),
        };
        Walker(drive::Walker::new(&p))
    }

    fn max_depth(&self) -> Option<u32> {
        self.0.max_depth().map(|d| d.try_into().unwrap_or(u32::MAX))
    }

    fn decide(&self, batch: Vec<wit::Listing>) -> Vec<Vec<wit::Step>> {
        batch
            .into_iter()
            .map(|l| {
                let l = drive::Listing {
                    dir: l.dir,
                    entries: l.entries.into_iter().map(Convert::convert).collect(),
                    against: l.against.into_iter().map(Convert::convert).collect(),
                };
                self.0.decide(&l).into_iter().map(step).collect()
            })
            .collect()
    }
}

impl Guest for Component {
    type Walker = Walker;
}
