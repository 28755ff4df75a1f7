//! The component's `walk` interface: a [`Walker`] resource lives in the
//! command's instance for one walk (its patterns compiled once) and decides
//! whole batches of listings, which the policy's one walk driver
//! ([`drive::drive`]) hands it level by level.

use anyhow::{Result, anyhow};
use wasmtime::component::ResourceAny;
use zerops_cache_contract::keys::CacheSpec;
pub use zerops_cache_contract::walk::{self as drive, Found, Listing, Purpose, Step, Walked, Why};

use crate::component::PolicyHost;
use crate::component::bindings::exports::zerops::build_cache::layers::CacheSpec as WitSpec;
use crate::component::bindings::exports::zerops::build_cache::walk as wit;
use crate::component::map::Convert;

/// One walk's rules inside the component.
pub struct Walker<'h> {
    host: &'h PolicyHost,
    handle: ResourceAny,
    instance: u64,
    max_depth: Option<usize>,
}

fn purpose(p: &Purpose) -> wit::Purpose {
    match p {
        Purpose::Preserve(CacheSpec::All(b)) => wit::Purpose::Preserve(WitSpec::All(*b)),
        Purpose::Preserve(CacheSpec::Patterns(p)) => {
            wit::Purpose::Preserve(WitSpec::Patterns(p.clone()))
        }
        Purpose::Restore => wit::Purpose::Restore,
        Purpose::Deploy(t) => wit::Purpose::Deploy(t.clone()),
    }
}

fn step(s: wit::Step) -> Step {
    match s {
        wit::Step::Take => Step::Take,
        wit::Step::Descend => Step::Descend,
        wit::Step::Skip(w) => Step::Skip(match w {
            wit::Why::NoMatch => Why::NoMatch,
            wit::Why::NotUtf8 => Why::NotUtf8,
            wit::Why::SymlinkNotFollowed => Why::SymlinkNotFollowed,
            wit::Why::NotADirectory => Why::NotADirectory,
            wit::Why::SourceWins => Why::SourceWins,
            wit::Why::Ignored => Why::Ignored,
        }),
    }
}

impl PolicyHost {
    /// A walker for `purpose` in the command's instance.
    pub fn walker(&self, p: &Purpose) -> Result<Walker<'_>> {
        let wp = purpose(p);
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
    pub fn max_depth(&self) -> Option<usize> {
        self.max_depth
    }

    /// The steps for every entry of every listing of `batch` (one call).
    pub fn decide(&self, batch: &[Listing]) -> Result<Vec<Vec<Step>>> {
        let wb: Vec<wit::Listing> = batch
            .iter()
            .map(|l| wit::Listing {
                dir: l.dir.clone(),
                entries: l.entries.clone().convert(),
                against: l.against.clone().convert(),
            })
            .collect();
        let (out, _) = self
            .host
            .call_on("deciding a walk", Some(self.instance), |pol, s| {
                pol.zerops_build_cache_walk()
                    .walker()
                    .call_decide(s, self.handle, &wb)
            })?;
        let out: Vec<Vec<Step>> = out
            .into_iter()
            .map(|a| a.into_iter().map(step).collect())
            .collect();
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
