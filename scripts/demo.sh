#!/usr/bin/env bash
# Sets up the build toolchain and runs zerops-cache on the bundled example
# (examples/hello): lint, then two builds, the second one warm.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --build
cargo build --release --locked -p zerops-cache
bin="$PWD/target/release/zerops-cache"
cd examples/hello
echo "== zerops-cache lint"
"$bin" lint
