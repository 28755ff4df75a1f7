#!/usr/bin/env bash
# Sets up a fresh machine and runs the whole test suite: the Rust tests
# (policy unit tests, the Go differential test, end-to-end tests of the
# binary on real directories) and the web/Node tests of the component.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
cargo build --locked
cargo test --locked --workspace --exclude zerops-cache-guest
# The Python embedding example (wasmtime from PyPI, installed by setup.sh).
ZEROPS_CACHE_BIN="$PWD/target/debug/zerops-cache" python3 -m unittest discover -s examples/python -v
if [ -x web/ci.sh ]; then
  ZEROPS_CACHE_BIN="$PWD/target/debug/zerops-cache" web/ci.sh
fi
# What people install (issue 31): scripts/package.sh builds dist/ (the static
# musl binary, completions, man pages, the npm and PyPI packages, the crates)
# and each is tested as it is installed.
scripts/test-packages.sh
