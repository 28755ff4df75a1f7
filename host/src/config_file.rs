//! Finding and reading the config file, as zcli does.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// The names zcli looks for, in its order.
pub const NAMES: [&str; 2] = ["zerops.yaml", "zerops.yml"];

/// `zerops.yaml`, else `zerops.yml`, in `dir`.
pub fn find(dir: &Path) -> Result<PathBuf> {
    for name in NAMES {
        let p = dir.join(name);
        if p.is_file() {
            return Ok(p);
        }
    }
    bail!(
        "no zerops.yaml or zerops.yml in {}; name a file, or run where the config is",
        dir.display()
    )
}

/// The given path, or the config found in the current directory.
pub fn resolve(path: Option<&Path>) -> Result<PathBuf> {
    match path {
        Some(p) => Ok(p.to_path_buf()),
        None => {
            let cwd = std::env::current_dir().context("reading the current directory")?;
            // Shown relative to where the user stands, as they would write it.
            Ok(find(&cwd)?.strip_prefix(&cwd).map(Path::to_path_buf)?)
        }
    }
}

/// Reads a config file's bytes with a clear error.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}
