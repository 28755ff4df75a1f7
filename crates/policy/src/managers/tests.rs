//! One test per table row: each rule's effect and path, each cache's place.

use super::*;
use crate::model;

/// The analysis of a build with these buildCommands and envVariables.
fn run(cmds: &[&str], env: &[(&str, &str)]) -> Analysis {
    let mut src = String::from("zerops:\n  - setup: app\n    build:\n      buildCommands:\n");
    for c in cmds {
        src.push_str(&format!(
            "        - {}\n",
            serde_json::to_string(c).unwrap()
        ));
    }
    if !env.is_empty() {
        src.push_str("      envVariables:\n");
        for (k, v) in env {
            src.push_str(&format!(
                "        {k}: {}\n",
                serde_json::to_string(v).unwrap()
            ));
        }
    }
    let config = model::parse(&src).unwrap();
    analyze(config.setups[0].build.as_ref().unwrap())
}

/// `(effect, path)` of every effect, in order.
fn effects(cmds: &[&str]) -> Vec<(Effect, String)> {
    effects_env(cmds, &[])
}

fn effects_env(cmds: &[&str], env: &[(&str, &str)]) -> Vec<(Effect, String)> {
    run(cmds, env)
        .effects
        .iter()
        .filter(|e| {
            !e.rule
                .also
                .iter()
                .any(|a| e.path.rsplit('/').next() == Some(a))
        })
        .map(|e| (e.effect, e.path.clone()))
        .collect()
}

/// The lockfiles (and other `also` paths) the commands create.
fn also(cmds: &[&str], env: &[(&str, &str)]) -> Vec<String> {
    run(cmds, env)
        .effects
        .iter()
        .filter(|e| {
            e.rule
                .also
                .iter()
                .any(|a| e.path.rsplit('/').next() == Some(a))
        })
        .map(|e| e.path.clone())
        .collect()
}

#[test]
fn installs_create_their_lockfiles() {
    assert_eq!(also(&["npm install"], &[]), ["package-lock.json"]);
    assert_eq!(also(&["npm ci"], &[]), Vec::<String>::new());
    assert_eq!(also(&["cd web && pnpm i"], &[]), ["web/pnpm-lock.yaml"]);
    assert_eq!(also(&["yarn"], &[]), ["yarn.lock"]);
    assert_eq!(also(&["bun install"], &[]), ["bun.lock", "bun.lockb"]);
    assert_eq!(also(&["uv sync"], &[]), ["uv.lock"]);
    assert_eq!(also(&["poetry install"], &[]), ["poetry.lock"]);
    assert_eq!(also(&["pipenv install"], &[]), ["Pipfile.lock"]);
    assert_eq!(also(&["composer install"], &[]), ["composer.lock"]);
    assert_eq!(also(&["cargo build"], &[]), ["Cargo.lock"]);
    assert_eq!(also(&["cargo clean"], &[]), Vec::<String>::new());
    assert_eq!(also(&["mix deps.get"], &[]), ["mix.lock"]);
    assert_eq!(also(&["bundle install"], &[]), ["Gemfile.lock"]);
    // A tool cache the build fills inside the source counts as created.
    let a = run(&["deno cache main.ts"], &[("DENO_DIR", ".deno_cache")]);
    assert!(a.created().any(|c| c == ".deno_cache"));
}

fn caches(cmds: &[&str], env: &[(&str, &str)]) -> Vec<(&'static str, Place)> {
    run(cmds, env)
        .caches
        .iter()
        .map(|u| (u.manager.name, u.place.clone()))
        .collect()
}

use Effect::{Creates as C, Deletes as D, Recreates as R};

fn one(e: Effect, p: &str) -> Vec<(Effect, String)> {
    vec![(e, p.to_string())]
}

fn src(p: &str) -> Place {
    Place::Source(p.into())
}

fn home(p: &str) -> Place {
    Place::Outside(p.into())
}

