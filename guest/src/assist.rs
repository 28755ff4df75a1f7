use crate::Component;
use crate::exports::zerops::build_cache::assist::{self as wit, Guest};
use crate::exports::zerops::build_cache::diagnostics::Position;
use crate::exports::zerops::build_cache::linter::TreeFacts;
use crate::lint::position;
use zerops_cache_policy::{Pos, Span, assist};

fn pos(p: Position) -> Pos {
    Pos::new(p.line, p.column)
}

fn range(s: Span) -> wit::Range {
    wit::Range {
        start: position(s.start),
        end: position(s.end),
    }
}

fn edit(e: assist::TextEdit) -> wit::TextEdit {
    wit::TextEdit {
        range: range(e.span),
        new_text: e.new_text,
    }
}

impl Guest for Component {
    fn hover(source: String, at: Position, tree: Option<TreeFacts>) -> Option<wit::HoverText> {
        let facts = tree.map(|t| zerops_cache_policy::lint::TreeFacts {
            entries: t.entries,
            depth: t.depth,
            tracked: t.tracked,
        });
        assist::hover_in(&source, pos(at), facts.as_ref()).map(|h| wit::HoverText {
            range: range(h.span),
            markdown: h.markdown,
        })
    }

    fn complete(source: String, at: Position) -> Vec<wit::Completion> {
        assist::complete(&source, pos(at))
            .into_iter()
            .map(|c| wit::Completion {
                label: c.label,
                kind: match c.kind {
                    assist::CompletionKind::Key => wit::CompletionKind::Key,
                    assist::CompletionKind::Value => wit::CompletionKind::Value,
                },
                detail: c.detail,
                documentation: c.documentation,
                insert_text: c.insert_text,
                replace: range(c.replace),
            })
            .collect()
    }

    fn fixes(source: String) -> Vec<wit::Fix> {
        assist::fixes(&source)
            .into_iter()
            .map(|f| wit::Fix {
                title: f.title,
                code: f.code.as_str().to_string(),
                range: range(f.span),
                edits: f.edits.into_iter().map(edit).collect(),
                preferred: f.preferred,
            })
            .collect()
    }

    fn symbols(source: String) -> Vec<wit::Symbol> {
        assist::symbols(&source)
            .into_iter()
            .map(|s| wit::Symbol {
                name: s.name,
                detail: s.detail,
                kind: match s.kind {
                    assist::SymbolKind::Setup => wit::SymbolKind::Setup,
                    assist::SymbolKind::Section => wit::SymbolKind::Section,
                },
                range: range(s.span),
                selection: range(s.selection),
                parent: s.parent,
            })
            .collect()
    }

    fn definition(source: String, at: Position) -> Option<wit::Range> {
        assist::definition(&source, pos(at)).map(range)
    }
}
