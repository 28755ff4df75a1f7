use super::*;

fn req(os: &str, base: &[&str]) -> ImageRequest {
    ImageRequest {
        os: os.into(),
        base: base.iter().map(|s| s.to_string()).collect(),
        overrides: Vec::new(),
        flag: None,
    }
}

#[test]
fn every_row_is_a_valid_reference_with_a_link_and_is_unique() {
    let mut seen = std::collections::BTreeSet::new();
    for r in table::IMAGES {
        assert!(matches!(r.os, "alpine" | "ubuntu"), "{}", r.image);
        parse_reference(r.image).unwrap_or_else(|e| panic!("{e}"));
        assert!(r.source.starts_with("https://"), "{}", r.image);
        assert!(!r.differs.is_empty(), "{}", r.image);
        assert!(
            seen.insert((r.os, r.base)),
            "two rows for {} {}",
            r.os,
            r.base
        );
        // An alpine row names an alpine image, an ubuntu row never one.
        assert_eq!(r.os == "alpine", r.image.contains("alpine"), "{}", r.image);
    }
}

#[test]
fn the_defaults_are_the_official_images() {
    for (os, base, want) in [
        ("alpine", "nodejs@22", "docker.io/library/node:22-alpine"),
        (
            "alpine",
            "python@3.12",
            "docker.io/library/python:3.12-alpine",
        ),
        ("alpine", "go@1", "docker.io/library/golang:1-alpine"),
        ("alpine", "php@8.4", "docker.io/library/php:8.4-cli-alpine"),
        ("ubuntu", "ubuntu@24.04", "docker.io/library/ubuntu:24.04"),
    ] {
        let c = resolve(&req(os, &[base])).unwrap();
        assert_eq!(c.canonical, want);
        assert!(!c.host);
        assert!(
            c.origin.starts_with("https://hub.docker.com/"),
            "{}",
            c.origin
        );
        assert!(c.differs.is_some());
    }
    assert_eq!(
        resolve(&req("ubuntu", &[])).unwrap().reference,
        "ubuntu:24.04"
    );
}

#[test]
fn no_row_is_an_error_naming_the_ways_out_never_the_host() {
    for (os, base) in [
        ("alpine", vec!["nodejs@23"]),
        ("alpine", vec!["cobol@1"]),
        ("centos", vec![]),
        ("alpine", vec!["php@8.4", "nodejs@22"]),
    ] {
        let e = resolve(&req(os, &base)).unwrap_err();
        assert!(e.contains(".zerops-cache-images"), "{e}");
        assert!(e.contains("--image REF"), "{e}");
        assert!(e.contains("--image host"), "{e}");
    }
    let e = resolve(&req("alpine", &["nodejs@23"])).unwrap_err();
    assert!(
        e.contains("nodejs@22"),
        "the known versions are listed: {e}"
    );
    let e = resolve(&req("alpine", &["php@8.4", "nodejs@22"])).unwrap_err();
    assert!(e.contains("alpine php@8.4 nodejs@22 = REF"), "{e}");
}

#[test]
fn the_flag_wins_then_the_first_matching_override_then_the_table() {
    let text = "# mirrors\n\
                alpine nodejs@22 = 127.0.0.1:5000/node:22 # local\n\
                * nodejs@22 php@8.4 = reg.example/php-node:8.4\n\
                ubuntu = host\n";
    let ov = parse_overrides(text, "p/.zerops-cache-images").unwrap();
    let mut r = req("alpine", &["nodejs@22"]);
    r.overrides = ov.clone();
    let c = resolve(&r).unwrap();
    assert_eq!(c.canonical, "127.0.0.1:5000/node:22");
    assert_eq!(c.origin, "p/.zerops-cache-images:2");
    r.flag = Some(ImageFlag {
        image: "busybox@sha256:".to_string() + &"a".repeat(64),
        origin: FlagOrigin::CommandLine,
    });
    let c = resolve(&r).unwrap();
    assert_eq!(c.origin, "--image");
    assert_eq!(
        c.canonical,
        format!("docker.io/library/busybox@sha256:{}", "a".repeat(64))
    );
    let host = |origin| ImageFlag {
        image: "host".into(),
        origin,
    };
    r.flag = Some(host(FlagOrigin::CommandLine));
    assert!(resolve(&r).unwrap().host);
    // The choice says where it was named: the flag or the environment.
    r.flag = Some(host(FlagOrigin::Environment));
    let c = resolve(&r).unwrap();
    assert_eq!((c.host, c.origin.as_str()), (true, "ZEROPS_CACHE_IMAGE"));
    r.flag = Some(ImageFlag {
        image: "Bad Ref".into(),
        origin: FlagOrigin::Environment,
    });
    assert!(resolve(&r).unwrap_err().starts_with("ZEROPS_CACHE_IMAGE: "));
    // Multi-base in any order, any os.
    let mut m = req("ubuntu", &["php@8.4", "nodejs@22"]);
    m.overrides = ov.clone();
    assert_eq!(resolve(&m).unwrap().reference, "reg.example/php-node:8.4");
    let mut u = req("ubuntu", &[]);
    u.overrides = ov;
    assert!(resolve(&u).unwrap().host);
}

#[test]
fn a_bad_override_line_names_file_and_line() {
    for (text, line) in [
        ("alpine nodejs@22\n", 1),
        ("\n= node:22\n", 2),
        ("alpine = Node:22\n", 1),
        ("alpine = a b\n", 1),
        ("alpine = node@sha256:xyz\n", 1),
    ] {
        let e = parse_overrides(text, "f").unwrap_err();
        assert!(e.starts_with(&format!("f:{line}: ")), "{text:?}: {e}");
    }
}

#[test]
fn references_split_as_docker_does() {
    let p = |s: &str| canonical(&parse_reference(s).unwrap());
    assert_eq!(p("node"), "docker.io/library/node:latest");
    assert_eq!(p("oven/bun:1.2"), "docker.io/oven/bun:1.2");
    assert_eq!(p("localhost/x"), "localhost/x:latest");
    assert_eq!(p("127.0.0.1:5000/a/b:c"), "127.0.0.1:5000/a/b:c");
    let d = format!("sha256:{}", "0".repeat(64));
    assert_eq!(p(&format!("r.io/x:1@{d}")), format!("r.io/x:1@{d}"));
    assert_eq!(p(&format!("x@{d}")), format!("docker.io/library/x@{d}"));
    for bad in ["", "x:", "X", "a//b", "x@sha256:12", "x:-a", "/x"] {
        assert!(parse_reference(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_moved_tag_reads_as_one_reference_two_digests() {
    let a = format!("sha256:{}", "a".repeat(64));
    let b = format!("sha256:{}", "b".repeat(64));
    let old = identity("docker.io/library/node:22-alpine", &a, "root");
    let new = identity("docker.io/library/node:22-alpine", &b, "root");
    assert_eq!(
        describe_change(Some(&old), &new),
        "node:22-alpine sha256:aaaaaaaaaaaa… → sha256:bbbbbbbbbbbb…"
    );
    let other = identity("docker.io/library/node:20-alpine", &b, "root");
    assert_eq!(
        describe_change(Some(&other), &new),
        "node:20-alpine sha256:bbbbbbbbbbbb… → node:22-alpine sha256:bbbbbbbbbbbb…"
    );
    assert_eq!(
        describe_change(Some("host-root Debian"), &new),
        "host-root Debian → node:22-alpine sha256:bbbbbbbbbbbb…"
    );
}
