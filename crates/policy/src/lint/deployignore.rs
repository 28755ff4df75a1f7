//! Lints of a `.deployignore` (gitignore syntax, see
//! [`crate::plan::gitignore`]): what the artifact step would refuse or
//! silently not do. Positions are in the `.deployignore` itself.

use crate::diag::Code;
use crate::diag::{Diagnostic, Pos, Span};
use crate::plan::gitignore::Ignore;

/// The largest `.deployignore` read (hosts check the size before reading).
pub const MAX_BYTES: usize = 1 << 20;

fn line_span(n: usize, line: &str) -> Span {
    let n = u32::try_from(n + 1).unwrap_or(u32::MAX);
    let len = u32::try_from(line.chars().count()).unwrap_or(u32::MAX);
    Span::new(Pos::new(n, 1), Pos::new(n, len.saturating_add(1)))
}

/// Lints the bytes of a `.deployignore`.
pub fn check(bytes: &[u8]) -> Vec<Diagnostic> {
    if bytes.len() > MAX_BYTES {
        return vec![
            Diagnostic::error(
                Code::DeployignoreTooLarge,
                Span::point(Pos::START),
                format!(
                    ".deployignore is {} bytes; the limit is {MAX_BYTES} bytes, so the build refuses it",
                    bytes.len()
                ),
            )
            .with_help("a .deployignore lists a few patterns; check that this is the right file"),
        ];
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            let line = valid.iter().filter(|b| **b == b'\n').count();
            return vec![
                Diagnostic::error(
                    Code::DeployignoreInvalidUtf8,
                    Span::point(Pos::new(u32::try_from(line + 1).unwrap_or(u32::MAX), 1)),
                    format!(
                        ".deployignore is not UTF-8 text (bad byte at offset {}), so the build refuses it",
                        e.valid_up_to()
                    ),
                )
                .with_help("save .deployignore as UTF-8"),
            ];
        }
    };
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (n, raw) in lines.iter().enumerate() {
        let line = raw.trim_end_matches(['\r', ' ']);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let body = line.strip_prefix('!').unwrap_or(line);
        if body.trim_matches('/').is_empty() {
            out.push(
                Diagnostic::warning(
                    Code::DeployignoreMatchesNothing,
                    line_span(n, raw),
                    format!("`{line}` names no path, so it matches nothing"),
                )
                .with_help("remove the line, or name a file or directory"),
            );
            continue;
        }
        let comps: Vec<&str> = body.split('/').filter(|c| !c.is_empty()).collect();
        if comps.windows(2).any(|w| w[0] == "**" && w[1] == "**") {
            out.push(
                Diagnostic::warning(
                    Code::DeployignoreRepeatedDoubleStar,
                    line_span(n, raw),
                    format!("`{line}` repeats `**`; `**/**` means the same as `**`"),
                )
                .with_help("write one `**`"),
            );
        }
        if line.starts_with('!') {
            // A file inside an ignored directory cannot be re-included:
            // the artifact (as git) never looks inside the directory.
            let before = Ignore::parse(&lines[..n].join("\n"));
            let anchored = body.trim_start_matches('/').contains('/') || body.starts_with('/');
            let literal: Vec<&str> = comps
                .iter()
                .take_while(|c| !c.contains(['*', '?', '[', '\\']))
                .copied()
                .collect();
            if anchored && literal.len() == comps.len() {
                for i in 1..literal.len() {
                    let dir = literal[..i].join("/");
                    if before.is_ignored(&dir, true) {
                        out.push(
                            Diagnostic::warning(
                                Code::DeployignoreReincludeUnderIgnored,
                                line_span(n, raw),
                                format!(
                                    "`{line}` re-includes a path inside `{dir}`, which an earlier line ignores; \
                                     an ignored directory is never entered, so this line has no effect"
                                ),
                            )
                            .with_help(format!(
                                "ignore the contents instead of the directory (`{dir}/*`), then re-include"
                            )),
                        );
                        break;
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(t: &str) -> Vec<(String, u32)> {
        check(t.as_bytes())
            .into_iter()
            .map(|d| (d.code.to_string(), d.span.unwrap().start.line))
            .collect()
    }

    #[test]
    fn findings() {
        assert!(codes("*.log\n/build/\n!keep.log\n# c\n\n").is_empty());
        assert_eq!(
            codes("a\n**/**/x\n!\n/\n"),
            [
                ("deployignore-repeated-double-star".into(), 2),
                ("deployignore-matches-nothing".into(), 3),
                ("deployignore-matches-nothing".into(), 4)
            ]
        );
        assert_eq!(
            codes("build/\n!build/keep.txt\nsrc/*\n!src/keep.txt\n"),
            [("deployignore-reinclude-under-ignored".into(), 2)]
        );
    }

    #[test]
    fn input_limits() {
        assert_eq!(check(b"a\n\xff\n")[0].code, "deployignore-invalid-utf8");
        assert_eq!(check(b"a\n\xff\n")[0].span.unwrap().start.line, 2);
        assert_eq!(
            check(&vec![b'a'; MAX_BYTES + 1])[0].code,
            "deployignore-too-large"
        );
        let many = format!("{}z\n", "**/".repeat(2000));
        assert_eq!(
            codes(&many),
            [("deployignore-repeated-double-star".into(), 1)]
        );
    }
}
