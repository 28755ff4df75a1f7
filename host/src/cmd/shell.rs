//! `zerops-cache completions SHELL` and `zerops-cache man`: what shells and
//! `man` need, generated from the command line's own definition (clap), so
//! they never fall behind a flag.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::PathBuf;

use zerops_cache_base::exit::Exit;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  source <(zerops-cache completions bash)                       # this bash session
  zerops-cache completions bash > ~/.local/share/bash-completion/completions/zerops-cache
  zerops-cache completions zsh > \"${fpath[1]}/_zerops-cache\"
  zerops-cache completions fish > ~/.config/fish/completions/zerops-cache.fish
  zerops-cache completions powershell >> $PROFILE")]
pub struct CompletionsArgs {
    /// The shell to write the completion script for.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  zerops-cache man | man -l -                 # read it now
  zerops-cache man --dir ~/.local/share/man/man1   # install the pages for `man zerops-cache`")]
pub struct ManArgs {
    /// Write zerops-cache.1 and one page per subcommand (zerops-cache-lint.1,
    /// …) into this directory instead of printing the main page.
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,
}

/// The completion script for `args.shell` on stdout.
pub fn completions(args: CompletionsArgs, cli: clap::Command) -> Result<Exit> {
    let script = completion_script(args.shell, cli);
    let mut out = std::io::stdout().lock();
    out.write_all(&script)
        .and_then(|()| out.flush())
        .context("writing the completion script")?;
    Ok(Exit::Ok)
}

/// The completion script of `cli` for `shell`, offering only what `--help`
/// shows.
pub(crate) fn completion_script(shell: clap_complete::Shell, cli: clap::Command) -> Vec<u8> {
    let name = cli.get_name().to_string();
    let mut cmd = visible(cli);
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, &name, &mut script);
    if shell == clap_complete::Shell::Bash {
        script = fix_bash_dispatch(&script, &name);
    }
    script
}

/// `cli` without its hidden subcommands (the internal `__empty-trash` and
/// `__sandbox-init`), which clap_complete would offer: a new command with
/// the same name, flags and visible subcommands.
fn visible(cli: clap::Command) -> clap::Command {
    let mut out = clap::Command::new(cli.get_name().to_string())
        .disable_help_subcommand(cli.is_disable_help_subcommand_set());
    if let Some(v) = cli.get_version() {
        out = out.version(v.to_string());
    }
    if let Some(about) = cli.get_about() {
        out = out.about(about.clone());
    }
    out.args(cli.get_arguments().cloned())
        .subcommands(cli.get_subcommands().filter(|s| !s.is_hide_set()).cloned())
}

/// clap_complete 4.6 spells the state of a subcommand two ways when the
/// binary's name has a hyphen: the loop that reads the words sets
/// `zerops__cache__subcmd__lint`, the case arms test
/// `zerops__subcmd__cache__subcmd__lint`, so no subcommand's flags ever
/// complete (clap-rs/clap#6421, not fixed in a release yet). The arms are
/// spelled the loop's way here; scripts/test-packages.sh completes
/// `zerops-cache lint --deny` in bash to prove it.
fn fix_bash_dispatch(script: &[u8], name: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(script);
    let wrong = name.replace('-', "__subcmd__");
    let right = name.replace('-', "__");
    if wrong == right {
        return script.to_vec();
    }
    text.replace(&format!("{wrong}__subcmd__"), &format!("{right}__subcmd__"))
        .into_bytes()
}

/// The man page (roff) on stdout, or every page into `args.dir`.
pub fn man(args: ManArgs, cli: clap::Command) -> Result<Exit> {
    match args.dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(cli, &dir)
                .with_context(|| format!("cannot write the man pages into {}", dir.display()))?;
            eprintln!("wrote the man pages into {}", dir.display());
        }
        None => {
            // As generate_to does for the files: no page of `help`, so
            // the main page lists none.
            let mut cli = cli.disable_help_subcommand(true);
            cli.build();
            let mut page = Vec::new();
            clap_mangen::Man::new(cli).render(&mut page)?;
            let mut out = std::io::stdout().lock();
            out.write_all(&page)
                .and_then(|()| out.flush())
                .context("writing the man page")?;
        }
    }
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli() -> clap::Command {
        clap::Command::new("my-tool")
            .subcommand(
                clap::Command::new("lint").arg(clap::Arg::new("deny").long("deny-warnings")),
            )
            .subcommand(clap::Command::new("__internal").hide(true))
    }

    #[test]
    fn bash_arms_are_spelled_as_the_loop_sets_them() {
        let script = completion_script(clap_complete::Shell::Bash, cli());
        let text = String::from_utf8(script).unwrap();
        assert!(text.contains("cmd=\"my__tool__subcmd__lint\""), "{text}");
        assert!(text.contains("        my__tool__subcmd__lint)"), "{text}");
        assert!(!text.contains("my__subcmd__tool"), "{text}");
    }

    #[test]
    fn hidden_subcommands_are_not_offered() {
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
            clap_complete::Shell::PowerShell,
            clap_complete::Shell::Elvish,
        ] {
            let text = String::from_utf8(completion_script(shell, cli())).unwrap();
            assert!(!text.contains("__internal"), "{shell}: {text}");
            assert!(text.contains("deny-warnings"), "{shell}: {text}");
        }
    }
}
