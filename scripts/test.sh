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
times=()
phase() { # phase NAME COMMAND...: runs COMMAND, logs and keeps its wall time
  local name=$1 t=$SECONDS
  shift
  echo "== $name"
  "$@"
  times+=("$name: $((SECONDS - t)) s")
  echo "== time: $name: $((SECONDS - t)) s"
}
phase "setup (scripts/setup.sh)" scripts/setup.sh
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# The static binary of scripts/package.sh (a cold optimized build, the
# longest step) compiles at the lowest priority from the start, in its own
# process group: it takes what the debug build and the tests leave of the
# cores (links, tests waiting on processes, servers and a browser).
mkdir -p target
static_log=target/build-static.log
static_start=$SECONDS
setsid nice -n 19 scripts/build-static.sh > "$static_log" 2>&1 &
static_pid=$!
trap 'kill -- -"$static_pid" 2>/dev/null || true' EXIT
# One debug build serves every phase: the tests' (their dev-dependencies
# turn on features of shared crates, so a plain `cargo build` first would
# compile those crates and everything above them twice). The binary with
# exactly its own features is the static build's.
phase "the debug build of the tests${lint:+ (and clippy)}" "${lint[@]}" \
  cargo test --locked --workspace --exclude zerops-cache-guest --all-targets --no-run
bin="$PWD/target/debug/zerops-cache"
# The Rust tests through cargo test: one process per test binary, its tests
# on threads. (Under cargo nextest, one process per test, fixtures that a
# binary's tests share through a OnceLock, such as the OCI layout of the image
# tests, were built by several processes at once and raced.)
phase "Rust tests (cargo test)" "${lint[@]}" \
  cargo test --locked --workspace --exclude zerops-cache-guest
phase "examples/python" \
  env ZEROPS_CACHE_BIN="$bin" python3 -m unittest discover -s examples/python -v
if [ -x web/ci.sh ]; then
  phase "web/ci.sh (browser tests, examples/node)" env ZEROPS_CACHE_BIN="$bin" web/ci.sh
fi
wait_static() {
  if ! wait "$static_pid"; then
    cat "$static_log" >&2
    echo "test.sh: the static build failed" >&2
    return 1
  fi
  tail -1 "$static_log"
  echo "the static build ended $((SECONDS - static_start)) s after it started"
}
phase "waiting for the static binary (scripts/build-static.sh, log: $static_log)" wait_static
trap - EXIT
# What people install (issue 31): scripts/package.sh builds dist/ (the static
# musl binary, completions, man pages, the npm and PyPI packages, the crates)
# and each is tested as it is installed.
phase "scripts/test-packages.sh" env ZEROPS_CACHE_BIN="$bin" scripts/test-packages.sh
printf '== time: %s\n' "${times[@]}" "scripts/test.sh: $SECONDS s"
