//! `deployFiles` (and the deprecated `deploy`) paths.
//!
//! `~` is a strip-prefix marker (zcli's implementation and the legacy docs):
//! `dist/~` deploys the contents of `dist` at the root of /var/www. zcli
//! splits on `~` and rejects a path with more than one.

use super::cache::sub_span;
use crate::diag::Code;
use crate::diag::Diagnostic;
use crate::model::Build;

pub fn check(build: &Build, out: &mut Vec<Diagnostic>) {
    for p in build.deploy_files.iter().chain(&build.deploy_legacy) {
        let path = p.value.as_str();
        let tildes: Vec<usize> = path.match_indices('~').map(|(i, _)| i).collect();
        if tildes.len() > 1 {
            out.push(
                Diagnostic::error(
                    Code::DeployFilesMultipleTilde,
                    sub_span(p, tildes[1]),
                    format!(
                        "`{path}` has {} `~`; only one is allowed (it marks where the deployed \
                         path starts), so the deploy fails",
                        tildes.len()
                    ),
                )
                .with_help(
                    "keep the one `~` after the directories to strip, e.g. `dist/~` deploys the \
                     contents of dist at the root of /var/www",
                ),
            );
        }
        if tildes.len() > 1 {
            continue;
        }
        // The build's own rule decides: lint and build never disagree.
        if let Err(d) = crate::plan::deploy::deploy_items(std::slice::from_ref(&p.value)) {
            out.push(
                Diagnostic::error(
                    Code::DeployFilesOutsideSource,
                    p.span,
                    format!(
                        "{}: deployFiles are relative to the project root (/build/source), \
                         so the build refuses this path",
                        d.message
                    ),
                )
                .with_help("name the files from the project root, without `..` or a leading `/`"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::lint;

    #[test]
    fn two_tildes() {
        let d = lint("zerops:\n  - setup: app\n    build:\n      deployFiles: [a/~/b/~c]\n");
        let e: Vec<_> = d
            .iter()
            .filter(|d| d.code == "deploy-files-multiple-tilde")
            .collect();
        assert_eq!(e.len(), 1, "{d:#?}");
        assert_eq!(
            (
                e[0].span.unwrap().start.line,
                e[0].span.unwrap().start.column
            ),
            (4, 27)
        );
    }

    #[test]
    fn paths_the_build_refuses_are_errors() {
        for p in ["../", "/etc/passwd", "a/../../b", "./x/~/../y"] {
            let d = lint(&format!(
                "zerops:\n  - setup: app\n    build:\n      deployFiles: {p}\n"
            ));
            let e: Vec<_> = d
                .iter()
                .filter(|d| d.code == "deploy-files-outside-source")
                .collect();
            assert_eq!(e.len(), 1, "{p}: {d:#?}");
            assert_eq!(e[0].severity, crate::Severity::Error);
            assert!(crate::plan::deploy::deploy_items(&[p.to_string()]).is_err());
        }
        assert!(crate::plan::deploy::deploy_items(&["/".to_string()]).is_ok());
    }

    #[test]
    fn corpus_forms_are_quiet() {
        for p in [
            "dist/~",
            "./target/release/~/rust",
            "apps/medusa-be/~node_modules",
            "/",
            "./",
        ] {
            let d = lint(&format!(
                "zerops:\n  - setup: app\n    build:\n      deployFiles: {p}\n"
            ));
            assert!(d.is_empty(), "{p}: {d:#?}");
        }
    }
}
