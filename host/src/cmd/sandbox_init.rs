//! `zerops-cache __sandbox-init SPEC` (hidden): the build container's init,
//! started by `build` once per command (see zerops_cache_sandbox::sandbox::init).

#[derive(Debug, clap::Args)]
pub struct SandboxInitArgs {
    /// The container spec, JSON.
    pub(crate) spec: String,
}

pub fn run(args: SandboxInitArgs) -> anyhow::Result<zerops_cache_base::exit::Exit> {
    let code = zerops_cache_sandbox::sandbox::init::run(&args.spec);
    // The exit status is the command's, which can exceed what `u8` codes
    // of other subcommands mean; exit directly.
    std::process::exit(code)
}
