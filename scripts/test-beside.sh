#!/usr/bin/env bash
# The tests of what is built on the zerops-cache binary, beside the Rust
# ones (scripts/test.sh runs this while cargo test runs):
#   - examples/python (the Python embedding, in wasmtime-py);
#   - web/ci.sh (the browser linter in Chromium, and examples/node);
#   - scripts/test-packages.sh (dist/ as people install it).
# ZEROPS_CACHE_BIN: the binary (its component is exported and compared);
# ZEROPS_CACHE_STATIC_BIN: the static binary for dist/ (else built here).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${ZEROPS_CACHE_BIN:?the zerops-cache binary}"
source scripts/phase.sh
phase "examples/python" python3 -m unittest discover -s examples/python -v
if [ -x web/ci.sh ]; then
  phase "web/ci.sh (browser tests, examples/node)" web/ci.sh
fi
# What people install (issue 31): scripts/package.sh builds dist/ (the static
# musl binary, completions, man pages, the npm and PyPI packages, the crates)
# and each is tested as it is installed.
phase "scripts/test-packages.sh" scripts/test-packages.sh
phase_times "scripts/test-beside.sh"
