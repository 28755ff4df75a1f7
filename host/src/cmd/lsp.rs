//! `zerops-cache lsp`: the language server, over stdio.

use anyhow::Result;

use zerops_cache_base::exit::Exit;

#[derive(Debug, clap::Args)]
pub struct LspArgs {
    /// Talk over stdin/stdout (the only transport; accepted because
    /// editors such as VS Code pass it).
    #[arg(long)]
    pub(crate) stdio: bool,
}

pub fn run(_args: LspArgs) -> Result<Exit> {
    crate::lsp::serve_stdio()?;
    Ok(Exit::Ok)
}
