//! Registry credentials, as Docker and Podman keep them: the file named by
//! `REGISTRY_AUTH_FILE`, else Podman's `$XDG_RUNTIME_DIR/containers/auth.json`,
//! else `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. Each has
//! `{"auths": {"REGISTRY": {"auth": base64("user:password")}}}`; Docker
//! Hub's key is `https://index.docker.io/v1/`. Credential helpers
//! (`credsStore`, `credHelpers`) are not run.

use anyhow::{Context, Result};
use base64::Engine;
use std::path::PathBuf;

/// The auth files to read, first wins.
fn files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(p) = std::env::var_os("REGISTRY_AUTH_FILE").filter(|p| !p.is_empty()) {
        out.push(PathBuf::from(p));
    }
    if let Some(p) = std::env::var_os("XDG_RUNTIME_DIR").filter(|p| !p.is_empty()) {
        out.push(PathBuf::from(p).join("containers/auth.json"));
    }
    match std::env::var_os("DOCKER_CONFIG").filter(|p| !p.is_empty()) {
        Some(d) => out.push(PathBuf::from(d).join("config.json")),
        None => {
            if let Some(h) = dirs::home_dir() {
                out.push(h.join(".docker/config.json"));
            }
        }
    }
    out
}

/// The keys an entry for `registry` may have in `auths`.
fn keys(registry: &str) -> Vec<String> {
    let mut k = vec![
        registry.to_string(),
        format!("https://{registry}"),
        format!("http://{registry}"),
        format!("https://{registry}/v1/"),
        format!("https://{registry}/v2/"),
    ];
    if registry == "docker.io" {
        k.push("https://index.docker.io/v1/".into());
        k.push("index.docker.io".into());
        k.push("registry-1.docker.io".into());
    }
    k
}

/// The user name and password for `registry`, and the file they came from.
pub fn credentials(registry: &str) -> Result<Option<(String, String, PathBuf)>> {
    for f in files() {
        let text = match std::fs::read_to_string(&f) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("reading {}", f.display())),
        };
        let v: serde_json::Value =
            serde_json::from_str(&text).with_context(|| format!("{}: not JSON", f.display()))?;
        for k in keys(registry) {
            let Some(auth) = v["auths"][&k]["auth"].as_str() else {
                continue;
            };
            let raw = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .with_context(|| format!("{}: auths.{k}.auth is not base64", f.display()))?;
            let pair = String::from_utf8(raw)
                .with_context(|| format!("{}: auths.{k}.auth is not text", f.display()))?;
            let (u, p) = pair.split_once(':').with_context(|| {
                format!(
                    "{}: auths.{k}.auth is not base64 of `user:password`",
                    f.display()
                )
            })?;
            return Ok(Some((u.to_string(), p.to_string(), f)));
        }
    }
    Ok(None)
}
