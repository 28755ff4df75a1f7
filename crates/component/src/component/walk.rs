//! The component's `walk` interface: a [`Walker`] resource lives in the
//! command's instance for one walk (its patterns compiled once) and decides
//! whole batches of listings, which the policy's one walk driver
//! ([`drive::drive`]) hands it level by level.

use anyhow::{Result, anyhow};
use wasmtime::component::ResourceAny;
pub use zerops_cache_contract::walk::{
    self as drive, Found, Listing, Purpose, SkipReason, Step, Walked,
};

use crate::component::PolicyHost;
use crate::component::bindings::exports::zerops::build_cache::walk as wit;
use crate::component::map::Convert;

/// One walk's rules inside the component: the host's handle on the WIT
/// `walker` resource, which is the policy's `plan::walker::Walker` (the
/// guest wraps it). One thing, so one name on each side of the boundary.
pub struct Walker<'h> {
    host: &'h PolicyHost,
    handle: ResourceAny,
    instance: u64,
    max_depth: Option<usize>,
}

impl PolicyHost {
    /// A walker for `purpose` in the command's instance.
    pub fn walker(&self, p: &Purpose) -> Result<Walker<'_>> {
        let wp: wit::Purpose = p.clone().convert();
        let (handle, instance) = self.call_on("starting a walk", None, |pol, s| {
            pol.zerops_build_cache_walk()
                .walker()
                .call_constructor(s, &wp)
        })?;
        let (depth, _) = self.call_on("starting a walk", Some(instance), |pol, s| {
            pol.zerops_build_cache_walk()
                .walker()
                .call_max_depth(s, handle)
        })?;
        Ok(Walker {
            host: self,
            handle,
            instance,
            max_depth: depth.map(|d| d as usize),
        })
    }
}

impl Walker<'_> {
    /// The steps for every entry of every listing of `batch` (one call).
    pub fn decide(&self, batch: &[Listing]) -> Result<Vec<Vec<Step>>> {
        let wb: Vec<wit::Listing> = batch.to_vec().convert();
        let (out, _) = self
            .host
            .call_on("deciding a walk", Some(self.instance), |pol, s| {
                pol.zerops_build_cache_walk()
                    .walker()
                    .call_decide(s, self.handle, &wb)
            })?;
        let out: Vec<Vec<Step>> = out.convert();
        drive::check(batch, &out).map_err(|e| anyhow!("{e}"))?;
        Ok(out)
    }

    /// Walks from `root` (`""`: the tree's root) with the policy's driver:
    /// `list` lists one directory (`None`: it does not exist).
    pub fn walk(
        &self,
        root: &str,
        list: impl FnMut(&str) -> Result<Option<Listing>>,
    ) -> Result<Walked<Step>> {
        drive::drive(
            root,
            self.max_depth,
            list,
            |b| self.decide(b),
            |e| anyhow!("{e}"),
        )
    }
}

impl Walker<'_> {
    /// [`Walker::walk`], with the directories to list handed to `list_many`
    /// up to `many` at a time (to list them in parallel).
    pub fn walk_listing_many(
        &self,
        root: &str,
        many: usize,
        list_many: impl FnMut(&[String]) -> Result<Vec<Option<Listing>>>,
    ) -> Result<Walked<Step>> {
        drive::drive_listing_many(
            root,
            self.max_depth,
            many,
            list_many,
            |b| self.decide(b),
            |e| anyhow!("{e}"),
        )
    }
}

impl Drop for Walker<'_> {
    fn drop(&mut self) {
        // The instance may be gone (a failed call dropped it, and the
        // resource with it): nothing to free then.
        let h = self.handle;
        let _ = self
            .host
            .call_on("ending a walk", Some(self.instance), |_, s| {
                h.resource_drop(s)
            });
    }
}
