//! The policy component: its embedded bytes, and loading it into wasmtime
//! with a precompiled artifact cached on disk.
//!
//! Calls share one instance within a command (instantiating costs more than
//! most calls), each with a fresh fuel budget, under a memory limit; an
//! instance that trapped is dropped and the next call gets a new one, so a
//! bug in the policy becomes an error message, never a hang or a wrong
//! answer from a broken instance.

use anyhow::{Context, Result, anyhow};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, Store, StoreLimits, StoreLimitsBuilder};

use crate::component::bindings::{Policy, PolicyPre};

/// The component bytes, built by build.rs from `guest/` and `wit/`.
pub const BYTES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/zerops_build_cache.wasm"));

/// The component precompiled by build.rs for the build machine (empty when
/// cross-compiling): loaded when compatible, so a fresh machine never waits
/// for a compile.
const PRECOMPILED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/zerops_build_cache.cwasm"));

/// Fuel for one call: about this many wasm instructions. Linting the largest
/// accepted file takes a small fraction of it.
const FUEL_PER_CALL: u64 = 20_000_000_000;
/// Linear memory one instance may grow to.
const MEMORY_LIMIT: usize = 512 * 1024 * 1024;

/// Where the component came from on this run (for diagnostics and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Loaded from the precompiled artifact in the cache directory.
    Artifact,
    /// Loaded from the code precompiled at build time into the binary.
    Embedded,
    /// Compiled now (and the artifact written for next time, if possible).
    Compiled,
}

pub struct PolicyHost {
    engine: Engine,
    pre: PolicyPre<StoreLimits>,
    /// The instance calls reuse; `None` before the first call and after a
    /// failed one.
    live: std::sync::Mutex<Option<(Store<StoreLimits>, Policy, u64)>>,
    /// How many instances this host has made: the number of the live one
    /// (resources such as a walker belong to one instance).
    made: std::sync::atomic::AtomicU64,
    /// Whether this load compiled the component or reused the artifact.
    pub origin: Origin,
    fuel: u64,
}

/// The engine. Its configuration must match build.rs's `precompile`
/// (a test checks that the embedded code loads).
pub fn engine() -> Result<Engine> {
    let mut config = wasmtime::Config::new();
    config.consume_fuel(true);
    Engine::new(&config).map_err(|e| anyhow!("starting wasmtime: {e}"))
}

/// The directory for precompiled artifacts: `$ZEROPS_CACHE_ARTIFACTS`, else
/// `<user cache dir>/zerops-cache/components`.
pub fn artifact_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("ZEROPS_CACHE_ARTIFACTS") {
        return Some(PathBuf::from(d));
    }
    dirs::cache_dir().map(|d| d.join("zerops-cache").join("components"))
}

/// The artifact file name: keyed by the engine's compatibility hash and the
/// component bytes, so another wasmtime build or another component never
/// loads it.
pub fn artifact_name(engine: &Engine) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    let compat = h.finish();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    BYTES.hash(&mut h);
    format!("policy-{:016x}-{compat:016x}.cwasm", h.finish())
}

impl PolicyHost {
    /// Loads the embedded component, from the precompiled artifact when a
    /// usable one exists, compiling (and caching) it otherwise.
    pub fn load() -> Result<PolicyHost> {
        let engine = engine()?;
        if let Some(c) = load_embedded(&engine) {
            return PolicyHost::with_component(engine, c, Origin::Embedded);
        }
        PolicyHost::load_from(artifact_dir().as_deref())
    }

    /// Loads with the artifact cache in `dir` (None: always compile),
    /// ignoring the embedded code.
    pub fn load_from(dir: Option<&Path>) -> Result<PolicyHost> {
        let engine = engine()?;
        let (component, origin) = match dir {
            Some(dir) => load_cached(&engine, dir)?,
            None => (compile(&engine)?, Origin::Compiled),
        };
        PolicyHost::with_component(engine, component, origin)
    }

    /// Loads the embedded precompiled code only (for tests: it must fit).
    pub fn load_embedded() -> Result<PolicyHost> {
        let engine = engine()?;
        let c = load_embedded(&engine)
            .context("the precompiled component embedded at build time does not load")?;
        PolicyHost::with_component(engine, c, Origin::Embedded)
    }

    fn with_component(engine: Engine, component: Component, origin: Origin) -> Result<PolicyHost> {
        let linker: Linker<StoreLimits> = Linker::new(&engine);
        // The world imports nothing, so the linker stays empty.
        let pre = linker
            .instantiate_pre(&component)
            .map_err(|e| anyhow!("preparing the policy component: {e}"))?;
        let pre = PolicyPre::new(pre)
            .map_err(|e| anyhow!("the policy component does not match its WIT: {e}"))?;
        Ok(PolicyHost {
            engine,
            pre,
            live: std::sync::Mutex::new(None),
            made: std::sync::atomic::AtomicU64::new(0),
            origin,
            fuel: FUEL_PER_CALL,
        })
    }

