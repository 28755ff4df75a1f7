//! Where a build's commands run: in the container, or on the host
//! (`--isolation none`: the host's environment, HOME in the store, the
//! real paths).

use anyhow::Result;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::Out;
use zerops_cache_base::exit::Exit;
use zerops_cache_base::runner;
use zerops_cache_sandbox::sandbox::Sandbox;

pub(super) struct Commands<'a> {
    /// None with `--isolation none`.
    pub(crate) container: Option<Sandbox>,
    /// The base layer's home (on the host).
    pub(crate) home: PathBuf,
    /// The environment on the host: the setup's variables and `--env`.
    pub(crate) host_env: Vec<(String, String)>,
    /// `--timeout` from the build's start.
    pub(crate) deadline: Instant,
    pub(crate) out: &'a Out,
}

impl Commands<'_> {
    /// Runs one command: `cwd` in the container, `host_cwd` on the host.
    pub(crate) fn run(&self, c: &str, host_cwd: &Path, cwd: &str) -> Result<()> {
        let out = self.out;
        match &self.container {
            Some(sb) => runner::run_prepared(c, sb.command(c, cwd)?, out.sink(), out.progress)
                .inspect_err(|e| {
                    if let Some(hint) = sb.permission_hint(e) {
                        out.say(hint);
                    }
                }),
            None => {
                if Instant::now() >= self.deadline {
                    return Err(Exit::BuildFailed.error(format!(
                        "the build's time limit (--timeout) was reached before `{c}` could start"
                    )));
                }
                let (home, env) = (&self.home, &self.host_env);
                runner::run(c, host_cwd, home, env, out.sink(), out.progress)
            }
        }
    }
}
