use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};
use std::io::IsTerminal;
use std::process::ExitCode;
use zerops_cache::cmd;
use zerops_cache::exit::Exit;

/// Zerops-style two-layer build cache: lint zerops.yaml, explain cache
/// invalidation, and run cached builds locally or in CI.
#[derive(Debug, Parser)]
#[command(name = "zerops-cache", version = zerops_cache::LONG_VERSION, after_help = Exit::help())]
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
    /// Dry run: what the next build would reuse, restore, skip and preserve.
    Plan(cmd::plan::PlanArgs),
    /// The layers of a setup's store, their keys and sizes, and whether the
    /// next build would reuse them and why.
    Status(cmd::status::StatusArgs),
    /// Invalidate a setup's build cache (as the Zerops API/GUI does).
    Invalidate(cmd::invalidate::InvalidateArgs),
    /// Check a setup's store, explain what is wrong, and bring it to a
    /// consistent state without losing a cached file.
    Repair(cmd::repair::RepairArgs),
    /// List the deploy artifacts (the last 10).
    Versions(cmd::versions::VersionsArgs),
    /// Keep the stores of all projects within an age and a size budget.
    Gc(cmd::gc::GcArgs),
    /// The remote cache tier (S3-compatible): ls, pull, push, gc, verify.
    #[command(subcommand)]
    Remote(cmd::remote::RemoteCmd),
    /// The build images pulled from registries: ls, pull, rm, prune, table.
    #[command(subcommand)]
    Images(cmd::images::ImagesCmd),
    /// Mark a version active; as on Zerops, this invalidates the build cache.
    Activate(cmd::activate::ActivateArgs),
    /// What the cache of a setup will hold, which layer holds each part, and what it saves.
    Advise(cmd::advise::AdviseArgs),
    /// Print the layer keys of each setup and the normalized inputs they digest.
    Keys(cmd::keys::KeysArgs),
    /// Explain what a config change does to the build cache, and why.
    Explain(cmd::explain::ExplainArgs),
    /// Test cache path patterns (Go filepath.Match): exit 0 if any path matched, 1 if none, 2 on a bad pattern.
    Match(cmd::matching::MatchArgs),
    /// Empties a store's trash (started detached by other commands).
    #[command(name = "__empty-trash", hide = true)]
    EmptyTrash { store: std::path::PathBuf },
    /// Language server for zerops.yaml over stdio (diagnostics, hover, completion, quick fixes).
    Lsp(cmd::lsp::LspArgs),
    /// The embedded WebAssembly policy component.
    #[command(subcommand)]
    Component(cmd::component::ComponentCmd),
    /// Print the completion script for a shell (bash, zsh, fish, powershell, elvish).
    Completions(cmd::shell::CompletionsArgs),
    /// Print the man page, or write the pages of every subcommand into a directory.
    Man(cmd::shell::ManArgs),
    /// Internal: the init of the build container (one command).
    #[command(name = "__sandbox-init", hide = true)]
    SandboxInit(cmd::sandbox_init::SandboxInitArgs),
    /// Internal: what a host-mode build command runs under (see host_reaper).
    #[command(name = "__host-reaper", hide = true)]
    HostReaper {
        parent: i32,
        program: String,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

impl Command {
    /// The image options of a command that picks a build image.
    fn sandbox_mut(&mut self) -> Option<&mut zerops_cache::sandbox::SandboxArgs> {
        use cmd::remote::RemoteCmd;
        match self {
            Command::Build(a) => Some(&mut a.sandbox),
            Command::Plan(a) => Some(&mut a.sandbox),
            Command::Status(a) => Some(&mut a.sandbox),
            Command::Remote(RemoteCmd::Pull(a) | RemoteCmd::Push(a)) => Some(&mut a.sandbox),
            _ => None,
        }
    }
}

/// Whether the subcommand's image came from `ZEROPS_CACHE_IMAGE` (clap
/// knows; the parsed arguments do not say).
fn image_from_env(matches: &ArgMatches) -> bool {
    let mut m = matches;
    while let Some((_, sub)) = m.subcommand() {
        m = sub;
    }
    m.try_contains_id("image").unwrap_or(false)
        && m.value_source("image") == Some(ValueSource::EnvVariable)
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    restore_sigpipe();
    zerops_cache::filesystem::set_foreign_remover(
        zerops_cache::sandbox::userns::remove_in_namespace,
    );
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches)
        .map_err(|e| e.format(&mut Cli::command()))
        .unwrap_or_else(|e| e.exit());
    if image_from_env(&matches)
        && let Some(sandbox) = cli.command.sandbox_mut()
    {
        sandbox.image_from_env = true;
    }
    let result = match cli.command {
        Command::Lint(args) => cmd::lint::run(args),
        Command::Keys(args) => cmd::keys::run(args),
        Command::Advise(args) => cmd::advise::run(args),
        Command::Explain(args) => cmd::explain::run(args),
        Command::Match(args) => cmd::matching::run(args),
        Command::Component(c) => cmd::component::run(c),
        Command::Completions(args) => cmd::shell::completions(args, Cli::command()),
        Command::Man(args) => cmd::shell::man(args, Cli::command()),
        Command::EmptyTrash { store } => {
            zerops_cache::store::trash::empty_at(&store).map(|()| Exit::Ok)
        }
        Command::Lsp(args) => cmd::lsp::run(args),
        Command::Build(args) => cmd::build::run(args),
        Command::Plan(args) => cmd::plan::run(args),
        Command::Status(args) => cmd::status::run(args),
        Command::Invalidate(args) => cmd::invalidate::run(args),
        Command::Repair(args) => cmd::repair::run(args),
        Command::Versions(args) => cmd::versions::list(args),
        Command::Activate(args) => cmd::activate::run(args),
        Command::Gc(args) => cmd::gc::run(args),
        Command::Remote(c) => cmd::remote::run(c),
        Command::Images(c) => cmd::images::run(c),
        Command::SandboxInit(args) => cmd::sandbox_init::run(args),
        Command::HostReaper {
            parent,
            program,
            args,
        } => std::process::exit(zerops_cache::host_reaper::run(parent, &program, &args)),
    };
    let code = match result {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(e) => {
            let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            eprint!("{}", zerops_cache::exit::report(&e, color));
            ExitCode::from(Exit::of(&e).code())
        }
    };
    // After the output: deleting old layers never delays a result.
    zerops_cache::store::trash::finish();
    code
}

/// Rust ignores SIGPIPE, so `zerops-cache keys | head` would panic on the
/// closed pipe; like other Unix tools, end quietly instead. (An interrupted
/// build is safe: its journal is recovered by the next command.)
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; it only
    // resets one signal disposition to the system default.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
