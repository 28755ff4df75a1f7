//! Finding and reading the config file, as zcli does. Every failure here
//! is of the exit class config ([`Exit::Config`]).

use anyhow::{Context, Result};
use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt};
use std::io::Read;
use std::path::{Path, PathBuf};

use zerops_cache_base::exit::{Classify, Exit};
use zerops_cache_component::component::PolicyHost;

/// The names zcli looks for, in its order.
pub(crate) const NAMES: [&str; 2] = ["zerops.yaml", "zerops.yml"];

/// `zerops.yaml`, else `zerops.yml`, in `dir` (shown as `shown`): the name.
pub fn find_in(dir: &Dir, shown: &Path) -> Result<&'static str> {
    for name in NAMES {
        // Whatever is there is read (and refused with a reason when it is
        // not a regular file), rather than passed over.
        if dir.symlink_metadata(name).is_ok() {
            return Ok(name);
        }
    }
    Err(Exit::Config.error(format!(
        "no zerops.yaml or zerops.yml in {}; name a file, or run where the config is",
        shown.display()
    )))
}

/// `zerops.yaml`, else `zerops.yml`, in the directory at `dir`.
pub(crate) fn find(dir: &Path) -> Result<PathBuf> {
    let d = Dir::open_ambient_dir(dir, cap_std::ambient_authority())
        .with_context(|| format!("opening {}", dir.display()))
        .class(Exit::Config)?;
    Ok(dir.join(find_in(&d, dir)?))
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

/// Reads a config file's bytes with a clear error. The file's directory is
/// opened here, at the edge (the file was named by the user); see
/// [`read_in`].
pub(crate) fn read(host: &PolicyHost, path: &Path) -> Result<Vec<u8>> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path.file_name().map(Path::new).ok_or_else(|| {
        Exit::Config.error(format!("cannot read {}: not a file name", path.display()))
    })?;
    let dir = Dir::open_ambient_dir(parent, cap_std::ambient_authority())
        .with_context(|| format!("cannot read {}", path.display()))
        .class(Exit::Config)?;
    read_in(host, &dir, name, path)
}

/// Reads the config file `name` of `dir` (shown as `shown`). The size is
/// checked against the policy's limit before anything is read, and only
/// regular files are opened (never blocking): `/dev/zero`, a FIFO or a
/// 6 GiB sparse file is refused without being read.
pub fn read_in(host: &PolicyHost, dir: &Dir, name: &Path, shown: &Path) -> Result<Vec<u8>> {
    let cannot = || format!("cannot read {}", shown.display());
    match followed(dir, name, shown)
        .with_context(cannot)
        .class(Exit::Config)?
    {
        Some((real_dir, real_name)) => read_regular(host, &real_dir, &real_name, shown),
        None => read_regular(host, dir, name, shown),
    }
}

/// Where a symbolic link `name` of `dir` leads, opened: a link may lead
/// out of the directory (a shared config, or /dev/zero), and it is followed
/// to its real path, as zcli does; what is there is then checked like any
/// file. `None` when `name` is not a link.
fn followed(dir: &Dir, name: &Path, shown: &Path) -> std::io::Result<Option<(Dir, PathBuf)>> {
    if !dir.symlink_metadata(name).is_ok_and(|m| m.is_symlink()) {
        return Ok(None);
    }
    let real = shown.canonicalize()?;
    let parent = real.parent().unwrap_or(Path::new("/"));
    let real_name = PathBuf::from(real.file_name().unwrap_or(real.as_os_str()));
    let real_dir = Dir::open_ambient_dir(parent, cap_std::ambient_authority())?;
    Ok(Some((real_dir, real_name)))
}

/// The metadata of the config `name` of `dir`, a link followed as by
/// [`read_in`]; `None` when there is nothing to read.
pub fn metadata_in(dir: &Dir, name: &Path, shown: &Path) -> Option<cap_std::fs::Metadata> {
    match followed(dir, name, shown).ok()? {
        Some((d, n)) => d.metadata(n).ok(),
        None => dir.metadata(name).ok(),
    }
}

/// [`read_in`] of a name that is not a symbolic link.
fn read_regular(host: &PolicyHost, dir: &Dir, name: &Path, shown: &Path) -> Result<Vec<u8>> {
    let cannot = || format!("cannot read {}", shown.display());
    let md = dir
        .metadata(name)
        .with_context(cannot)
        .class(Exit::Config)?;
    if !md.is_file() {
        return Err(Exit::Config.error(format!(
            "{} is {}, not a regular file, so it was not read",
            shown.display(),
            crate::store::record_io::kind_of(md.file_type())
        )));
    }
    if let Some(d) = host.check_size(md.len())? {
        // The component sees sizes of 4 GiB and more as the maximum.
        let msg = if md.len() >= u64::from(u32::MAX) {
            d.message
                .replacen(&u32::MAX.to_string(), &md.len().to_string(), 1)
        } else {
            d.message
        };
        return Err(Exit::Config.error(format!("{}: {msg} ({})", shown.display(), d.code)));
    }
    let mut opts = OpenOptions::new();
    opts.read(true).custom_flags(libc::O_NONBLOCK);
    let f = dir
        .open_with(name, &opts)
        .with_context(cannot)
        .class(Exit::Config)?;
    let mut bytes = Vec::new();
    // One byte more than the checked size shows a file that grew since.
    f.take(md.len() + 1)
        .read_to_end(&mut bytes)
        .with_context(cannot)
        .class(Exit::Config)?;
    if bytes.len() as u64 > md.len()
        && let Some(d) = host.check_size(bytes.len() as u64 + 1)?
    {
        return Err(Exit::Config.error(format!("{}: {}", shown.display(), d.message)));
    }
    Ok(bytes)
}

/// Reads a config file as UTF-8 text; anything else is a config error.
pub fn read_text(host: &PolicyHost, path: &Path) -> Result<String> {
    text(read(host, path)?, path)
}

/// The config's bytes as text, or a config error naming the file.
pub(crate) fn text(bytes: Vec<u8>, shown: &Path) -> Result<String> {
    String::from_utf8(bytes).map_err(|_| {
        Exit::Config.error(format!(
            "{} is not valid UTF-8; `zerops-cache lint` shows where",
            shown.display()
        ))
    })
}
