//! Registry credentials, as Docker and Podman keep them: the file named by
//! `REGISTRY_AUTH_FILE`, else Podman's `$XDG_RUNTIME_DIR/containers/auth.json`,
//! else `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. Each has
//! `{"auths": {"REGISTRY": {"auth": base64("user:password")}}}`; Docker
//! Hub's key is `https://index.docker.io/v1/`.
//!
//! A file may hand the registry to a credential helper, as `docker login`
//! does with a keychain: `credHelpers.REGISTRY` names the helper for one
//! registry, `credsStore` the one for all. The helper is
//! `docker-credential-NAME` on `PATH`, run as `docker-credential-NAME get`
//! with the server's address on stdin; it prints
//! `{"Username": …, "Secret": …}` (Docker's credential-helper protocol).
//! In each file the registry's helper is asked first, then its `auths`
//! entry, then `credsStore`. A helper that cannot run is an error naming
//! it (as Docker's), never a silent anonymous pull.
//! Hand-written: the `docker_credential` crate reads only
//! `~/.docker/config.json`, not `REGISTRY_AUTH_FILE` or Podman's file,
//! which may name helpers too; the protocol is one process and one JSON.

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

/// The user name and password for `registry`, and where they came from
/// (the file, or the helper and the file that named it).
pub(crate) fn credentials(registry: &str) -> Result<Option<(String, String, String)>> {
    for f in files() {
        let text = match std::fs::read_to_string(&f) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("reading {}", f.display())),
        };
        let v: serde_json::Value =
            serde_json::from_str(&text).with_context(|| format!("{}: not JSON", f.display()))?;
        let shown = f.display().to_string();
        let keys = keys(registry);
        if let Some((k, helper)) = keys
            .iter()
            .find_map(|k| Some((k, v["credHelpers"][k].as_str()?)))
        {
            let field = format!("{shown}: credHelpers.{k}");
            if let Some((u, p)) = helper_get(helper, server(registry), &field)? {
                return Ok(Some((
                    u,
                    p,
                    format!("docker-credential-{helper} ({field})"),
                )));
            }
        }
        for k in &keys {
            let Some(auth) = v["auths"][k]["auth"].as_str() else {
                continue;
            };
            let raw = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .with_context(|| format!("{shown}: auths.{k}.auth is not base64"))?;
            let pair = String::from_utf8(raw)
                .with_context(|| format!("{shown}: auths.{k}.auth is not text"))?;
            let (u, p) = pair.split_once(':').with_context(|| {
                format!("{shown}: auths.{k}.auth is not base64 of `user:password`")
            })?;
            return Ok(Some((u.to_string(), p.to_string(), shown)));
        }
        if let Some(helper) = v["credsStore"].as_str().filter(|h| !h.is_empty()) {
            let field = format!("{shown}: credsStore");
            if let Some((u, p)) = helper_get(helper, server(registry), &field)? {
                return Ok(Some((
                    u,
                    p,
                    format!("docker-credential-{helper} ({field})"),
                )));
            }
        }
    }
    Ok(None)
}

/// The address a helper knows the registry by (`docker login`'s).
fn server(registry: &str) -> &str {
    if registry == "docker.io" {
        "https://index.docker.io/v1/"
    } else {
        registry
    }
}

/// Asks `docker-credential-HELPER get` for `server`'s credentials; `None`
/// when it has none. `field` names where the helper was configured.
fn helper_get(helper: &str, server: &str, field: &str) -> Result<Option<(String, String)>> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    if helper.is_empty() || helper.contains('/') {
        anyhow::bail!("{field}: `{helper}` is not a credential helper's name");
    }
    let exe = format!("docker-credential-{helper}");
    let mut child = Command::new(&exe)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| {
            format!(
                "running {exe} (named by {field}): install it on PATH, or remove the entry \
                 (`docker logout`), or name another auth file with REGISTRY_AUTH_FILE"
            )
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that does not read its input still answers.
        let _ = stdin.write_all(server.as_bytes());
    }
    let out = child
        .wait_with_output()
        .with_context(|| format!("running {exe}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        // The protocol's answer for an unknown server.
        if stdout.contains("credentials not found") {
            return Ok(None);
        }
        anyhow::bail!(
            "{exe} get (named by {field}) failed for {server}: {}{}",
            stdout.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let v: serde_json::Value = serde_json::from_str(stdout.trim())
        .with_context(|| format!("{exe} get (named by {field}): its answer is not JSON"))?;
    match (v["Username"].as_str(), v["Secret"].as_str()) {
        (Some(u), Some(p)) if !p.is_empty() => Ok(Some((u.to_string(), p.to_string()))),
        _ => Ok(None),
    }
}
