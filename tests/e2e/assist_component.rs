//! The component's `assist` interface gives the same answers as the policy
//! crate natively, on every corpus file.

use crate::common::{corpus_files, host};
use zerops_cache_policy::{Pos, assist};

#[test]
fn assist_through_the_component_matches_native() {
    let tree = zerops_cache_policy::lint::TreeFacts {
        entries: vec!["node_modules".into(), "vendor".into(), "a.log".into()],
        depth: 1,
        tracked: Some(vec!["vendor/x.php".into()]),
    };
    let mut hovers = 0;
    let mut completions = 0;
    for f in corpus_files() {
        let src = std::fs::read_to_string(&f).unwrap();
        let name = f.display();
        assert_eq!(host().fixes(&src).unwrap(), assist::fixes(&src), "{name}");
        assert_eq!(
            host().symbols(&src).unwrap(),
            assist::symbols(&src),
            "{name}"
        );
        // A few positions per file: the start of each of the first lines,
        // and the middle of their first word.
        for (i, line) in src.lines().take(8).enumerate() {
            let indent = line.len() - line.trim_start().len();
            for col in [indent + 1, indent + 3] {
                let at = Pos::new(i as u32 + 1, col as u32);
                let h = host().hover(&src, at, None).unwrap();
                assert_eq!(h, assist::hover(&src, at), "{name} {at:?}");
                hovers += usize::from(h.is_some());
                assert_eq!(
                    host().hover(&src, at, Some(&tree)).unwrap(),
                    assist::hover_in(&src, at, Some(&tree)),
                    "{name} {at:?}"
                );
                let c = host().complete(&src, at).unwrap();
                assert_eq!(c, assist::complete(&src, at), "{name} {at:?}");
                completions += c.len();
                assert_eq!(
                    host().definition(&src, at).unwrap(),
                    assist::definition(&src, at),
                    "{name} {at:?}"
                );
            }
        }
    }
    assert!(hovers > 100, "{hovers}");
    assert!(completions > 100, "{completions}");
}
