//! The component: import-free, identical to the native policy, cached
//! precompiled, and failing with clear errors.

use crate::common::{artifact_dir, corpus_files, host};
use zerops_cache::component::{BYTES, Origin, PolicyHost};
use zerops_cache_policy as policy;

/// Counts the imports of the outermost component.
fn component_imports(bytes: &[u8]) -> Vec<String> {
    use wasmparser::{Encoding, Parser, Payload};
    let mut depth = 0usize;
    let mut names = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.expect("valid component") {
            Payload::Version { encoding, .. } => {
                if depth == 0 {
                    assert_eq!(
                        encoding,
                        Encoding::Component,
                        "the artifact must be a component"
                    );
                }
                depth += 1;
            }
            Payload::End(_) => depth -= 1,
            Payload::ComponentImportSection(s) if depth == 1 => {
                for import in s {
                    names.push(import.unwrap().name.0.to_string());
                }
            }
            _ => {}
        }
    }
    names
}

#[test]
fn component_imports_nothing() {
    assert!(BYTES.len() > 1000);
    let imports = component_imports(BYTES);
    assert!(
        imports.is_empty(),
        "the component must import nothing, found {imports:?}"
    );
}

#[test]
fn component_is_valid_and_reports_its_package() {
    let mut v = wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all());
    v.validate_all(BYTES).expect("the component validates");
    assert_eq!(host().wit_package().unwrap(), policy::WIT_PACKAGE);
    assert_eq!(host().version().unwrap(), policy::VERSION);
}

#[test]
fn component_and_native_agree_on_every_corpus_file() {
    let mut checked = 0;
    for file in corpus_files() {
        let bytes = std::fs::read(&file).unwrap();
        let native = policy::lint::lint_bytes(&bytes);
        let wasm = host().lint_bytes(&bytes).unwrap();
        assert_eq!(native, wasm, "{}", file.display());
        checked += 1;
    }
    assert!(checked >= 60);
}

#[test]
fn component_and_native_agree_on_broken_inputs() {
    let cases: &[&[u8]] = &[
        b"",
        b"zerops:\n  - setup: app\n    build: a: b\n",
        b"- a\n- b\n",
        b"foo: bar\n",
        b"zerops: 3\n",
        b"zerops:\n  - setup: \xff\n",
        b"a: &a [*a]\n",
        b"zerops:\n  - setup: app\n---\nzerops: []\n",
    ];
    for c in cases {
        assert_eq!(
            policy::lint::lint_bytes(c),
            host().lint_bytes(c).unwrap(),
            "{:?}",
            String::from_utf8_lossy(c)
        );
    }
}

#[test]
fn precompiled_artifact_is_reused_and_a_bad_one_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let first = PolicyHost::load_from(Some(dir.path())).unwrap();
    assert_eq!(first.origin, Origin::Compiled);
    let second = PolicyHost::load_from(Some(dir.path())).unwrap();
    assert_eq!(second.origin, Origin::Artifact);
    // Corrupt every artifact: loading must compile again and still work.
    for e in std::fs::read_dir(dir.path()).unwrap() {
        std::fs::write(e.unwrap().path(), b"not an artifact").unwrap();
    }
    let third = PolicyHost::load_from(Some(dir.path())).unwrap();
    assert_eq!(third.origin, Origin::Compiled);
    assert!(third.lint("zerops:\n  - setup: a\n").unwrap().is_empty());
    let fourth = PolicyHost::load_from(Some(dir.path())).unwrap();
    assert_eq!(fourth.origin, Origin::Artifact);
    // The shared test artifact directory is usable too.
    assert!(artifact_dir().exists());
}

#[test]
fn exhausted_fuel_is_a_clear_error_not_a_hang() {
    let tiny = PolicyHost::load_embedded().unwrap().with_fuel(10_000);
    let src = "zerops:\n".to_string()
        + &"  - setup: app\n    build:\n      deployFiles: ./\n".repeat(200);
    let err = tiny.lint(&src).unwrap_err().to_string();
    assert!(err.contains("time budget"), "{err}");
    // The same host works again with a fresh store per call.
    let ok = PolicyHost::load_embedded().unwrap();
    assert!(ok.lint(&src).is_ok());
}

#[test]
fn the_code_precompiled_at_build_time_loads_and_answers_like_the_policy() {
    let h = PolicyHost::load_embedded().expect("build.rs precompiles for this machine");
    assert_eq!(h.origin, Origin::Embedded);
    let src = "zerops:\n  - setup: a\n    build:\n      cahce: x\n";
    assert_eq!(h.lint(src).unwrap(), policy::lint::lint(src));
}
