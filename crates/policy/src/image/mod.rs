//! Which OCI image a build runs in: `(os, base…)` resolved through one
//! reviewed table ([`table::IMAGES`]), the override files and `--image`.
//!
//! Precedence: `--image` (one build), then the project's override file,
//! then the machine's, then the table. A combination nothing names is an
//! error that says how to name one; there is never a silent fallback (the
//! host's own root is chosen only by `--image host` or an override line
//! `… = host`).
//!
//! Multi-base (`base: [php@8.4, nodejs@22]`): no public image carries two
//! stacks, and stacking two images' layers is not sound (each has its own
//! libc, package database and `/usr/local`), so the table has no multi-base
//! rows. An override line names an image for the combination
//! (`alpine php@8.4 nodejs@22 = REF`, in any order); otherwise the error
//! suggests one base with the other installed in `prepareCommands`.

pub mod table;
#[cfg(test)]
mod tests;

pub use zerops_cache_contract::image::{
    FlagOrigin, ImageChoice, ImageFlag, ImageOverride, ImageReference, ImageRequest, ImageRow,
};

/// The value of `--image` (or of an override line) that means the host's
/// own root, read-only, as before images were pulled.
pub const HOST: &str = "host";

/// The project's override file, at the project root.
pub const PROJECT_FILE: &str = ".zerops-cache-images";

/// Chooses the image of a build.
pub fn resolve(req: &ImageRequest) -> Result<ImageChoice, String> {
    if let Some(flag) = &req.flag {
        let origin = flag.origin.name();
        return choice(&flag.image, origin, None).map_err(|e| format!("{origin}: {e}"));
    }
    let mut wanted: Vec<&str> = req.base.iter().map(String::as_str).collect();
    wanted.sort_unstable();
    for o in &req.overrides {
        let mut theirs: Vec<&str> = o.base.iter().map(String::as_str).collect();
        theirs.sort_unstable();
        if (o.os == "*" || o.os == req.os) && theirs == wanted {
            return choice(&o.image, &o.origin, None).map_err(|e| format!("{}: {e}", o.origin));
        }
    }
    let base = match req.base.as_slice() {
        [] => "",
        [one] => one.as_str(),
        many => return Err(multi_base(&req.os, many)),
    };
    match table::IMAGES
        .iter()
        .find(|r| r.os == req.os && r.base == base)
    {
        Some(r) => choice(r.image, r.source, Some(r.differs)),
        None => Err(no_row(&req.os, base)),
    }
}

fn choice(image: &str, origin: &str, differs: Option<&str>) -> Result<ImageChoice, String> {
    if image == HOST {
        return Ok(ImageChoice {
            reference: HOST.into(),
            canonical: HOST.into(),
            host: true,
            origin: origin.into(),
            differs: None,
        });
    }
    let r = parse_reference(image)?;
    Ok(ImageChoice {
        reference: image.into(),
        canonical: canonical(&r),
        host: false,
        origin: origin.into(),
        differs: differs.map(str::to_string),
    })
}

const WAY_OUT: &str = "name an image for it in the project's `.zerops-cache-images` or the \
     machine's `~/.config/zerops-cache/images` (a line `OS BASE... = IMAGE`), pass \
     `--image REF` for one build, or `--image host` to build on this machine's own root";

fn no_row(os: &str, base: &str) -> String {
    let known: Vec<&str> = table::IMAGES
        .iter()
        .filter(|r| r.os == os && !r.base.is_empty())
        .map(|r| r.base)
        .collect();
    let what = if base.is_empty() {
        format!("os: {os} with no base")
    } else {
        format!("os: {os}, base: {base}")
    };
    let has = if known.is_empty() {
        format!("the table has no row for os: {os} (it knows alpine and ubuntu)")
    } else {
        format!("the table has {} on {os}", known.join(", "))
    };
    format!("no build image for {what}: {has}; {WAY_OUT}")
}

fn multi_base(os: &str, many: &[String]) -> String {
    format!(
        "no build image for os: {os}, base: [{}]: no public image carries several stacks and \
         images are not stacked (each has its own libc and package database); {WAY_OUT} \
         (e.g. `{os} {} = REF`), or use one base and install the others in prepareCommands",
        many.join(", "),
        many.join(" ")
    )
}

/// Parses an override file (`# comments`, blank lines, and lines
/// `OS BASE... = IMAGE`; OS `*` is any `os`). `file` names it in errors
/// and origins.
pub fn parse_overrides(text: &str, file: &str) -> Result<Vec<ImageOverride>, String> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let at = format!("{file}:{}", i + 1);
        let Some((lhs, rhs)) = line.split_once('=') else {
            return Err(format!(
                "{at}: `{line}` is not `OS BASE... = IMAGE` (e.g. `alpine nodejs@22 = node:22-alpine`)"
            ));
        };
        let mut words = lhs.split_whitespace();
        let Some(os) = words.next() else {
            return Err(format!(
                "{at}: the line names no os before `=` (`alpine`, `ubuntu` or `*`)"
            ));
        };
        let image = rhs.trim();
        if image.is_empty() || image.contains(char::is_whitespace) {
            return Err(format!(
                "{at}: after `=` comes one image reference (or `host`), not `{image}`"
            ));
        }
        if image != HOST {
            parse_reference(image).map_err(|e| format!("{at}: {e}"))?;
        }
        out.push(ImageOverride {
            os: os.to_string(),
            base: words.map(str::to_string).collect(),
            image: image.to_string(),
            origin: at,
        });
    }
    Ok(out)
}

