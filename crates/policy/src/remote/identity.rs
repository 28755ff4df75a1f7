//! The project identity: what makes two checkouts the same project, so that
//! they share a store (local and remote) whatever their paths.
//!
//! In order of precedence:
//! 1. an explicit name (`--project-id NAME` or `ZEROPS_CACHE_PROJECT_ID`);
//! 2. the URL of the git remote (`origin`, else the first remote),
//!    normalized: scheme, user, password, port, a trailing `.git` and `/`
//!    are dropped and the host is lowercased, so
//!    `git@github.com:Org/App.git`, `https://github.com/Org/App` and
//!    `ssh://git@github.com:22/Org/App.git` are one project;
//! 3. the root commit of the repository (the oldest commit of `HEAD`;
//!    of several roots, the smallest hash);
//! 4. none: the project is known by its path only (a local store named
//!    after the path, as before; the remote tier is not used).

use sha2::{Digest, Sha256};

/// Where the identity came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Explicit,
    GitRemote,
    RootCommit,
    Path,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::Explicit => "explicit",
            Source::GitRemote => "git-remote",
            Source::RootCommit => "root-commit",
            Source::Path => "path",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub source: Source,
    /// The identity itself, e.g. `git:github.com/org/app`.
    pub value: String,
    /// The file- and object-name-safe form: `<last part>-<12 hex>`.
    pub slug: String,
}

impl Identity {
    /// Whether builders elsewhere can share this identity.
    pub fn shareable(&self) -> bool {
        self.source != Source::Path
    }
}

/// The facts the host found (each may be missing).
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub explicit: Option<String>,
    pub remote_url: Option<String>,
    pub root_commit: Option<String>,
    /// The canonical project path (the last resort).
    pub path: String,
}

