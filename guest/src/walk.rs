//! `walk`: the stateful walker resource <-> `zerops_cache_policy::plan::walker`.
//! Purposes, listings and steps convert through the contract's one table
//! (`wit_map.rs`).

use crate::Component;
use crate::exports::zerops::build_cache::walk::{self as wit, Guest, GuestWalker};
use crate::map::Convert;
use zerops_cache_policy::plan::walker as drive;

/// One walk's rules, kept across the batches of the walk.
pub struct Walker(drive::Walker);

impl GuestWalker for Walker {
    fn new(purpose: wit::Purpose) -> Walker {
        Walker(drive::Walker::new(&purpose.convert()))
    }

    fn max_depth(&self) -> Option<u32> {
        self.0.max_depth().map(|d| d.try_into().unwrap_or(u32::MAX))
    }

    fn decide(&self, batch: Vec<wit::Listing>) -> Vec<Vec<wit::Step>> {
        batch
            .into_iter()
            .map(|l| self.0.decide(&l.convert()).convert())
            .collect()
    }
}

impl Guest for Component {
    type Walker = Walker;
}
