//! One module per subcommand.

pub mod activate;
pub mod advise;
pub mod build;
pub mod component;
pub mod explain;
pub(crate) mod gate;
pub mod gc;
pub(crate) mod image_choice;
pub mod images;
pub mod invalidate;
pub(crate) mod json;
pub mod keys;
pub mod lint;
pub mod lsp;
pub mod matching;
pub mod plan;
pub(crate) mod project;
pub mod remote;
pub mod repair;
pub mod sandbox_init;
pub mod shell;
pub mod status;
pub mod versions;

/// `--format` for commands with machine-readable output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    /// For people: colours on a terminal, snippets and summaries.
    #[default]
    Human,
    /// A JSON document on stdout: a contract with its own tests.
    Json,
}
