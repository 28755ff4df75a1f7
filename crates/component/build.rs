//! Builds the policy component: the guest crate for wasm32-unknown-unknown
//! (a nested cargo with its own target directory, so it never waits on the
//! outer build's lock), then wraps the core module into a component with
//! wit-component. The bytes are embedded by `src/component/load.rs`.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-unknown-unknown";

fn main() -> Result<()> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let root = manifest_dir
        .ancestors()
        .nth(2)
        .context("crates/component/ is two levels below the workspace")?
        .to_path_buf();
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);

    for p in [
        "guest/src",
        "guest/Cargo.toml",
        "crates/policy/src",
        "crates/policy/Cargo.toml",
        "crates/contract/src",
        "crates/contract/Cargo.toml",
        "wit",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(p).display());
    }

    check_target()?;

    // target/<profile>/build/<pkg>/out -> target/guest: shared by debug,
    // release and clippy builds of the host, separate from the outer lock.
    // A build with `--target` (the static musl binary) has its outputs in
    // target/<triple>/<profile>/…: one level more, so it shares the guest
    // too instead of building it again.
    let outer_target = std::env::var("TARGET").unwrap_or_default();
    let target_dir = out_dir
        .ancestors()
        .nth(4)
        .map(|t| match t.file_name() {
            Some(n) if n == outer_target.as_str() => t.parent().unwrap_or(t),
            _ => t,
        })
        .map(|t| t.join("guest"))
        .unwrap_or_else(|| out_dir.join("guest-target"));

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args([
            "build",
            "--package",
            "zerops-cache-guest",
            "--lib",
            "--profile",
            "guest",
            "--target",
            TARGET,
        ])
        .arg("--target-dir")
        .arg(&target_dir);
    // What the outer build leaks into the environment must not reach the
    // nested one (clippy's wrappers would lint the guest with -D warnings).
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("CARGO_CFG_")
            || key.starts_with("CARGO_FEATURE_")
            || key.starts_with("CARGO_ENCODED_RUSTFLAGS")
            || key.starts_with("CARGO_MAKEFLAGS")
            || matches!(
                key.as_str(),
                "RUSTFLAGS"
                    | "RUSTC_WRAPPER"
                    | "RUSTC_WORKSPACE_WRAPPER"
                    | "CARGO_TARGET_DIR"
                    | "CARGO_BUILD_TARGET"
                    | "CARGO_PRIMARY_PACKAGE"
                    | "TARGET"
                    | "HOST"
                    | "OPT_LEVEL"
                    | "PROFILE"
                    | "DEBUG"
                    | "OUT_DIR"
                    | "RUSTC"
                    | "RUSTDOC"
                    | "RUSTC_LINKER"
            )
        {
            cmd.env_remove(key);
        }
    }
    let status = cmd.status().context("running cargo for the guest")?;
    if !status.success() {
        bail!("building the policy component (guest) failed; see the cargo output above");
    }

    let core_path = target_dir
        .join(TARGET)
        .join("guest")
        .join("zerops_cache_guest.wasm");
    let core =
        std::fs::read(&core_path).with_context(|| format!("reading {}", core_path.display()))?;
    let component = wit_component::ComponentEncoder::default()
        .module(&core)
        .context("reading the core module's component type")?
        .validate(true)
        .encode()
        .context("wrapping the core module into a component")?;
    write_if_changed(&out_dir.join("zerops_build_cache.wasm"), &component)?;
    precompile(&out_dir, &component)?;
    Ok(())
}

/// Precompiles the component for the machine being built for, so that the
/// first command on a fresh machine loads native code instead of compiling
/// (about 0.5 s). The engine configuration must be the one
/// `src/component/load.rs` uses (`consume_fuel`, defaults otherwise); the host
/// checks compatibility at load and compiles when the embedded code does not
/// fit (another CPU).
///
/// A native build detects this machine's CPU features. A cross build (the
/// static musl binary of `scripts/package.sh`) compiles for the target
/// triple with the baseline features of its architecture, so the code loads
/// on any CPU of that architecture; wasmtime accepts code made for another
/// environment of the same architecture and OS (gnu → musl). When cranelift
/// cannot compile for the target (another architecture), nothing is embedded
/// and the binary compiles the component on first use.
fn precompile(out_dir: &Path, component: &[u8]) -> Result<()> {
    let out = out_dir.join("zerops_build_cache.cwasm");
    let host = std::env::var("HOST").unwrap_or_default();
    let target = std::env::var("TARGET").unwrap_or_default();
    let stamp = out_dir.join("zerops_build_cache.cwasm.src");
    if out.exists() && std::fs::read(&stamp).ok().as_deref() == Some(component) {
        return Ok(());
    }
    let mut config = wasmtime::Config::new();
    config.consume_fuel(true);
    if host != target {
        config.target(&target).map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let code = match wasmtime::Engine::new(&config)
        .and_then(|engine| engine.precompile_component(component))
    {
        Ok(code) => code,
        Err(e) if host != target => {
            println!(
                "cargo:warning=not embedding precompiled code for {target} ({e}); \
                 the binary compiles the component on first use"
            );
            Vec::new()
        }
        Err(e) => anyhow::bail!("precompiling the policy component: {e}"),
    };
    write_if_changed(&out, &code)?;
    std::fs::write(&stamp, component)?;
    Ok(())
}

fn check_target() -> Result<()> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc).args(["--print", "sysroot"]).output()?;
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let lib = Path::new(&sysroot).join("lib/rustlib").join(TARGET);
    if !lib.exists() {
        bail!("the {TARGET} target is missing: run `rustup target add {TARGET}`");
    }
    Ok(())
}

fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<()> {
    if std::fs::read(path).ok().as_deref() != Some(bytes) {
        std::fs::write(path, bytes)?;
    }
    Ok(())
}
