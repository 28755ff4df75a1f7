#!/usr/bin/env bash
# Sets up a fresh machine and runs the whole test suite: the Rust tests
# (policy unit tests, the Go differential test, end-to-end tests of the
# binary on real directories) and the web/Node tests of the component.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# The static binary of scripts/package.sh (a cold optimized build, the
# longest step) compiles at the lowest priority from the start, in its own
# process group: it takes what the debug build and the tests leave of the
# cores (links, tests waiting on processes, servers and a browser).
mkdir -p target
static_log=target/build-static.log
setsid nice -n 19 scripts/build-static.sh > "$static_log" 2>&1 &
static_pid=$!
trap 'kill -- -"$static_pid" 2>/dev/null || true' EXIT
# One debug build serves every phase: the tests' (their dev-dependencies
# turn on features of shared crates, so a plain `cargo build` first would
# compile those crates and everything above them twice). The binary with
# exactly its own features is the static build's.
cargo test --locked --workspace --exclude zerops-cache-guest --no-run
bin="$PWD/target/debug/zerops-cache"
cargo test --locked --workspace --exclude zerops-cache-guest
# The Python embedding example (wasmtime from PyPI, installed by setup.sh).
ZEROPS_CACHE_BIN="$bin" python3 -m unittest discover -s examples/python -v
if [ -x web/ci.sh ]; then
  ZEROPS_CACHE_BIN="$bin" web/ci.sh
fi
echo "== the static binary (scripts/build-static.sh, log: $static_log)"
if ! wait "$static_pid"; then
  cat "$static_log" >&2
  echo "test.sh: the static build failed" >&2
  exit 1
fi
trap - EXIT
tail -1 "$static_log"
# What people install (issue 31): scripts/package.sh builds dist/ (the static
# musl binary, completions, man pages, the npm and PyPI packages, the crates)
# and each is tested as it is installed.
ZEROPS_CACHE_BIN="$bin" scripts/test-packages.sh
