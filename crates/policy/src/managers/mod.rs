//! What package managers and build tools do to the paths the cache keeps.
//!
//! [`table::MANAGERS`] is the knowledge, as reviewable data with a source for
//! every fact; [`analyze`] reads a build section's commands through it and
//! says which paths of /build/source the commands create, delete or
//! re-create, and where each tool keeps its download cache. The advice lints
//! (`lint::advice`) and the `advise` report are built on that.

mod shell;
pub mod table;
#[cfg(test)]
mod tests;

use crate::diag::Span;
use crate::model::Build;
use std::collections::BTreeMap;
pub use table::MANAGERS;

/// One package manager or build tool.
#[derive(Debug)]
pub struct Manager {
    pub name: &'static str,
    /// Program names (the last component of the first word).
    pub programs: &'static [&'static str],
    pub grammar: Grammar,
    /// Flags whose value is the directory the command works in.
    pub dir_flags: &'static [&'static str],
    /// Flags that make a command act outside the project (`npm -g`).
    pub global_flags: &'static [&'static str],
    /// The first operand after the subcommand names the project (a
    /// directory, or a file whose directory is the project): `dotnet`.
    pub project_arg: bool,
    pub rules: &'static [Rule],
    /// Where the tool keeps its own caches.
    pub caches: &'static [Cache],
    pub docs: &'static str,
}

/// How a command line is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grammar {
    /// `tool [flags] SUBCOMMAND [args]`.
    Sub,
    /// `tool GOAL GOAL…`: every word is a goal (Maven, Gradle).
    Goals,
    /// `tool [flags] OPERAND…` (`rm`, `mkdir`).
    Operands,
}

/// What a command does to a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Effect {
    /// Creates it, or updates it in place: a restored copy is used.
    Creates,
    /// Deletes it and creates it again: a restored copy is thrown away.
    Recreates,
    /// Deletes it.
    Deletes,
}

/// A command and what it does.
#[derive(Debug)]
pub struct Rule {
    /// Subcommands (or goals) that trigger the rule; `""` is the bare tool.
    pub words: &'static [&'static str],
    /// A further word that must appear (`go mod vendor`, `mix deps.clean --all`).
    pub needs_flag: Option<&'static str>,
    /// Further paths the command creates in its directory when they are
    /// missing (the lockfile of an install).
    pub also: &'static [&'static str],
    pub effect: Effect,
    pub out: Out,
    /// For effects that throw a restore away: what to do instead.
    pub advice: &'static str,
    pub docs: &'static str,
}

/// Which path a rule acts on, relative to the directory the command works in.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    /// The default path; `None` when the tool writes outside the project
    /// unless told otherwise.
    pub default: Option<&'static str>,
    /// Variables whose value replaces the path.
    pub env: &'static [&'static str],
    /// Flags whose value replaces the path.
    pub flags: &'static [&'static str],
    /// The default applies only when this variable is set to a true value.
    pub when_env: Option<&'static str>,
    /// The paths are the command's operands (`rm -rf a b`).
    pub operands: bool,
}

/// Where a tool keeps a cache of its own.
#[derive(Debug)]
pub struct Cache {
    pub what: &'static str,
    /// The default place, relative to HOME.
    pub home: &'static str,
    /// Variables that move it: the name and the path under its value.
    pub env: &'static [(&'static str, &'static str)],
    pub docs: &'static str,
}

/// A place a command refers to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    /// Inside /build/source: the relative path (`""` is the root).
    Source(String),
    /// Outside /build/source (kept by the base layer), as a user writes it:
    /// `~/.npm`, `/tmp/x`.
    Outside(String),
    /// Depends on something not known here (`$VAR`, `cd -`).
    Unknown,
}

/// Which list a command item comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Prepare,
    Build,
}

/// Where a finding came from: the command item and the tool invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub phase: Phase,
    /// Index in `prepareCommands` or `buildCommands`.
    pub item: usize,
    pub span: Span,
    /// The tool and its subcommand as written, e.g. `npm ci`.
    pub invocation: String,
}

/// A path of /build/source that a build command acts on.
#[derive(Debug, Clone)]
pub struct PathEffect {
    pub path: String,
    pub effect: Effect,
    pub manager: &'static Manager,
    pub rule: &'static Rule,
    pub origin: Origin,
}

/// A tool cache a command uses, and where it is.
#[derive(Debug, Clone)]
pub struct CacheUse {
    pub manager: &'static Manager,
    pub cache: &'static Cache,
    pub place: Place,
    /// The variable that moved it, with the span of its value when it comes
    /// from `envVariables`.
    pub via: Option<(String, Option<Span>)>,
    pub origin: Origin,
}

