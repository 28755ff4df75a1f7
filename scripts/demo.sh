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
# The store lives in a temporary directory so the demo leaves nothing behind.
store="$(mktemp -d)"
trap 'rm -rf "$store"' EXIT
# The demo runs offline, on this machine's own root: `base: nodejs@22`
# would otherwise pull node:22-alpine from Docker Hub (see README "Build
# images"). Drop --image host to build in the image the config names.
export ZEROPS_CACHE_IMAGE=host
echo "== zerops-cache build (cold: prepareCommands run, install.sh creates node_modules)"
"$bin" build --store "$store"
echo "== zerops-cache build (warm: base layer reused, node_modules restored by one rename)"
"$bin" build --store "$store"
echo "== zerops-cache versions (each a tree over shared objects; the newest has a directory)"
"$bin" versions --store "$store"
echo "== zerops-cache status"
"$bin" status --store "$store"
