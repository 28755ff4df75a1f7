//! The container's environment: clean, as in a Zerops build container.
//!
//! `PATH`, `HOME=/home/zerops`, `LANG=C.UTF-8`, then the setup's
//! `envVariables`, then each `--env NAME=VALUE` (or `--env NAME`, the host's
//! value). Nothing else of the host's environment gets in.
//!
//! Host toolchains: with the host's root as the image, the invoking user's
//! toolchain directories are visible read-only, so `PATH` starts with those
//! that exist (`~/.cargo/bin`, `~/.volta/bin`, `~/.pyenv/shims`,
//! `~/.pyenv/bin`, `~/.local/bin`, and the `bin` of nvm's default node), and
//! `RUSTUP_HOME`, `PYENV_ROOT`, `VOLTA_HOME` and `NVM_DIR` point at the
//! host's directories. Caches they write (e.g. `~/.cargo/registry`) go to
//! /home/zerops, in the base layer.

use anyhow::Result;

use std::path::{Path, PathBuf};
use zerops_cache_base::exit::Exit;

/// The system part of PATH.
pub(crate) const SYSTEM_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
pub const HOME: &str = "/home/zerops";

/// Toolchain directories of `host_home` that exist: PATH entries, and
/// variables to set.
pub(crate) fn toolchains(host_home: &Path) -> (Vec<PathBuf>, Vec<(String, String)>) {
    let mut path = Vec::new();
    let mut vars = Vec::new();
    let dir = |rel: &str| Some(host_home.join(rel)).filter(|p| p.is_dir());
    if let Some(p) = dir(".cargo/bin") {
        path.push(p);
    }
    if let Some(p) = dir(".rustup") {
        vars.push(("RUSTUP_HOME".into(), p.display().to_string()));
    }
    if let Some(v) = dir(".volta") {
        path.push(v.join("bin"));
        vars.push(("VOLTA_HOME".into(), v.display().to_string()));
    }
    if let Some(p) = dir(".pyenv") {
        path.push(p.join("shims"));
        path.push(p.join("bin"));
        vars.push(("PYENV_ROOT".into(), p.display().to_string()));
    }
    if let Some(n) = dir(".nvm") {
        if let Some(bin) = nvm_default_bin(&n) {
            path.push(bin);
        }
        vars.push(("NVM_DIR".into(), n.display().to_string()));
    }
    if let Some(p) = dir(".local/bin") {
        path.push(p);
    }
    (path, vars)
}

/// The `bin` of nvm's default node (`alias/default` names a version or a
/// prefix of one).
fn nvm_default_bin(nvm: &Path) -> Option<PathBuf> {
    let want = std::fs::read_to_string(nvm.join("alias/default")).ok()?;
    let want = want.trim().trim_start_matches('v');
    let mut found: Vec<PathBuf> = std::fs::read_dir(nvm.join("versions/node"))
        .ok()?
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.trim_start_matches('v').starts_with(want))
        })
        .map(|e| e.path().join("bin"))
        .filter(|p| p.is_dir())
        .collect();
    found.sort();
    found.pop()
}

/// Applies `--env` items to `env` (later wins); `NAME` alone takes the
/// host's value, and is an error when the host has none.
pub fn apply_flags(env: &mut Vec<(String, String)>, flags: &[String]) -> Result<()> {
    for f in flags {
        let (k, v) = match f.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => match std::env::var(f) {
                Ok(v) => (f.clone(), v),
                Err(_) => {
                    return Err(Exit::Usage.error(format!(
                        "--env {f}: the host has no variable {f} to pass (use --env {f}=VALUE)"
                    )));
                }
            },
        };
        if k.is_empty() || k.contains('\0') || v.contains('\0') {
            return Err(Exit::Usage.error(format!("--env {f}: expected NAME=VALUE or NAME")));
        }
        set(env, &k, &v);
    }
    Ok(())
}

fn set(env: &mut Vec<(String, String)>, k: &str, v: &str) {
    env.retain(|(n, _)| n != k);
    env.push((k.to_string(), v.to_string()));
}

/// The whole environment of a container command. `host_toolchains` with
/// the host's root as the image.
pub(crate) fn container(
    env_variables: &[(String, String)],
    flags: &[String],
    host_toolchains: bool,
) -> Result<Vec<(String, String)>> {
    let mut path: Vec<String> = Vec::new();
    let mut env = Vec::new();
    if host_toolchains && let Some(h) = dirs::home_dir() {
        let (p, vars) = toolchains(&h);
        path.extend(p.iter().map(|p| p.display().to_string()));
        env.extend(vars);
    }
    path.push(SYSTEM_PATH.to_string());
    set(&mut env, "PATH", &path.join(":"));
    set(&mut env, "HOME", HOME);
    set(&mut env, "LANG", "C.UTF-8");
    for (k, v) in env_variables {
        set(&mut env, k, v);
    }
    apply_flags(&mut env, flags)?;
    Ok(env)
}

/// [`container`] in a pulled image: its config's environment first (its
/// `PATH` wins over the system one; `HOME` stays `/home/zerops`), then the
/// setup's `envVariables`, then `--env`.
pub fn container_in_image(
    image_env: &[(String, String)],
    env_variables: &[(String, String)],
    flags: &[String],
    host_toolchains: bool,
) -> Result<Vec<(String, String)>> {
    let mut env = container(&[], &[], host_toolchains)?;
    for (k, v) in image_env {
        if k != "HOME" {
            set(&mut env, k, v);
        }
    }
    for (k, v) in env_variables {
        set(&mut env, k, v);
    }
    apply_flags(&mut env, flags)?;
    Ok(env)
}
