use clap::{Parser, Subcommand};
use std::process::ExitCode;
use zerops_cache::cmd;

/// Zerops-style two-layer build cache: lint zerops.yaml, explain cache
/// invalidation, and run cached builds locally or in CI.
///
/// Exit codes: 0 success, 1 findings (lint errors, no match...), 2 usage,
/// I/O or internal error.
#[derive(Debug, Parser)]
#[command(name = "zerops-cache", version = zerops_cache::LONG_VERSION)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Lint a zerops.yaml (default: zerops.yaml, then zerops.yml, here).
    Lint(cmd::lint::LintArgs),
    /// Run the build of a setup with the two-layer cache (Zerops-faithful).
    Build(cmd::build::BuildArgs),
    /// The embedded WebAssembly policy component.
    #[command(subcommand)]
    Component(cmd::component::ComponentCmd),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Lint(args) => cmd::lint::run(args),
        Command::Component(c) => cmd::component::run(c),
        Command::Build(args) => cmd::build::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(cmd::exit::ERROR)
        }
    }
}
