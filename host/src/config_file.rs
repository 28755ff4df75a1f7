//! Finding and reading the config file, as zcli does.

use anyhow::{Context, Result, bail};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::component::PolicyHost;

/// The names zcli looks for, in its order.
pub const NAMES: [&str; 2] = ["zerops.yaml", "zerops.yml"];

/// `zerops.yaml`, else `zerops.yml`, in `dir`.
pub fn find(dir: &Path) -> Result<PathBuf> {
    for name in NAMES {
        let p = dir.join(name);
        // Whatever is there is read (and refused with a reason when it is
        // not a regular file), rather than passed over.
        if p.exists() {
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

/// Reads a config file's bytes with a clear error. The size is checked
/// against the policy's limit before anything is read, and only regular
/// files are opened (never blocking): `/dev/zero`, a FIFO or a 6 GiB sparse
/// file is refused without being read.
pub fn read(host: &PolicyHost, path: &Path) -> Result<Vec<u8>> {
    let md = std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if !md.is_file() {
        bail!(
            "{} is {}, not a regular file, so it was not read",
            path.display(),
            kind_of(md.file_type())
        );
    }
    if let Some(d) = host.check_size(md.len())? {
        // The component sees sizes of 4 GiB and more as the maximum.
        let msg = if md.len() >= u64::from(u32::MAX) {
            d.message
                .replacen(&u32::MAX.to_string(), &md.len().to_string(), 1)
        } else {
            d.message
        };
        bail!("{}: {msg}", path.display());
    }
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut bytes = Vec::new();
    // One byte more than the checked size shows a file that grew since.
    f.take(md.len() + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > md.len()
        && let Some(d) = host.check_size(bytes.len() as u64 + 1)?
    {
        bail!("{}: {}", path.display(), d.message);
    }
    Ok(bytes)
}

/// What a file type is, in words.
fn kind_of(ft: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a FIFO (named pipe)"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_block_device() || ft.is_char_device() {
        "a device"
    } else {
        "not a file"
    }
}