/// What a build section's commands do, in order.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// Effects on /build/source of buildCommands, in the order they run.
    pub effects: Vec<PathEffect>,
    /// Tool caches used by prepareCommands and buildCommands, each once
    /// (the first use).
    pub caches: Vec<CacheUse>,
}

impl Analysis {
    /// Paths of /build/source that buildCommands create (or re-create).
    /// Tool caches that buildCommands fill inside /build/source count too.
    pub fn created(&self) -> impl Iterator<Item = &str> {
        let caches = self.caches.iter().filter_map(|u| match &u.place {
            Place::Source(rel) if u.origin.phase == Phase::Build && !rel.is_empty() => {
                Some(rel.as_str())
            }
            _ => None,
        });
        self.effects
            .iter()
            .filter(|e| e.effect != Effect::Deletes)
            .map(|e| e.path.as_str())
            .chain(caches)
    }
}

/// The home directories a command may name: Zerops' build user's and root's.
const HOMES: &[&str] = &["/home/zerops/", "/root/"];

/// Reads a build section's commands.
pub fn analyze(build: &Build) -> Analysis {
    let mut env: BTreeMap<String, (String, Option<Span>)> = BTreeMap::new();
    for (k, v) in &build.env_variables {
        env.insert(k.value.clone(), (v.value.clone(), Some(v.span)));
    }
    let mut a = Analysis::default();
    let lists = [
        (
            Phase::Prepare,
            &build.prepare_commands,
            Place::Outside("~".into()),
        ),
        (
            Phase::Build,
            &build.build_commands,
            Place::Source(String::new()),
        ),
    ];
    for (phase, items, start) in lists {
        for (i, item) in items.iter().enumerate() {
            let mut shell = Shell {
                env: env.clone(),
                cwd: start.clone(),
            };
            for cmd in shell::split(&item.value) {
                let origin = |invocation: String| Origin {
                    phase,
                    item: i,
                    span: item.span,
                    invocation,
                };
                shell.run(&cmd, origin, &mut a);
            }
        }
    }
    a.effects.retain(|e| e.origin.phase == Phase::Build);
    a
}

/// The state of one shell: variables and the working directory.
struct Shell {
    env: BTreeMap<String, (String, Option<Span>)>,
    cwd: Place,
}

impl Shell {
    fn run(&mut self, cmd: &shell::Simple, origin: impl Fn(String) -> Origin, a: &mut Analysis) {
        let mut local = self.env.clone();
        for (k, v) in &cmd.assigns {
            local.insert(k.clone(), (v.clone(), None));
        }
        let words = unwrap(&cmd.words);
        let Some(first) = words.first() else {
            self.env = local; // `A=B` alone sets a shell variable
            return;
        };
        match first.text.as_str() {
            "cd" => {
                self.cwd = match words.get(1) {
                    None => Place::Outside("~".into()),
                    Some(w) if w.dynamic || w.text == "-" => Place::Unknown,
                    Some(w) => resolve(&self.cwd, &w.text),
                };
                return;
            }
            "export" => {
                for w in &words[1..] {
                    if let Some((k, v)) = shell::assignment(w) {
                        self.env.insert(k, (v, None));
                    }
                }
                return;
            }
            _ => {}
        }
        let program = first.text.rsplit('/').next().unwrap_or("");
        let Some(m) = MANAGERS.iter().find(|m| m.programs.contains(&program)) else {
            return;
        };
        let inv = Invocation::parse(m, &words[1..]);
        let invocation = match inv.positional.first() {
            Some(sub) if m.grammar != Grammar::Operands => format!("{} {}", m.name, sub.text),
            _ => m.name.to_string(),
        };
        let var = |name: &str| local.get(name).map(|(v, _)| v.as_str());
        for c in m.caches {
            if a.caches
                .iter()
                .any(|u| std::ptr::eq(u.cache, c) && u.manager.name == m.name)
            {
                continue;
            }
            let moved = c.env.iter().find_map(|(k, sub)| {
                local
                    .get(*k)
                    .filter(|(v, _)| !v.is_empty())
                    .map(|(v, span)| (*k, join(v, sub), *span))
            });
            let (place, via) = match moved {
                Some((k, v, span)) => (resolve(&self.cwd, &v), Some((k.to_string(), span))),
                None => (Place::Outside(format!("~/{}", c.home)), None),
            };
            a.caches.push(CacheUse {
                manager: m,
                cache: c,
                place,
                via,
                origin: origin(invocation.clone()),
            });
        }
        if inv.global {
            return;
        }
        let dir = match &inv.dir {
            Some(d) if d.dynamic => Place::Unknown,
            Some(d) => resolve(&self.cwd, &d.text),
            None => self.cwd.clone(),
        };
        for (rule, operands) in inv.rules(m) {
            let dir = match (m.project_arg, operands.first()) {
                (true, Some(p)) if !p.dynamic => project_dir(&dir, &p.text),
                (true, Some(_)) => Place::Unknown,
                _ => dir.clone(),
            };
            let mut places = Vec::new();
            if rule.out.operands && !operands.is_empty() {
                for w in operands.iter().filter(|w| !w.dynamic) {
                    places.push(resolve(&self.cwd, &w.text));
                }
            } else if let Some(v) = rule.out.flags.iter().find_map(|f| inv.flag(f)) {
                places.push(if v.dynamic {
                    Place::Unknown
                } else {
                    resolve(&self.cwd, &v.text)
                });
            } else if let Some(v) = rule.out.env.iter().find_map(|k| var(k)) {
                places.push(resolve(&dir, v));
            } else if let Some(d) = rule.out.default
                && rule.out.when_env.is_none_or(|k| var(k).is_some_and(truthy))
            {
                places.push(resolve(&dir, d));
            }
            if rule.effect == Effect::Creates {
                places.extend(rule.also.iter().map(|f| resolve(&dir, f)));
            }
            for p in places {
                if let Place::Source(path) = p
                    && !path.is_empty()
                {
                    a.effects.push(PathEffect {
                        path,
                        effect: rule.effect,
                        manager: m,
                        rule,
                        origin: origin(invocation.clone()),
                    });
                }
            }
        }
    }
}

