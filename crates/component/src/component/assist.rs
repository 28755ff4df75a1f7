//! Editor help asked of the component's `assist` interface, converted to
//! the policy crate's types (the language server's only source of answers).

use anyhow::Result;
use zerops_cache_contract::assist::{
    Completion, CompletionKind, Fix, Hover, Symbol, SymbolKind, TextEdit,
};
use zerops_cache_contract::lint::TreeFacts;
use zerops_cache_contract::{Pos, Span};

use crate::component::PolicyHost;
use crate::component::bindings::exports::zerops::build_cache::assist as wit;
use crate::component::bindings::exports::zerops::build_cache::diagnostics::Position;
use crate::component::bindings::exports::zerops::build_cache::linter;

fn position(p: Pos) -> Position {
    Position {
        line: p.line,
        column: p.column,
    }
}

fn span(r: wit::Range) -> Span {
    Span::new(
        Pos::new(r.start.line, r.start.column),
        Pos::new(r.end.line, r.end.column),
    )
}

impl PolicyHost {
    /// The hover at `at`; with `tree`, a cache path's hover says what it
    /// matches in the project directory now.
    pub fn hover(&self, src: &str, at: Pos, tree: Option<&TreeFacts>) -> Result<Option<Hover>> {
        let tree = tree.map(|t| linter::TreeFacts {
            entries: t.entries.clone(),
            depth: t.depth,
            tracked: t.tracked.clone(),
        });
        let h = self.call("hovering", |p, s| {
            p.zerops_build_cache_assist()
                .call_hover(s, src, position(at), tree.as_ref())
        })?;
        Ok(h.map(|h| Hover {
            span: span(h.range),
            markdown: h.markdown,
        }))
    }

    pub fn complete(&self, src: &str, at: Pos) -> Result<Vec<Completion>> {
        let items = self.call("completing", |p, s| {
            p.zerops_build_cache_assist()
                .call_complete(s, src, position(at))
        })?;
        Ok(items
            .into_iter()
            .map(|c| Completion {
                label: c.label,
                kind: match c.kind {
                    wit::CompletionKind::Key => CompletionKind::Key,
                    wit::CompletionKind::Value => CompletionKind::Value,
                },
                detail: c.detail,
                documentation: c.documentation,
                insert_text: c.insert_text,
                replace: span(c.replace),
            })
            .collect())
    }

    pub fn fixes(&self, src: &str) -> Result<Vec<Fix>> {
        let fixes = self.call("finding quick fixes", |p, s| {
            p.zerops_build_cache_assist().call_fixes(s, src)
        })?;
        Ok(fixes
            .into_iter()
            .map(|f| Fix {
                title: f.title,
                code: zerops_cache_contract::Code::parse(&f.code)
                    .unwrap_or(zerops_cache_contract::Code::UnknownCode),
                span: span(f.range),
                edits: f
                    .edits
                    .into_iter()
                    .map(|e| TextEdit {
                        span: span(e.range),
                        new_text: e.new_text,
                    })
                    .collect(),
                preferred: f.preferred,
            })
            .collect())
    }

    pub fn symbols(&self, src: &str) -> Result<Vec<Symbol>> {
        let symbols = self.call("listing setups", |p, s| {
            p.zerops_build_cache_assist().call_symbols(s, src)
        })?;
        Ok(symbols
            .into_iter()
            .map(|x| Symbol {
                name: x.name,
                detail: x.detail,
                kind: match x.kind {
                    wit::SymbolKind::Setup => SymbolKind::Setup,
                    wit::SymbolKind::Section => SymbolKind::Section,
                },
                span: span(x.range),
                selection: span(x.selection),
                parent: x.parent,
            })
            .collect())
    }

    pub fn definition(&self, src: &str, at: Pos) -> Result<Option<Span>> {
        let r = self.call("finding the definition", |p, s| {
            p.zerops_build_cache_assist()
                .call_definition(s, src, position(at))
        })?;
        Ok(r.map(span))
    }
}
