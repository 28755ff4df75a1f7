//! What `repair` found and did: each problem with its fix (or, with
//! `--check`, the fix it would make), and `broken/<time>/`, where what it
//! cannot trust is set aside. The store's checks (`cmd::repair`) and the
//! versions' (`phases::version_repair`) report through it.

use anyhow::{Context, Result};
use cap_std::fs::Dir;
use std::path::Path;

use crate::store::layout::BROKEN;
use zerops_cache_base::filesystem;

/// What repair found and did.
pub struct Report {
    pub check: bool,
    pub found: usize,
    pub aside: Option<String>,
}

impl Report {
    /// A report that only checks (`check`) or also repairs.
    pub fn new(check: bool) -> Report {
        Report {
            check,
            found: 0,
            aside: None,
        }
    }

    pub fn problem(&mut self, what: impl AsRef<str>, fix: impl AsRef<str>) {
        self.found += 1;
        if self.check {
            println!(
                "problem: {}\n  repair would: {}",
                what.as_ref(),
                fix.as_ref()
            );
        } else {
            println!("problem: {}\n  repaired: {}", what.as_ref(), fix.as_ref());
        }
    }

    /// `broken/<time>`, created on first use.
    fn aside_dir(&mut self, store: &Dir) -> Result<String> {
        if let Some(a) = &self.aside {
            return Ok(a.clone());
        }
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut n = 0;
        let dir = loop {
            let d = if n == 0 {
                format!("{BROKEN}/{secs}")
            } else {
                format!("{BROKEN}/{secs}.{n}")
            };
            if !filesystem::exists(store, Path::new(&d)) {
                break d;
            }
            n += 1;
        };
        store
            .create_dir_all(&dir)
            .with_context(|| format!("creating {dir} in the store"))?;
        self.aside = Some(dir.clone());
        Ok(dir)
    }

    /// Moves `rel` of the store to `broken/<time>/`.
    pub fn set_aside(&mut self, store: &Dir, rel: &str) -> Result<String> {
        let dir = self.aside_dir(store)?;
        let to = format!("{dir}/{}", rel.replace('/', "_"));
        filesystem::rename(store, Path::new(rel), store, Path::new(&to))?;
        Ok(to)
    }
}
