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

pub fn run(cmd: ComponentCmd) -> Result<zerops_cache_base::exit::Exit> {
    match cmd {
        ComponentCmd::Export { path } => {
            if path.as_os_str() == "-" {
                use std::io::Write;
                std::io::stdout().write_all(zerops_cache_component::component::BYTES)?;
            } else {
                std::fs::write(&path, zerops_cache_component::component::BYTES)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                eprintln!(
                    "wrote {} ({} bytes, {})",
                    path.display(),
                    zerops_cache_component::component::BYTES.len(),
                    zerops_cache_contract::WIT_PACKAGE
                );
            }
        }
        ComponentCmd::Info => {
            let host = zerops_cache_component::component::PolicyHost::load()?;
            println!("wit package:    {}", host.wit_package()?);
            println!("policy version: {}", host.version()?);
            println!(
                "size:           {} bytes",
                zerops_cache_component::component::BYTES.len()
            );
            println!("imports:        none");
            let origin = match host.origin {
                zerops_cache_component::component::Origin::Embedded => {
                    "embedded precompiled code".to_string()
                }
                zerops_cache_component::component::Origin::Artifact => {
                    match zerops_cache_component::component::artifact_dir() {
                        Some(d) => format!("precompiled artifact in {}", d.display()),
                        None => "precompiled artifact".to_string(),
                    }
                }
                zerops_cache_component::component::Origin::Compiled => "compiled now".to_string(),
            };
            println!("loaded from:    {origin}");
        }
    }
    Ok(zerops_cache_base::exit::Exit::Ok)
}
