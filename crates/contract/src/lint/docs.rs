//! The documentation pages of the codes, rendered from the code table and
//! [`super::explain`]: Markdown for the repository (`docs/codes/<code>.md`,
//! the target of every `codeDescription` and SARIF `helpUri`) and HTML for
//! the page (`web/src/codes/<code>.html`, served offline with it). Both are
//! committed; a test in the policy crate regenerates them and fails when
//! they differ (`UPDATE_CODE_DOCS=1` rewrites them).

use super::codes::{CODES, Category, CodeInfo};
use super::explain::{Explanation, explain};

/// The category's name as the pages (and SARIF's tags) write it.
pub fn category_name(c: Category) -> &'static str {
    match c {
        Category::Input => "input",
        Category::Schema => "schema",
        Category::Tolerated => "tolerated",
        Category::Legacy => "legacy",
        Category::Setup => "setup",
        Category::Cache => "cache",
        Category::DeployFiles => "deploy-files",
        Category::Tree => "tree",
        Category::Question => "question",
    }
}

fn category_blurb(c: Category) -> &'static str {
    match c {
        Category::Input => "reading the file as YAML",
        Category::Schema => "the official zerops.yaml schema rejects it",
        Category::Tolerated => "the schema rejects it, the platform accepts it",
        Category::Legacy => "a file format from before `zerops:`",
        Category::Setup => "setups and `extends`",
        Category::Cache => "how the build cache treats what is written",
        Category::DeployFiles => "`deployFiles` paths",
        Category::Tree => "needs the project directory (the CLI, or the page's Project folder)",
        Category::Question => "a question to the policy other than lint",
    }
}

fn paragraphs(e: &Explanation) -> impl Iterator<Item = String> + '_ {
    e.text
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The plain-text help of a code (SARIF's `help.text`): summary,
/// explanation and example.
pub fn help_text(c: &CodeInfo) -> String {
    let e = explain(c.id);
    let mut out = format!("{}.", c.summary);
    for p in paragraphs(&e) {
        out.push_str("\n\n");
        out.push_str(&p);
    }
    if let Some(ex) = e.example {
        out.push_str("\n\nExample:\n\n");
        for l in ex.lines() {
            out.push_str("    ");
            out.push_str(l);
            out.push('\n');
        }
    }
    out.trim_end().to_string()
}

/// The Markdown page of a code (also SARIF's `help.markdown`).
pub fn markdown(c: &CodeInfo) -> String {
    let e = explain(c.id);
    let mut out = format!(
        "# `{}`\n\n**{}** · {} ({})\n\n{}.\n",
        c.code,
        c.severity.as_str(),
        category_name(c.category),
        category_blurb(c.category),
        c.summary
    );
    for p in paragraphs(&e) {
        out.push('\n');
        out.push_str(&p);
        out.push('\n');
    }
    if let Some(ex) = e.example {
        out.push_str("\n## Example\n\n```yaml\n");
        out.push_str(ex);
        out.push_str("```\n");
    }
    out.push_str("\n---\n[All codes](README.md) · generated from the code table; do not edit\n");
    out
}

/// `docs/codes/README.md`: every code, grouped by category.
pub fn markdown_index() -> String {
    let mut out = String::from(
        "# Diagnostic codes\n\n\
         Every code `zerops-cache lint`, `zerops-cache lsp` and the page can report. \
         Codes are stable: they are never renamed or reused. These pages are generated \
         from the code table (`crates/contract/src/lint/codes.rs` and `explain.rs`) by \
         `UPDATE_CODE_DOCS=1 cargo test -p zerops-cache-policy --test code_docs`; \
         do not edit them by hand.\n",
    );
    let mut last = None;
    for c in CODES {
        if last != Some(c.category) {
            out.push_str(&format!(
                "\n## {} — {}\n\n| code | severity | summary |\n|---|---|---|\n",
                category_name(c.category),
                category_blurb(c.category)
            ));
            last = Some(c.category);
        }
        out.push_str(&format!(
            "| [`{0}`]({0}.md) | {1} | {2} |\n",
            c.code,
            c.severity.as_str(),
            c.summary.replace('|', "\\|")
        ));
    }
    out
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(ch),
        }
    }
    out
}