#[test]
fn npm() {
    assert_eq!(effects(&["npm ci"]), one(R, "node_modules"));
    assert_eq!(effects(&["npm clean-install"]), one(R, "node_modules"));
    assert_eq!(effects(&["npm install"]), one(C, "node_modules"));
    assert_eq!(effects(&["npm i --omit=dev"]), one(C, "node_modules"));
    assert_eq!(effects(&["npm run build"]), []);
    assert_eq!(effects(&["npm install -g typescript"]), []);
    assert_eq!(
        effects(&["npm --prefix web ci"]),
        one(R, "web/node_modules")
    );
    assert_eq!(
        effects(&["cd frontend && npm ci"]),
        one(R, "frontend/node_modules")
    );
    assert_eq!(
        effects(&["cd frontend ; cd .. ; npm ci"]),
        one(R, "node_modules")
    );
    assert_eq!(
        effects(&["NPM_CONFIG_AUDIT=false npm install --min-release-age=0"]),
        one(C, "node_modules")
    );
    assert_eq!(caches(&["npm ci"], &[]), [("npm", home("~/.npm"))]);
    assert_eq!(
        caches(&["npm ci"], &[("npm_config_cache", ".npm-cache")]),
        [("npm", src(".npm-cache"))]
    );
}

#[test]
fn pnpm_yarn_bun() {
    assert_eq!(effects(&["pnpm i"]), one(C, "node_modules"));
    assert_eq!(
        effects(&["pnpm -C apps/web install"]),
        one(C, "apps/web/node_modules")
    );
    assert_eq!(
        caches(&["pnpm i"], &[]),
        [("pnpm", home("~/.local/share/pnpm/store"))]
    );
    assert_eq!(effects(&["yarn"]), one(C, "node_modules"));
    assert_eq!(
        effects(&["yarn install --frozen-lockfile"]),
        one(C, "node_modules")
    );
    assert_eq!(effects(&["yarn build"]), []);
    assert_eq!(effects(&["yarn --cwd web"]), one(C, "web/node_modules"));
    assert_eq!(
        caches(&["yarn"], &[]),
        [
            ("yarn", home("~/.cache/yarn")),
            ("yarn", home("~/.yarn/berry/cache"))
        ]
    );
    assert_eq!(
        effects(&["bun install --frozen-lockfile"]),
        one(C, "node_modules")
    );
    assert_eq!(effects(&["bun run build"]), []);
    assert_eq!(
        caches(&["bun i"], &[("BUN_INSTALL", "./.bun")]),
        [("bun", src(".bun/install/cache"))]
    );
    assert_eq!(
        caches(&["bun i"], &[("BUN_INSTALL_CACHE_DIR", "/build/source/.c")]),
        [("bun", src(".c"))]
    );
    assert_eq!(
        caches(&["bun i"], &[]),
        [("bun", home("~/.bun/install/cache"))]
    );
}

#[test]
fn deno() {
    assert_eq!(effects(&["deno cache src/main.ts"]), []);
    assert_eq!(
        caches(
            &["deno cache src/main.ts"],
            &[("DENO_DIR", "./.deno_cache")]
        ),
        [("deno", src(".deno_cache"))]
    );
    assert_eq!(
        caches(&["deno task build"], &[]),
        [("deno", home("~/.cache/deno"))]
    );
}

