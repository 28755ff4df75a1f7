#!/usr/bin/env bash
# Benchmark: the build container's overhead.
#  1. per command: a build whose buildCommands are N items of `true`, in the
#     container and with --isolation none (the `build` phase / N), against
#     N plain `sh -c true` in the same run (target: container ≤ 20 ms per
#     command);
#     and the same in the container with --network none and (with pasta)
#     --network private;
#  2. where a container command's setup time goes: the steps the container's
#     init reports with ZEROPS_CACHE_SANDBOX_TIMING (median of N commands);
#  3. a warm build of examples/hello in the container against
#     --isolation none (duration_ms, median of 5).
#
# Usage: [AS_USER=NAME] bench/sandbox.sh [ZEROPS_CACHE_BINARY] [N]
# (default binary: target/release/zerops-cache, else target/debug; N 20)
# Needs what a container build needs (root, or unprivileged user namespaces).
set -euo pipefail
# The builds run on the host's own root (as before images were pulled):
# these benchmarks measure the cache, not a registry.
export ZEROPS_CACHE_IMAGE="${ZEROPS_CACHE_IMAGE:-host}"
# AS_USER=NAME (when run as root): the whole benchmark as that unprivileged
# user, i.e. the rootless container (with subordinate ids when /etc/subuid
# and /etc/subgid give NAME a range; see the README).
if [ -n "${AS_USER:-}" ] && [ "$(id -u)" = 0 ]; then
  home="$(mktemp -d "${TMPDIR:-/tmp}/zc-bench-home.XXXXXX")"
  chown "$AS_USER" "$home"
  rc=0
  setpriv --reuid="$AS_USER" --regid="$(id -g "$AS_USER")" --clear-groups \
    env -u AS_USER HOME="$home" TMPDIR="$home" bash "$0" "$@" || rc=$?
  rm -rf "$home"
  exit $rc
fi
cd "$(dirname "$0")/.."
BIN="${1:-}"
if [ -z "$BIN" ]; then
  if [ -x target/release/zerops-cache ]; then BIN=$PWD/target/release/zerops-cache; else BIN=$PWD/target/debug/zerops-cache; fi
fi
N="${2:-20}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/zc-bench-sandbox.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export ZEROPS_CACHE_DIR="$WORK/store"
export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.com GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@example.com

median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
field() { # json-line key [subkey]
  python3 -c '
import json,sys
d=json.loads(sys.stdin.read().strip().splitlines()[-1])
for k in sys.argv[1:]: d=d.get(k, -1) if isinstance(d, dict) else -1
print(d)' "$@"
}

echo "binary: $BIN"
# 1. Per command.
P="$WORK/true"
mkdir -p "$P"
{
  echo "zerops:"
  echo "  - setup: app"
  echo "    build:"
  echo "      buildCommands:"
  for _ in $(seq "$N"); do echo "        - \"true\""; done
  echo "      deployFiles: ./"
} > "$P/zerops.yaml"
git -C "$P" init -q && git -C "$P" add -A && git -C "$P" commit -qm b
NET_NONE=0 NET_PRIVATE=0
help="$("$BIN" build --help)"
case "$help" in *--network*) NET_NONE=1 ;; esac
case "$help" in *private*) command -v pasta >/dev/null && NET_PRIVATE=1 ;; esac
for mode in container none container-net-none container-net-private; do
  case "$mode" in
    container-net-none) [ "$NET_NONE" = 1 ] || continue; flags=(--isolation container --network none) ;;
    container-net-private) [ "$NET_PRIVATE" = 1 ] || continue; flags=(--isolation container --network private) ;;
    *) flags=(--isolation "$mode") ;;
  esac
  "$BIN" build -C "$P" "${flags[@]}" --format json >/dev/null 2>&1 # warm up
  runs=() once=() dur=()
  for _ in 1 2 3 4 5; do
    json=$("$BIN" build -C "$P" "${flags[@]}" --format json 2>/dev/null)
    runs+=("$(field phases_us build <<<"$json")")
    # Once per build: the container's probe (and, since the holders, the
    # start of the pod and of the first filesystem).
    once+=("$(field phases_us sandbox <<<"$json")")
    dur+=("$(field duration_ms <<<"$json")")
  done
  m=$(median "${runs[@]}")
  printf 'per command, %-21s: %6.2f ms  (build phase %d us / %d commands, median of 5; sandbox phase %.2f ms, whole build %d ms)\n' \
    "$mode" "$(echo "$m / $N / 1000" | bc -l)" "$m" "$N" "$(echo "$(median "${once[@]}") / 1000" | bc -l)" "$(median "${dur[@]}")"
done
t0=$(date +%s%N)
for _ in $(seq "$N"); do sh -c true; done
t1=$(date +%s%N)
printf 'per command, %-21s: %6.2f ms  (%d runs)\n' "sh -c true" "$(echo "($t1 - $t0) / $N / 1000000" | bc -l)" "$N"

# 2. The container's setup steps (binaries that report them).
ZEROPS_CACHE_SANDBOX_TIMING=1 "$BIN" build -C "$P" --format json 2>"$WORK/timing" >/dev/null || true
if grep -q 'sandbox timing:' "$WORK/timing"; then
  python3 - "$WORK/timing" <<'PY'
import re, statistics, sys
steps = {}
for line in open(sys.argv[1]):
    if 'sandbox timing:' not in line:
        continue
    for name, us in re.findall(r'(\S+)=(\d+)us', line):
        steps.setdefault(name, []).append(int(us))
total = 0
for name, v in steps.items():
    m = statistics.median(v)
    total += m
    print(f"  setup step {name:16}: {m / 1000:6.3f} ms (median of {len(v)})")
print(f"  setup steps in all     : {total / 1000:6.3f} ms (then exec of /bin/sh and its run)")
PY
fi

# 3. A warm build of examples/hello.
H="$WORK/hello"
cp -r examples/hello "$H"
git -C "$H" init -q && git -C "$H" add -A && git -C "$H" commit -qm b
for iso in container none; do
  "$BIN" build -C "$H" --isolation "$iso" --format json >/dev/null 2>&1 # cold
  runs=()
  for _ in 1 2 3 4 5; do
    runs+=("$("$BIN" build -C "$H" --isolation "$iso" --format json 2>/dev/null | field duration_ms)")
  done
  printf 'warm examples/hello, %-9s: %5d ms (median of 5: %s)\n' "$iso" "$(median "${runs[@]}")" "${runs[*]}"
done