/// Drops wrappers that run the next word as the command: `sudo`, `env`,
/// `time`, `exec`, `command`, `nice`, and `python -m tool`.
fn unwrap(words: &[shell::Word]) -> &[shell::Word] {
    let mut w = words;
    loop {
        match w.first().map(|f| f.text.as_str()) {
            Some("sudo" | "time" | "exec" | "command" | "nice" | "nohup") => {
                w = &w[1..];
                while w.first().is_some_and(|f| f.text.starts_with('-')) {
                    w = &w[1..];
                }
            }
            Some("env") => {
                w = &w[1..];
                while w
                    .first()
                    .is_some_and(|f| f.text.starts_with('-') || shell::assignment(f).is_some())
                {
                    w = &w[1..];
                }
            }
            Some(p)
                if matches!(p.rsplit('/').next(), Some("python" | "python3"))
                    && w.get(1).is_some_and(|f| f.text == "-m") =>
            {
                w = &w[2..];
            }
            _ => return w,
        }
    }
}

/// A tool's arguments, read with its grammar.
struct Invocation<'w> {
    positional: Vec<&'w shell::Word>,
    flags: Vec<(&'w str, Option<&'w shell::Word>, Option<String>)>,
    dir: Option<shell::Word>,
    global: bool,
}

impl<'w> Invocation<'w> {
    fn parse(m: &Manager, args: &'w [shell::Word]) -> Invocation<'w> {
        let takes_value =
            |f: &str| m.dir_flags.contains(&f) || m.rules.iter().any(|r| r.out.flags.contains(&f));
        let mut inv = Invocation {
            positional: Vec::new(),
            flags: Vec::new(),
            dir: None,
            global: false,
        };
        let mut it = args.iter();
        let mut after_dashes = false;
        while let Some(w) = it.next() {
            let t = w.text.as_str();
            if after_dashes || !t.starts_with('-') || t == "-" {
                inv.positional.push(w);
                continue;
            }
            if t == "--" {
                after_dashes = true;
                continue;
            }
            let (name, inline) = match t.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
                _ => (t, None),
            };
            let value = if inline.is_none() && takes_value(name) {
                it.next()
            } else {
                None
            };
            if m.global_flags.contains(&name) {
                inv.global = true;
            }
            if m.dir_flags.contains(&name) {
                inv.dir = match (&inline, value) {
                    (Some(v), _) => Some(shell::Word {
                        text: v.clone(),
                        dynamic: w.dynamic,
                    }),
                    (None, Some(v)) => Some(v.clone()),
                    (None, None) => None,
                };
            }
            inv.flags.push((name, value, inline));
        }
        inv
    }

    /// The value of flag `f` as a word.
    fn flag(&self, f: &str) -> Option<shell::Word> {
        self.flags
            .iter()
            .rev()
            .find(|(n, ..)| *n == f)
            .and_then(|(_, v, inline)| match (v, inline) {
                (Some(v), _) => Some((*v).clone()),
                (None, Some(i)) => Some(shell::Word {
                    text: i.clone(),
                    dynamic: i.contains('$'),
                }),
                (None, None) => None,
            })
    }

    fn has_word(&self, w: &str) -> bool {
        self.positional.iter().any(|p| p.text == w) || self.flags.iter().any(|(n, ..)| *n == w)
    }