/// Checks an explicit project name: 1 to 128 characters of letters, digits,
/// `.`, `_`, `-`, `/`, not starting with `.` or `/`.
pub fn check_explicit(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 128 {
        return Err(format!(
            "the project id {name:?} must be 1 to 128 characters long"
        ));
    }
    if name.starts_with(['.', '/']) || name.contains("//") || name.contains("..") {
        return Err(format!(
            "the project id {name:?} must not start with `.` or `/`, nor contain `..` or `//`"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/')))
    {
        return Err(format!(
            "the project id {name:?} has {c:?}; use letters, digits, `.`, `_`, `-` and `/`"
        ));
    }
    Ok(())
}

/// Normalizes a git remote URL (see the module docs); `None` for a local
/// path or something that is not a URL (those are not the same project
/// elsewhere).
pub fn normalize_remote_url(url: &str) -> Option<String> {
    let u = url.trim();
    let (host, path) = if let Some((scheme, rest)) = u.split_once("://") {
        if scheme == "file" || rest.is_empty() {
            return None;
        }
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let authority = authority.rsplit('@').next().unwrap_or(authority);
        // [v6]:port or host:port
        let host = match authority.rfind(':') {
            Some(i) if !authority[i..].contains(']') => &authority[..i],
            _ => authority,
        };
        (host.to_string(), path.to_string())
    } else if let Some((left, path)) = u.split_once(':') {
        // scp-like: user@host:path (not a Windows drive, not a path).
        if left.contains('/') || left.len() < 2 {
            return None;
        }
        let host = left.rsplit('@').next().unwrap_or(left);
        (host.to_string(), path.to_string())
    } else {
        return None;
    };
    let host = host.to_ascii_lowercase();
    let mut path = path.trim_matches('/').to_string();
    if let Some(p) = path.strip_suffix(".git") {
        path = p.trim_end_matches('/').to_string();
    }
    if host.is_empty() || path.is_empty() {
        return None;
    }
    Some(format!("{host}/{path}"))
}

fn slug(value: &str, last: &str) -> String {
    let d = Sha256::digest(value.as_bytes());
    let name: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(48)
        .collect();
    let name = match name.trim_start_matches('.') {
        "" => "project".to_string(),
        n => n.to_string(),
    };
    format!("{name}-{}", super::hex(&d[..6]))
}

fn last_part(s: &str) -> &str {
    s.trim_end_matches('/').rsplit('/').next().unwrap_or(s)
}

/// The identity of a project from the facts the host found.
pub fn identify(f: &Facts) -> Result<Identity, String> {
    if let Some(name) = f.explicit.as_deref().filter(|n| !n.is_empty()) {
        check_explicit(name)?;
        let value = format!("name:{name}");
        return Ok(Identity {
            source: Source::Explicit,
            slug: slug(&value, last_part(name)),
            value,
        });
    }
    if let Some(url) = f.remote_url.as_deref().and_then(normalize_remote_url) {
        let value = format!("git:{url}");
        return Ok(Identity {
            source: Source::GitRemote,
            slug: slug(&value, last_part(&url)),
            value,
        });
    }
    if let Some(c) =
        f.root_commit.as_deref().map(str::trim).filter(|c| {
            (c.len() == 40 || c.len() == 64) && c.bytes().all(|b| b.is_ascii_hexdigit())
        })
    {
        let value = format!("root:{}", c.to_ascii_lowercase());
        // Not the directory's name: clones are often named differently.
        return Ok(Identity {
            source: Source::RootCommit,
            slug: slug(&value, "git"),
            value,
        });
    }
    let value = format!("path:{}", f.path);
    Ok(Identity {
        source: Source::Path,
        slug: slug(&f.path, last_part(&f.path)),
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_urls_of_one_repository_are_one_project() {
        let n = |u| normalize_remote_url(u);
        let want = Some("github.com/Org/App".to_string());
        assert_eq!(n("git@github.com:Org/App.git"), want);
        assert_eq!(n("https://github.com/Org/App"), want);
        assert_eq!(n("https://user:pw@GitHub.com/Org/App.git/"), want);
        assert_eq!(n("ssh://git@github.com:22/Org/App.git"), want);
        assert_eq!(n("/srv/git/app.git"), None);
        assert_eq!(n("file:///srv/git/app.git"), None);
        assert_eq!(n("../app"), None);
        assert_ne!(n("git@github.com:Org/Other.git"), want);
    }

    fn facts() -> Facts {
        Facts {
            explicit: None,
            remote_url: Some("git@github.com:org/app.git".into()),
            root_commit: Some("a".repeat(40)),
            path: "/home/u/app".into(),
        }
    }

    #[test]
    fn identity_does_not_depend_on_the_path() {
        let a = identify(&facts()).unwrap();
        let mut f = facts();
        f.path = "/tmp/elsewhere/clone".into();
        let b = identify(&f).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.source, Source::GitRemote);
        assert!(a.slug.starts_with("app-"), "{}", a.slug);
        f.remote_url = None;
        let c = identify(&f).unwrap();
        assert_eq!(c.source, Source::RootCommit);
        f.path = "/x/y".into();
        assert_eq!(
            identify(&f).unwrap(),
            c,
            "not even the slug depends on the path"
        );
    }

    #[test]
    fn explicit_wins_and_is_checked() {
        let mut f = facts();
        f.explicit = Some("team/app".into());
        let i = identify(&f).unwrap();
        assert_eq!(i.source, Source::Explicit);
        assert_eq!(i.value, "name:team/app");
        assert!(i.slug.starts_with("app-"));
        for bad in ["../x", "/abs", "a b", "a//b", &"x".repeat(129)] {
            f.explicit = Some(bad.to_string());
            assert!(identify(&f).is_err(), "{bad}");
        }
    }

    #[test]
    fn without_git_the_path_is_the_identity_and_not_shared() {
        let f = Facts {
            path: "/home/u/app".into(),
            ..Facts::default()
        };
        let i = identify(&f).unwrap();
        assert_eq!(i.source, Source::Path);
        assert!(!i.shareable());
        let g = Facts {
            path: "/home/v/app".into(),
            ..Facts::default()
        };
        assert_ne!(identify(&g).unwrap().slug, i.slug);
        // A bad root commit is not an identity.
        let h = Facts {
            root_commit: Some("zz".into()),
            ..f
        };
        assert_eq!(identify(&h).unwrap().source, Source::Path);
    }
}
