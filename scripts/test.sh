#!/usr/bin/env bash
# Sets up a fresh machine and runs the whole test suite: the Rust tests
# (policy unit tests, the Go differential test, end-to-end tests of the
# binary on real directories) and the web/Node tests of the component.
# Each phase logs its wall time ("== time: PHASE N s"); the last lines sum
# them up, so a CI log shows where the time went.
#
#   scripts/test.sh           the tests
#   scripts/test.sh --clippy  also clippy's lints (-D warnings) of the
#                             crates the tests build, as .ci/run runs it
set -euo pipefail
cd "$(dirname "$0")/.."
# --clippy: clippy-driver (rustc with clippy's lints, what `cargo clippy`
# runs) compiles the workspace's own crates while the tests build, with
# every target (the benchmark too). A separate `cargo clippy` would check
# every dependency once more (634 units in check mode, none shared with
# the test build); this way they are compiled once. Every cargo command
# below gets the same environment, or the workspace would build again.
lint=()
if [ "${1:-}" = "--clippy" ]; then
  lint=(env RUSTC_WORKSPACE_WRAPPER=clippy-driver
    CLIPPY_ARGS=-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__)
fi
source scripts/phase.sh
phase "setup (scripts/setup.sh)" scripts/setup.sh
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# One build serves the tests and the binary people install. Every crate is
# compiled once, for x86_64-unknown-linux-musl with the `dist` profile
# (Cargo.toml): the static binary's target and profile. The tests then run
# optimized code against the binary scripts/package.sh ships, and the
# dependencies (wasmtime and cranelift are most of the work) are not
# compiled a second time, for a debug build.
target=x86_64-unknown-linux-musl
export CC_x86_64_unknown_linux_musl=musl-gcc
build=(--locked --workspace --exclude zerops-cache-guest --profile dist --target "$target")
# First the binary exactly as scripts/build-static.sh builds it (no
# clippy-driver: it compiles without MIR optimizations), with the
# dependencies every later step reuses. A copy of it is what the tests
# beside the Rust tests use: cargo puts its latest build of the binary at
# the same path, and the next one is the tests' own.
phase "the static binary (scripts/build-static.sh)" scripts/build-static.sh
mkdir -p target/static
cp "target/$target/dist/zerops-cache" target/static/zerops-cache
static_bin="$PWD/target/static/zerops-cache"
# Then the tests (and clippy over the workspace's own crates: cargo keeps
# both builds of them).
phase "the build of the tests${lint:+ (and clippy)}" "${lint[@]}" \
  cargo test "${build[@]}" --all-targets --no-run
# The tests that need only the static binary (scripts/test-beside.sh: the
# Python example, the web page and the Node example in Chromium, the
# packages as people install them) run beside the Rust tests, which spend
# much of their time waiting on processes and servers; at a lower priority,
# in their own process group, with their own log.
beside_log=target/test-beside.log
setsid nice -n 10 env ZEROPS_CACHE_BIN="$static_bin" ZEROPS_CACHE_STATIC_BIN="$static_bin" \
  scripts/test-beside.sh > "$beside_log" 2>&1 &
beside_pid=$!
trap 'kill -- -"$beside_pid" 2>/dev/null || true' EXIT
# The Rust tests through cargo test: one process per test binary, its tests
# on threads. (Under cargo nextest, one process per test, fixtures that a
# binary's tests share through a OnceLock, such as the OCI layout of the image
# tests, were built by several processes at once and raced.)
phase "Rust tests (cargo test)" "${lint[@]}" cargo test "${build[@]}"
wait_beside() {
  local rc=0
  wait "$beside_pid" || rc=$?
  cat "$beside_log"
  [ "$rc" = 0 ] || echo "test.sh: scripts/test-beside.sh failed (log above: $beside_log)" >&2
  return "$rc"
}
phase "waiting for scripts/test-beside.sh" wait_beside
trap - EXIT
phase_times "scripts/test.sh"
