#!/usr/bin/env bash
# Builds the static binary people install: target/x86_64-unknown-linux-musl/
# dist/zerops-cache (profile `dist`, Cargo.toml). scripts/package.sh copies
# it into dist/; scripts/test.sh starts it first, at the lowest priority, so
# it uses what the debug build and the tests leave of the cores.
set -euo pipefail
cd "$(dirname "$0")/.."
# musl-gcc for the C parts (mimalloc, zstd, aws-lc).
export CC_x86_64_unknown_linux_musl=musl-gcc
exec cargo build --locked -p zerops-cache --profile dist --target x86_64-unknown-linux-musl
