//! The plan interface: the component answers exactly as the native policy
//! (a setup's build, `deployFiles`). The walks' decisions are the `walk`
//! interface's, tested with the walks.

use crate::common::host;
use zerops_cache_policy::api::build_setup;
use zerops_cache_policy::plan::deploy::deploy_items;

#[test]
fn build_setup_component_equals_native_on_the_corpus() {
    let h = host();
    for f in crate::common::corpus_files() {
        let Ok(src) = std::fs::read_to_string(&f) else {
            continue;
        };
        let native = build_setup(&src, None);
        let comp = h.build_setup(&src, None).unwrap();
        match (comp, native) {
            (Ok(c), Ok(n)) => assert_eq!(c, n, "{}", f.display()),
            (Err(c), Err(n)) => assert_eq!(c.code, n.code, "{}", f.display()),
            (c, n) => panic!("{}: component {c:?} vs native {n:?}", f.display()),
        }
    }
}

#[test]
fn deploy_items_component_equals_native() {
    let h = host();
    for files in [
        vec!["./".to_string()],
        vec!["dist/~".into(), "package.json".into()],
        vec!["path/~/to/file.txt".into(), "src/assets/~fonts".into()],
        vec!["a/~/b/~/c".into()],
        vec!["../up".into()],
        vec![],
    ] {
        let native = deploy_items(&files);
        let comp = h.deploy_items(&files).unwrap();
        assert_eq!(comp.is_ok(), native.is_ok(), "{files:?}");
        if let (Ok(c), Ok(n)) = (comp, native) {
            assert_eq!(c, n);
        }
    }
}