#[test]
fn python() {
    assert_eq!(
        effects(&["pip install --target=./vendor -r requirements.txt"]),
        one(C, "vendor")
    );
    assert_eq!(effects(&["pip3 install -t lib ."]), one(C, "lib"));
    assert_eq!(effects(&["python3 -m pip install -r r.txt"]), []);
    assert_eq!(
        caches(&["python -m pip install x"], &[]),
        [("pip", home("~/.cache/pip"))]
    );
    assert_eq!(effects(&["uv sync --frozen"]), one(C, ".venv"));
    assert_eq!(caches(&["uv sync"], &[]), [("uv", home("~/.cache/uv"))]);
    assert_eq!(effects(&["poetry install"]), []);
    assert_eq!(
        effects_env(
            &["poetry install"],
            &[("POETRY_VIRTUALENVS_IN_PROJECT", "true")]
        ),
        one(C, ".venv")
    );
    assert_eq!(
        caches(&["poetry install"], &[]),
        [("poetry", home("~/.cache/pypoetry"))]
    );
    assert_eq!(
        effects(&["PIPENV_VENV_IN_PROJECT=1 pipenv install"]),
        one(C, ".venv")
    );
    assert_eq!(effects(&["pipenv install"]), []);
    assert_eq!(
        caches(&["pipenv sync"], &[]),
        [("pipenv", home("~/.cache/pipenv"))]
    );
}

#[test]
fn composer() {
    assert_eq!(effects(&["composer install --no-dev"]), one(C, "vendor"));
    assert_eq!(
        effects(&["cd php ; composer install"]),
        one(C, "php/vendor")
    );
    assert_eq!(effects(&["composer -d api install"]), one(C, "api/vendor"));
    assert_eq!(
        effects_env(&["composer install"], &[("COMPOSER_VENDOR_DIR", "lib/v")]),
        one(C, "lib/v")
    );
    assert_eq!(
        caches(&["composer install"], &[]),
        [("composer", home("~/.cache/composer"))]
    );
}

#[test]
fn go() {
    assert_eq!(effects(&["go mod download"]), []);
    assert_eq!(effects(&["go mod vendor"]), one(R, "vendor"));
    assert_eq!(
        caches(&["go build -o app ."], &[]),
        [
            ("go", home("~/go/pkg/mod")),
            ("go", home("~/.cache/go-build"))
        ]
    );
    assert_eq!(
        caches(&["go build"], &[("GOPATH", "/build/source/.go")])[0],
        ("go", src(".go/pkg/mod"))
    );
}

#[test]
fn cargo() {
    assert_eq!(effects(&["cargo build --release"]), one(C, "target"));
    assert_eq!(effects(&["cargo clean"]), one(D, "target"));
    assert_eq!(effects(&["cargo build --target-dir out"]), one(C, "out"));
    assert_eq!(
        caches(&["cargo build"], &[])[0],
        ("cargo", home("~/.cargo/registry"))
    );
}

#[test]
fn maven_gradle() {
    assert_eq!(
        effects(&["./mvnw clean install --define maven.test.skip"]),
        [(D, "target".to_string()), (C, "target".to_string())]
    );
    assert_eq!(
        caches(&["mvn package"], &[]),
        [("maven", home("~/.m2/repository"))]
    );
    assert_eq!(
        effects(&["./gradlew clean build"]),
        [(D, "build".to_string()), (C, "build".to_string())]
    );
    assert_eq!(effects(&["gradle -p svc assemble"]), one(C, "svc/build"));
    assert_eq!(
        caches(&["gradle build"], &[]),
        [("gradle", home("~/.gradle/caches"))]
    );
}

#[test]
fn dotnet() {
    assert_eq!(
        effects(&["dotnet publish App/App.csproj -c Release -o out/app"]),
        [(C, "App/obj".to_string()), (C, "out/app".to_string())]
    );
    assert_eq!(effects(&["dotnet restore"]), one(C, "obj"));
    assert_eq!(
        caches(&["dotnet build"], &[]),
        [("dotnet", home("~/.nuget/packages"))]
    );
}

#[test]
fn mix() {
    assert_eq!(effects(&["mix deps.get --only prod"]), one(C, "deps"));
    assert_eq!(effects(&["mix compile"]), one(C, "_build"));
    assert_eq!(effects(&["mix deps.clean --all"]), one(D, "deps"));
    assert_eq!(effects(&["mix deps.clean phoenix"]), []);
    assert_eq!(caches(&["mix deps.get"], &[]), [("mix", home("~/.hex"))]);
}