    /// The rules that apply, each with the operands after its subcommand.
    fn rules(&self, m: &'static Manager) -> Vec<(&'static Rule, Vec<&'w shell::Word>)> {
        let applies = |r: &Rule, word: &str| {
            r.words.contains(&word) && r.needs_flag.is_none_or(|f| self.has_word(f))
        };
        match m.grammar {
            Grammar::Operands => m
                .rules
                .iter()
                .filter(|r| applies(r, ""))
                .map(|r| (r, self.positional.clone()))
                .collect(),
            Grammar::Sub => {
                let sub = self
                    .positional
                    .first()
                    .map(|w| w.text.as_str())
                    .unwrap_or("");
                let rest = self.positional.iter().skip(1).copied().collect::<Vec<_>>();
                m.rules
                    .iter()
                    .filter(|r| applies(r, sub))
                    .map(|r| (r, rest.clone()))
                    .collect()
            }
            Grammar::Goals => {
                let mut out = Vec::new();
                for goal in &self.positional {
                    for r in m.rules.iter().filter(|r| applies(r, &goal.text)) {
                        out.push((r, Vec::new()));
                    }
                }
                out
            }
        }
    }
}

fn truthy(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on")
}

fn join(base: &str, sub: &str) -> String {
    if sub.is_empty() {
        base.to_string()
    } else {
        format!("{}/{sub}", base.trim_end_matches('/'))
    }
}

/// The directory of a project operand: the file's parent, or the directory.
fn project_dir(dir: &Place, operand: &str) -> Place {
    let is_file = [".csproj", ".fsproj", ".vbproj", ".sln", ".slnx"]
        .iter()
        .any(|e| operand.ends_with(e));
    if is_file {
        match operand.rsplit_once('/') {
            Some((parent, _)) => resolve(dir, parent),
            None => dir.clone(),
        }
    } else {
        resolve(dir, operand)
    }
}

/// `path` as seen from `cwd`.
pub fn resolve(cwd: &Place, path: &str) -> Place {
    if path.contains('$') || path.contains('`') {
        return Place::Unknown;
    }
    let home_rel = path
        .strip_prefix("~/")
        .or_else(|| HOMES.iter().find_map(|h| path.strip_prefix(h)));
    if path == "~" || HOMES.iter().any(|h| path == h.trim_end_matches('/')) {
        return Place::Outside("~".into());
    }
    if let Some(rest) = home_rel {
        return Place::Outside(clean(&format!("~/{rest}")));
    }
    if let Some(rest) = path.strip_prefix("/build/source")
        && (rest.is_empty() || rest.starts_with('/'))
    {
        return under(String::new(), rest);
    }
    if path.starts_with('/') {
        return Place::Outside(clean(path));
    }
    match cwd {
        Place::Source(base) => under(base.clone(), path),
        Place::Outside(base) => Place::Outside(clean(&format!("{base}/{path}"))),
        Place::Unknown => Place::Unknown,
    }
}

/// `base` (relative to /build/source) joined with `rel`; `..` above the root
/// leaves the source.
fn under(base: String, rel: &str) -> Place {
    let mut parts: Vec<&str> = base.split('/').filter(|s| !s.is_empty()).collect();
    for c in rel.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Place::Outside(format!("/build/{rel}"));
                }
            }
            c => parts.push(c),
        }
    }
    Place::Source(parts.join("/"))
}

/// Removes `.`, empty components and a trailing `/` from an outside path.
fn clean(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for (i, c) in p.split('/').enumerate() {
        match c {
            "" if i > 0 => {}
            "." => {}
            ".." if out.len() > 1 => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out.join("/")
}

/// The tool cache that a path outside /build/source names (`~/.npm`,
/// `/root/go/pkg/mod`, `$HOME/.m2`), with how it relates: the path is the
/// cache, lies inside it, or contains it.
pub fn outside_cache(pattern: &str) -> Option<(&'static Manager, &'static Cache)> {
    let rel = ["~/", "$HOME/", "${HOME}/"]
        .iter()
        .chain(HOMES)
        .find_map(|h| pattern.strip_prefix(h))
        .or_else(|| {
            pattern
                .strip_prefix("/home/")
                .and_then(|r| r.split_once('/').map(|(_, rest)| rest))
        })?;
    let rel = rel.trim_end_matches('/');
    if rel.is_empty() {
        return None;
    }
    MANAGERS.iter().find_map(|m| {
        m.caches
            .iter()
            .find(|c| {
                let h = c.home;
                rel == h
                    || rel.strip_prefix(h).is_some_and(|r| r.starts_with('/'))
                    || h.strip_prefix(rel).is_some_and(|r| r.starts_with('/'))
            })
            .map(|c| (m, c))
    })
}
