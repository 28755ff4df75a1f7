//! `zerops-cache component`: the embedded component, for integrators.

use anyhow::{Context, Result};
use std::path::PathBuf;

#[derive(Debug, clap::Subcommand)]
pub enum ComponentCmd {
    /// Write the exact component bytes this binary embeds to PATH.
    Export {
        /// Where to write the `.wasm` component ("-" for stdout).
        path: PathBuf,
    },
    /// Print the component's size, WIT package and policy version.
    Info,
}

pub fn run(cmd: ComponentCmd) -> Result<crate::exit::Exit> {
    match cmd {
        ComponentCmd::Export { path } => {
            if path.as_os_str() == "-" {
                use std::io::Write;
                std::io::stdout().write_all(crate::component::BYTES)?;
            } else {
                std::fs::write(&path, crate::component::BYTES)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                eprintln!(
                    "wrote {} ({} bytes, {})",
                    path.display(),
                    crate::component::BYTES.len(),
                    zerops_cache_contract::WIT_PACKAGE
                );
            }
        }
        ComponentCmd::Info => {
            let host = crate::component::PolicyHost::load()?;
            println!("wit package:    {}", host.wit_package()?);
            println!("policy version: {}", host.version()?);
            println!("size:           {} bytes", crate::component::BYTES.len());
            println!("imports:        none");
            let origin = match host.origin {
                crate::component::Origin::Embedded => "embedded precompiled code".to_string(),
                crate::component::Origin::Artifact => match crate::component::artifact_dir() {
                    Some(d) => format!("precompiled artifact in {}", d.display()),
                    None => "precompiled artifact".to_string(),
                },
                crate::component::Origin::Compiled => "compiled now".to_string(),
            };
            println!("loaded from:    {origin}");
        }
    }
    Ok(crate::exit::Exit::Ok)
}
