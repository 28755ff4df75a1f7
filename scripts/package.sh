#!/usr/bin/env bash
# Builds every artifact people install into dist/, offline (after
# scripts/setup.sh has installed the tools and `cargo fetch` the crates):
#
#   dist/zerops-cache-x86_64-unknown-linux-musl   the static binary (Linux x86_64, any libc)
#   dist/completions/                             bash, zsh, fish, PowerShell, elvish
#   dist/man/zerops-cache.1 (+ one per subcommand)
#   dist/zerops-cache-policy-VERSION.tgz          the npm package (packages/js)
#   dist/zerops_cache_policy-VERSION-py3-none-any.whl  the PyPI package (packages/python)
#   dist/zerops-cache-{contract,policy}-VERSION.crate  the library crates
#   dist/SHA256SUMS
#
#   scripts/package.sh              everything
#   scripts/package.sh --no-static  all but the static binary (completions and
#                                   the man page then come from target/debug)
#
#   ZEROPS_CACHE_STATIC_BIN  the static binary, already built by
#                            scripts/build-static.sh (scripts/test.sh)
#
# The static binary is built with the `dist` profile (Cargo.toml): optimized,
# but without LTO and with many codegen units, so CI builds it in minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

static=1
[ "${1:-}" = "--no-static" ] && static=0

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Timestamps inside the wheel and the crates are the last commit's, so a
# rebuild of the same commit gives the same bytes. Given to those two steps
# only: the C parts' build scripts (cc) rebuild when it changes, and the
# binaries must stay the builds scripts/test.sh already made.
epoch="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"
TARGET=x86_64-unknown-linux-musl
version=$(cargo metadata --locked --offline --no-deps --format-version 1 \
  | python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "zerops-cache"))')
# Each step says when it started (seconds into the script), for CI logs.
say() { echo "package: [$SECONDS s] $*" >&2; }

rm -rf dist
mkdir -p dist

# The component, from the debug build (the same bytes every build embeds:
# the guest has its own profile; the packages' tests check it).
# ZEROPS_CACHE_BIN: a debug binary already built (scripts/test.sh passes the
# tests' own, so the binary is not compiled again with other features).
if [ -n "${ZEROPS_CACHE_BIN:-}" ]; then
  bin="$ZEROPS_CACHE_BIN"
else
  cargo build --locked --offline -p zerops-cache
  bin=target/debug/zerops-cache
fi
"$bin" component export dist/policy.wasm 2>/dev/null

if [ "$static" = 1 ]; then
  if [ -n "${ZEROPS_CACHE_STATIC_BIN:-}" ]; then
    # scripts/test.sh built it with scripts/build-static.sh already.
    say "static binary for $TARGET: $ZEROPS_CACHE_STATIC_BIN"
    cp "$ZEROPS_CACHE_STATIC_BIN" "dist/zerops-cache-$TARGET"
  else
    say "static binary for $TARGET (profile dist)"
    scripts/build-static.sh
    cp "target/$TARGET/dist/zerops-cache" "dist/zerops-cache-$TARGET"
  fi
  bin="dist/zerops-cache-$TARGET"
fi

say "completions and man pages (from $bin)"
mkdir -p dist/completions dist/man
"$bin" completions bash > dist/completions/zerops-cache.bash
"$bin" completions zsh > dist/completions/_zerops-cache
"$bin" completions fish > dist/completions/zerops-cache.fish
"$bin" completions powershell > dist/completions/_zerops-cache.ps1
"$bin" completions elvish > dist/completions/zerops-cache.elv
"$bin" man --dir dist/man 2>/dev/null

say "npm package (packages/js)"
[ -x packages/js/node_modules/.bin/jco ] \
  || (cd packages/js && npm ci --offline --no-audit --no-fund --loglevel=error)
ZEROPS_COMPONENT="$PWD/dist/policy.wasm" node packages/js/build.mjs 2>/dev/null
(cd packages/js && npm pack --silent --pack-destination ../../dist >/dev/null)

say "PyPI wheel (packages/python)"
cp dist/policy.wasm packages/python/src/zerops_cache_policy/policy.wasm
SOURCE_DATE_EPOCH="$epoch" python3 -m pip wheel --quiet --no-deps --no-build-isolation --no-index \
  --wheel-dir dist packages/python
rm -rf packages/python/build

say "crates (cargo package)"
# cargo verifies the policy crate against the contract crate it just packed,
# through a temporary registry at target/package/tmp-registry, and extracts
# that crate under $CARGO_HOME/registry/src/<hash of the registry's path>/.
# An extraction is never refreshed: a checkout at the same path that packed
# the same version before would verify against the old contract. Our own
# crates' extractions are removed first (cargo extracts them again).
for d in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/zerops-cache-{contract,policy}-"$version"; do
  [ -d "$d" ] && rm -rf "$d"
done
SOURCE_DATE_EPOCH="$epoch" cargo package --locked --offline --quiet --allow-dirty \
  -p zerops-cache-contract -p zerops-cache-policy
cp "target/package/zerops-cache-contract-$version.crate" \
  "target/package/zerops-cache-policy-$version.crate" dist/

rm dist/policy.wasm
(cd dist && find . -type f ! -name SHA256SUMS | sort | sed 's|^\./||' | xargs sha256sum > SHA256SUMS)
say "wrote dist/ (version $version):"
(cd dist && ls -l --almost-all | sed 's/^/  /' >&2)