/// Escaped text with `backticks` as `<code>` and `**bold**` as `<strong>`.
fn inline(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str(&format!("<code>{}</code>", escape(part)));
        } else {
            for (j, p) in part.split("**").enumerate() {
                if j % 2 == 1 {
                    out.push_str(&format!("<strong>{}</strong>", escape(p)));
                } else {
                    out.push_str(&escape(p));
                }
            }
        }
    }
    out
}

fn html_page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} · zerops-cache</title>\n<link rel=\"icon\" href=\"data:,\">\n<link rel=\"stylesheet\" href=\"codes.css\">\n</head>\n\
         <body>\n<main>\n{}</main>\n<footer><a href=\"index.html\">All codes</a> · \
         <a href=\"../index.html\">The linter</a></footer>\n</body>\n</html>\n",
        escape(title),
        body
    )
}

/// The HTML page of a code, served by the page as `codes/<code>.html`.
pub fn html(c: &CodeInfo) -> String {
    let e = explain(c.id);
    let mut body = format!(
        "<h1><code>{}</code></h1>\n<p class=\"meta\"><span class=\"sev {}\">{}</span> · {} ({})</p>\n<p class=\"summary\">{}.</p>\n",
        escape(c.code),
        c.severity.as_str(),
        c.severity.as_str(),
        category_name(c.category),
        inline(category_blurb(c.category)),
        inline(c.summary)
    );
    for p in paragraphs(&e) {
        body.push_str(&format!("<p>{}</p>\n", inline(&p)));
    }
    if let Some(ex) = e.example {
        body.push_str(&format!(
            "<h2>Example</h2>\n<pre><code>{}</code></pre>\n",
            escape(ex)
        ));
    }
    html_page(c.code, &body)
}

/// `codes/index.html`: every code, grouped by category.
pub fn html_index() -> String {
    let mut body = String::from(
        "<h1>Diagnostic codes</h1>\n<p>Every code the linter can report. Codes are stable: never renamed or reused.</p>\n",
    );
    let mut last = None;
    for c in CODES {
        if last != Some(c.category) {
            if last.is_some() {
                body.push_str("</tbody></table>\n");
            }
            body.push_str(&format!(
                "<h2>{} <small>{}</small></h2>\n<table><thead><tr><th scope=\"col\">code</th><th scope=\"col\">severity</th><th scope=\"col\">summary</th></tr></thead><tbody>\n",
                category_name(c.category),
                inline(category_blurb(c.category))
            ));
            last = Some(c.category);
        }
        body.push_str(&format!(
            "<tr><td><a href=\"{0}.html\"><code>{0}</code></a></td><td>{1}</td><td>{2}</td></tr>\n",
            escape(c.code),
            c.severity.as_str(),
            inline(c.summary)
        ));
    }
    body.push_str("</tbody></table>\n");
    html_page("Diagnostic codes", &body)
}

/// Every generated file: (path relative to the repository, content).
pub fn files() -> Vec<(String, String)> {
    let mut out = vec![
        ("docs/codes/README.md".to_string(), markdown_index()),
        ("web/src/codes/index.html".to_string(), html_index()),
    ];
    for c in CODES {
        out.push((format!("docs/codes/{}.md", c.code), markdown(c)));
        out.push((format!("web/src/codes/{}.html", c.code), html(c)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_and_marks_code() {
        assert_eq!(
            inline("a `<b>` & **c**"),
            "a <code>&lt;b&gt;</code> &amp; <strong>c</strong>"
        );
    }

    #[test]
    fn every_code_has_a_page_with_its_summary() {
        for c in CODES {
            let md = markdown(c);
            assert!(md.contains(c.summary), "{}", c.code);
            assert!(html(c).contains(&format!("<code>{}</code>", c.code)));
            assert!(help_text(c).starts_with(c.summary));
        }
    }
}