fn is_digest(d: &str) -> bool {
    d.strip_prefix("sha256:").is_some_and(|h| {
        h.len() == 64
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Splits an image reference as Docker does: a first component with a
/// `.` or `:`, or `localhost`, is the registry (else `docker.io`, whose
/// one-component names are under `library/`); no tag and no digest is
/// `:latest`. Only `sha256` digests are accepted.
pub fn parse_reference(s: &str) -> Result<ImageReference, String> {
    let bad = |why: &str| format!("`{s}` is not an image reference: {why}");
    let (name, digest) = match s.split_once('@') {
        Some((n, d)) => {
            if !is_digest(d) {
                return Err(bad(
                    "the digest must be `sha256:` and 64 lowercase hex digits",
                ));
            }
            (n, Some(d.to_string()))
        }
        None => (s, None),
    };
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match name[last_slash..].rfind(':') {
        Some(i) => (&name[..last_slash + i], Some(&name[last_slash + i + 1..])),
        None => (name, None),
    };
    if let Some(t) = tag
        && (t.is_empty()
            || t.len() > 128
            || t.starts_with(['.', '-'])
            || !t
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)))
    {
        return Err(bad("a tag is 1 to 128 letters, digits, `_`, `.` or `-`"));
    }
    let (registry, repo) = match name.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (first.to_string(), rest.to_string())
        }
        _ => ("docker.io".to_string(), name.to_string()),
    };
    if registry.is_empty()
        || !registry
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
    {
        return Err(bad("the registry is a host name, with an optional :port"));
    }
    if repo.is_empty()
        || repo.split('/').any(|c| {
            c.is_empty()
                || !c
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
                || c.starts_with(['.', '_', '-'])
        })
    {
        return Err(bad(
            "the repository is lowercase letters, digits, `.`, `_` and `-`, in `/`-separated parts",
        ));
    }
    let repository = if registry == "docker.io" && !repo.contains('/') {
        format!("library/{repo}")
    } else {
        repo
    };
    let tag = match (tag, &digest) {
        (Some(t), _) => Some(t.to_string()),
        (None, None) => Some("latest".to_string()),
        (None, Some(_)) => None,
    };
    Ok(ImageReference {
        registry,
        repository,
        tag,
        digest,
    })
}

/// `registry/repository[:tag][@digest]`.
pub fn canonical(r: &ImageReference) -> String {
    let mut s = format!("{}/{}", r.registry, r.repository);
    if let Some(t) = &r.tag {
        s.push(':');
        s.push_str(t);
    }
    if let Some(d) = &r.digest {
        s.push('@');
        s.push_str(d);
    }
    s
}

/// The reference as people write it: Docker Hub's `docker.io/library/`
/// (or `docker.io/`) left out.
pub fn short(canonical: &str) -> &str {
    canonical
        .strip_prefix("docker.io/library/")
        .or_else(|| canonical.strip_prefix("docker.io/"))
        .unwrap_or(canonical)
}

/// The identity of a pulled image, recorded with the base layer:
/// `oci REF DIGEST FLAVOUR` (FLAVOUR: `root` or `rootless`, whose layers'
/// owners and overlay marks differ). `reference` is canonical, without its
/// digest when it had one.
pub fn identity(reference: &str, manifest_digest: &str, flavour: &str) -> String {
    format!("oci {reference} {manifest_digest} {flavour}")
}

/// The parts of an [`identity`]: reference, digest, flavour.
pub fn parse_identity(id: &str) -> Option<(&str, &str, &str)> {
    let mut w = id.strip_prefix("oci ")?.split(' ');
    let (r, d, f) = (w.next()?, w.next()?, w.next()?);
    (w.next().is_none() && is_digest(d)).then_some((r, d, f))
}

fn abbrev(d: &str) -> String {
    format!("{}…", &d[..d.len().min(19)])
}

/// How an image change reads in a reason: `node:22-alpine sha256:ab… →
/// sha256:cd…` when the same reference now names another manifest (a
/// moved tag), `node:20-alpine sha256:… → node:22-alpine sha256:…` for
/// another image, and the identities as they are otherwise.
pub fn describe_change(old: Option<&str>, new: &str) -> String {
    let show = |id: &str| match parse_identity(id) {
        Some((r, d, _)) => format!("{} {}", short(r), abbrev(d)),
        None => id.to_string(),
    };
    match (old.and_then(parse_identity), parse_identity(new)) {
        (Some((r1, d1, f1)), Some((r2, d2, f2))) if r1 == r2 && f1 == f2 && d1 != d2 => {
            format!("{} {} → {}", short(r1), abbrev(d1), abbrev(d2))
        }
        _ => format!(
            "{} → {}",
            old.map(show).unwrap_or_else(|| "(not recorded)".into()),
            show(new)
        ),
    }
}

/// The table, as data (for `images table` and the README).
pub fn rows() -> Vec<ImageRow> {
    table::IMAGES
        .iter()
        .map(|r| ImageRow {
            os: r.os.into(),
            base: r.base.into(),
            image: r.image.into(),
            source: r.source.into(),
            differs: r.differs.into(),
        })
        .collect()
}
