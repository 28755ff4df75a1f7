#!/usr/bin/env bash
# Benchmark: restore and preserve of a synthetic node_modules (10k and 100k
# files), without conflicts and with 1% of its paths also in the source
# (tracked in git), against `tar -cf`, `tar -xf` and `cp -a` of the same
# tree, in the same run and on the same filesystem.
#
# Usage: bench/restore_preserve.sh [ZEROPS_CACHE_BINARY] [SIZES...]
# (default binary: target/release/zerops-cache, else target/debug; sizes 10000 100000)
# Restore/preserve times are the phases the binary reports (`phases_us` of
# `build --format json`), the median of 5 warm builds; they include the
# component's per-directory decisions, the journal write (fsync) and the
# renames.
set -euo pipefail
# The builds run on the host's own root (as before images were pulled):
# these benchmarks measure the cache, not a registry.
export ZEROPS_CACHE_IMAGE="${ZEROPS_CACHE_IMAGE:-host}"
cd "$(dirname "$0")/.."
BIN="${1:-}"
if [ -z "$BIN" ]; then
  if [ -x target/release/zerops-cache ]; then BIN=$PWD/target/release/zerops-cache; else BIN=$PWD/target/debug/zerops-cache; fi
fi
shift || true
SIZES=("${@:-10000 100000}")
# shellcheck disable=SC2206
SIZES=(${SIZES[*]})
WORK="$(mktemp -d "${TMPDIR:-/tmp}/zc-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export ZEROPS_CACHE_DIR="$WORK/store"
export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.com GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@example.com
BENCH_DIR="$PWD/bench"

ms() { date +%s%N; }
elapsed_ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }

phase_us() { # json phase
  python3 -c 'import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])["phases_us"].get(sys.argv[1], -1))' "$1"
}

printf '%-7s %-9s %12s %12s %10s %10s %10s %12s %12s\n' files conflicts restore_ms preserve_ms tar_c_ms tar_x_ms cp_a_ms 'tar_x/rest' 'tar_c/pres'
for N in "${SIZES[@]}"; do
  TREE="$WORK/tree-$N"
  python3 "$BENCH_DIR/gen_tree.py" "$TREE" "$N"
  # Baselines on the same tree, same filesystem.
  t=$(ms); tar -cf "$WORK/nm-$N.tar" -C "$TREE" .; TAR_C=$(elapsed_ms "$t")
  mkdir "$WORK/x-$N"; t=$(ms); tar -xf "$WORK/nm-$N.tar" -C "$WORK/x-$N"; TAR_X=$(elapsed_ms "$t")
  t=$(ms); cp -a "$TREE" "$WORK/cp-$N"; CP_A=$(elapsed_ms "$t")
  rm -rf "$WORK/x-$N" "$WORK/cp-$N" "$WORK/nm-$N.tar"
  for CONFLICT in 0 1; do
    P="$WORK/p-$N-$CONFLICT"
    mkdir -p "$P"
    cat > "$P/zerops.yaml" <<YAML
zerops:
  - setup: app
    build:
      buildCommands:
        - '[ -f node_modules/.complete ] || { mkdir -p node_modules && cp -a $TREE/. node_modules/; }'
      deployFiles: zerops.yaml
      cache: [node_modules]
YAML
    git -C "$P" init -q
    if [ "$CONFLICT" = 1 ]; then
      # 1% of the files, spread evenly, committed to git: restore must
      # descend and skip them (source wins).
      (cd "$TREE" && find . -type f ! -name .complete | sort | awk 'NR % 100 == 1') | while read -r f; do
        mkdir -p "$P/node_modules/$(dirname "$f")"
        cp "$TREE/$f" "$P/node_modules/$f"
      done
    fi
    git -C "$P" add -A && git -C "$P" commit -qm init
    (cd "$P" && "$BIN" build --isolation none --format json >/dev/null 2>&1)   # seeds the cache
    R=(); S=()
    for _ in 1 2 3 4 5; do
      out=$(cd "$P" && "$BIN" build --isolation none --format json 2>/dev/null)
      R+=("$(echo "$out" | phase_us restore)")
      S+=("$(echo "$out" | phase_us preserve)")
    done
    RU=$(median "${R[@]}"); SU=$(median "${S[@]}")
    printf '%-7s %-9s %12.3f %12.3f %10s %10s %10s %12.0f %12.0f\n' "$N" "$([ "$CONFLICT" = 1 ] && echo 1% || echo none)" \
      "$(echo "$RU / 1000" | bc -l)" "$(echo "$SU / 1000" | bc -l)" "$TAR_C" "$TAR_X" "$CP_A" \
      "$(echo "$TAR_X * 1000 / $RU" | bc -l)" "$(echo "$TAR_C * 1000 / $SU" | bc -l)"
  done
done