#[test]
fn bundler() {
    assert_eq!(
        effects_env(&["bundle install"], &[("BUNDLE_PATH", "vendor/bundle")]),
        one(C, "vendor/bundle")
    );
    assert_eq!(
        effects_env(&["bundle"], &[("BUNDLE_DEPLOYMENT", "1")]),
        one(C, "vendor/bundle")
    );
    assert_eq!(effects(&["bundle install"]), []);
    assert_eq!(
        caches(&["bundle install"], &[]),
        [("bundler", home("~/.bundle/cache"))]
    );
}

#[test]
fn rm_and_mkdir() {
    assert_eq!(
        effects(&["rm -rf node_modules dist"]),
        [(D, "node_modules".into()), (D, "dist".into())]
    );
    assert_eq!(effects(&["rm -rf apps/*"]), []);
    assert_eq!(effects(&["rm -rf /tmp/x"]), []);
    assert_eq!(
        effects(&["mkdir -p ./content/adapters"]),
        one(C, "content/adapters")
    );
    assert_eq!(effects(&["sudo rm -rf vendor"]), one(D, "vendor"));
}

#[test]
fn places() {
    let root = Place::Source(String::new());
    assert_eq!(resolve(&root, "./a/../b/"), src("b"));
    assert_eq!(resolve(&root, "/build/source/x"), src("x"));
    assert_eq!(resolve(&root, "/home/zerops/.npm"), home("~/.npm"));
    assert_eq!(resolve(&root, "../x"), Place::Outside("/build/../x".into()));
    assert_eq!(resolve(&root, "$X/y"), Place::Unknown);
    assert_eq!(effects(&["cd $DIR && npm ci"]), []);
    // prepareCommands run in /home/zerops: no effect on the source is assumed.
    assert!(run(&[], &[]).effects.is_empty());
}

#[test]
fn outside_caches_by_name() {
    let name = |p: &str| outside_cache(p).map(|(m, c)| (m.name, c.home));
    assert_eq!(name("/root/go/pkg/mod"), Some(("go", "go/pkg/mod")));
    assert_eq!(name("~/.npm"), Some(("npm", ".npm")));
    assert_eq!(name("$HOME/.m2"), Some(("maven", ".m2/repository")));
    assert_eq!(
        name("/home/zerops/.cache/pip/"),
        Some(("pip", ".cache/pip"))
    );
    assert_eq!(
        name("/home/zerops/.cache/pip/wheels"),
        Some(("pip", ".cache/pip"))
    );
    assert_eq!(name("/etc/ssl"), None);
    assert_eq!(name("~/projects"), None);
}

#[test]
fn every_row_has_docs_and_a_use() {
    for m in MANAGERS {
        assert!(m.docs.starts_with("https://"), "{}", m.name);
        for r in m.rules {
            assert!(r.docs.starts_with("https://"), "{} {:?}", m.name, r.words);
            assert_eq!(
                r.effect == Effect::Creates,
                r.advice.is_empty(),
                "{}: rules that throw a restore away say what to do instead",
                m.name
            );
        }
        for c in m.caches {
            assert!(c.docs.starts_with("https://"), "{} {}", m.name, c.what);
        }
    }
}

#[test]
fn virtual_environments_are_created_where_their_commands_say() {
    use Effect::Creates;
    for (cmd, path) in [
        ("python3 -m venv venv", "venv"),
        ("python -m venv --upgrade-deps .env/py", ".env/py"),
        ("/usr/bin/python3 -m venv env", "env"),
        ("virtualenv pyenv", "pyenv"),
        ("uv venv myenv", "myenv"),
        ("uv venv", ".venv"),
        ("uv sync", ".venv"),
    ] {
        let got = effects(&[cmd]);
        assert!(got.contains(&(Creates, path.to_string())), "{cmd}: {got:?}");
    }
    // `mkdir` with no operand creates nothing.
    assert!(effects(&["mkdir"]).is_empty());
}