    /// Sets the fuel budget of each call (tests use a tiny one to check that
    /// exhaustion becomes a clear error).
    pub fn with_fuel(mut self, fuel: u64) -> PolicyHost {
        self.fuel = fuel;
        self
    }

    /// Runs `f` against the command's instance (made on first use), with a
    /// fresh fuel budget. A failed call drops the instance.
    pub fn call<T>(
        &self,
        what: &str,
        f: impl FnOnce(&Policy, &mut Store<StoreLimits>) -> wasmtime::Result<T>,
    ) -> Result<T> {
        self.call_on(what, None, f).map(|(t, _)| t)
    }

    /// [`PolicyHost::call`] on instance number `instance` when given (an
    /// error if that instance is gone: the resources it held went with
    /// it); returns the number of the instance that answered.
    pub(crate) fn call_on<T>(
        &self,
        what: &str,
        instance: Option<u64>,
        f: impl FnOnce(&Policy, &mut Store<StoreLimits>) -> wasmtime::Result<T>,
    ) -> Result<(T, u64)> {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(want) = instance
            && live.as_ref().map(|l| l.2) != Some(want)
        {
            return Err(anyhow!(
                "internal error while {what}: the policy instance was dropped after an earlier failure"
            ));
        }
        if live.is_none() {
            let (store, policy) = self.instantiate()?;
            let n = self.made.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            *live = Some((store, policy, n));
        }
        let (store, instance, n) = live.as_mut().expect("just made");
        let n = *n;
        store.set_fuel(self.fuel).map_err(|e| anyhow!("{e}"))?;
        let r = f(instance, store);
        if r.is_err() {
            *live = None;
        }
        r.map(|t| (t, n)).map_err(|e| trap_error(what, e))
    }

    fn instantiate(&self) -> Result<(Store<StoreLimits>, Policy)> {
        let limits = StoreLimitsBuilder::new()
            .memory_size(MEMORY_LIMIT)
            // The component's own core instances (the walker resource adds a
            // shim module), never more.
            .instances(4)
            .build();
        let mut store = Store::new(&self.engine, limits);
        store.limiter(|l| l);
        // Instantiating runs a little code too (the resource tables' shim).
        store.set_fuel(self.fuel).map_err(|e| anyhow!("{e}"))?;
        let instance = self
            .pre
            .instantiate(&mut store)
            .map_err(|e| anyhow!("instantiating the policy component: {e}"))?;
        Ok((store, instance))
    }
}

fn trap_error(what: &str, e: wasmtime::Error) -> anyhow::Error {
    let trap = e.downcast_ref::<wasmtime::Trap>().copied();
    match trap {
        Some(wasmtime::Trap::OutOfFuel) => {
            anyhow!(
                "internal error: the policy ran out of its time budget while {what} (input too large or a bug)"
            )
        }
        Some(t) => anyhow!(
            "internal error: the policy component trapped while {what}: {t}; this is a bug in zerops-cache"
        ),
        None => anyhow!("internal error while {what}: {e:#}"),
    }
}

fn compile(engine: &Engine) -> Result<Component> {
    Component::new(engine, BYTES).map_err(|e| anyhow!("compiling the policy component: {e}"))
}

/// The code precompiled into the binary, if it fits this engine and CPU.
/// `ZEROPS_CACHE_NO_EMBEDDED=1` ignores it (to measure the other paths).
fn load_embedded(engine: &Engine) -> Option<Component> {
    if std::env::var_os("ZEROPS_CACHE_NO_EMBEDDED").is_some() || PRECOMPILED.is_empty() {
        return None;
    }
    // SAFETY: the bytes were produced at build time by `precompile_component`
    // of this wasmtime version with this configuration; wasmtime checks the
    // header and the compatibility hash and refuses code for another engine
    // or CPU, and then the artifact cache or a compile is used instead.
    unsafe { Component::deserialize(engine, PRECOMPILED) }.ok()
}

fn load_cached(engine: &Engine, dir: &Path) -> Result<(Component, Origin)> {
    let path = dir.join(artifact_name(engine));
    // Read into memory rather than mmap the file: another process
    // truncating it in place must not crash this one (SIGBUS).
    if let Ok(bytes) = std::fs::read(&path) {
        // SAFETY: the artifact was written by this program (same engine
        // compatibility hash and component bytes, in the user's own cache
        // directory); wasmtime still checks its header and rejects a
        // mismatched build, in which case we compile again.
        if let Ok(c) = unsafe { Component::deserialize(engine, &bytes) } {
            return Ok((c, Origin::Artifact));
        }
    }
    let serialized = engine
        .precompile_component(BYTES)
        .map_err(|e| anyhow!("compiling the policy component: {e}"))?;
    // SAFETY: the bytes were produced by `precompile_component` of this
    // same engine just above.
    let component = unsafe { Component::deserialize(engine, &serialized) }
        .map_err(|e| anyhow!("loading the compiled policy component: {e}"))?;
    // The cache is an optimisation: failing to write it is not an error.
    let _ = write_atomically(dir, &path, &serialized);
    Ok((component, Origin::Compiled))
}

fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).context("persisting the artifact")?;
    Ok(())
}
