#!/usr/bin/env bash
# Benchmark (issue 13): what a warm build costs besides the user's commands,
# the disk of 10 versions, and the cleanup on the critical path of a rebuild,
# each against its baseline in the same run, on the same filesystem.
#
# Builds run with --isolation none: this measures the cache, not the container
# (bench/sandbox.sh does), and the synthetic tree lives in the host's /tmp.
#
# Usage: bench/pipeline.sh [ZEROPS_CACHE_BINARY] [FILES]
# (default binary: target/release/zerops-cache, else target/debug; 20000 files)
#
# The app: a git project with a few source files and `deployFiles: ./`, whose
# buildCommands copy a synthetic node_modules (bench/gen_app.py: FILES files,
# ~10 KiB average, ~200 MB for 20k) into place when it is missing, with
# `cache: [node_modules]`. Figures:
#   overhead   warm build duration minus prepare and build phases (median of 5)
#              against `cp -a` of the workspace (source + node_modules)
#   disk       `du -s` of versions/ (hard links counted once) after 10 builds
#              of the unchanged app, against `du -s` of one version
#   cleanup    the `cleanup` phase of the rebuild after `invalidate` (old layers
#              go to the trash by rename; a detached cleaner deletes them)
#              against `rm -rf` of a copy of that layer
set -euo pipefail
# The builds run on the host's own root (as before images were pulled):
# these benchmarks measure the cache, not a registry.
export ZEROPS_CACHE_IMAGE="${ZEROPS_CACHE_IMAGE:-host}"
cd "$(dirname "$0")/.."
BIN="${1:-}"
if [ -z "$BIN" ]; then
  if [ -x target/release/zerops-cache ]; then BIN=$PWD/target/release/zerops-cache; else BIN=$PWD/target/debug/zerops-cache; fi
fi
N="${2:-20000}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/zc-pipe.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export ZEROPS_CACHE_DIR="$WORK/store"
export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.com GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@example.com

now_ns() { date +%s%N; }
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
field() { python3 -c 'import json,sys; d=json.loads(sys.stdin.read().strip().splitlines()[-1]); print(eval(sys.argv[1], {}, {"d": d}))' "$1"; }

python3 bench/gen_app.py "$WORK/tree" "$N"
P="$WORK/app"
mkdir -p "$P/src"
for i in $(seq 50); do echo "export const x$i = $i;" > "$P/src/m$i.js"; done
echo '{"name":"app"}' > "$P/package.json"
cat > "$P/zerops.yaml" <<YAML
zerops:
  - setup: app
    build:
      base: nodejs@22
      prepareCommands: [ "true" ]
      buildCommands:
        - "[ -d node_modules ] || cp -a $WORK/tree node_modules"
      deployFiles: ./
      cache: [node_modules]
YAML
git -C "$P" init -q && git -C "$P" add -A && git -C "$P" commit -qm app

build() { (cd "$P" && "$BIN" build --isolation none --format json 2>/dev/null); }
build > /dev/null   # cold: seeds the cache
over=() ; arts=()
for _ in 1 2 3 4 5; do
  j=$(build)
  over+=("$(echo "$j" | field 'd["duration_ms"] - d["phases"].get("prepare", 0) - d["phases"].get("build", 0)')")
  arts+=("$(echo "$j" | field 'd["phases"]["artifact"]')")
done
# Baseline: cp -a of the workspace (what the artifact copies).
mkdir -p "$WORK/ws" && cp -a "$P/src" "$P/package.json" "$P/zerops.yaml" "$WORK/ws/" && cp -a "$WORK/tree" "$WORK/ws/node_modules"
t=$(now_ns); cp -a "$WORK/ws" "$WORK/ws-copy"; sync; CP_MS=$(( ($(now_ns) - t) / 1000000 ))
rm -rf "$WORK/ws-copy"
OVER=$(median "${over[@]}"); ART=$(median "${arts[@]}")

# Disk: 10 versions of the unchanged app (builds 1..6 done; 4 more).
for _ in 1 2 3 4; do build > /dev/null; done
S=$(ls -d "$ZEROPS_CACHE_DIR"/*/app)
ONE_KB=$(du -sk "$S/versions/$(cat "$S/versions/active")" | cut -f1)
ALL_KB=$(du -sk "$S/versions" | cut -f1)
NV=$(ls -d "$S"/versions/[0-9]* | grep -cv json)

# Cleanup on the critical path: invalidate, then rebuild (both layers go).
(cd "$P" && "$BIN" invalidate > /dev/null)
j=$(build)
CLEAN=$(echo "$j" | field 'd["phases"].get("cleanup", 0)')
cp -a "$S/cache" "$WORK/layer-copy"; sync
t=$(now_ns); rm -rf "$WORK/layer-copy"; RM_MS=$(( ($(now_ns) - t) / 1000000 ))

echo "files: $N ($(du -sh "$WORK/tree" | cut -f1)), binary: $BIN"
printf '%-34s %10s %10s %8s\n' measure zerops-cache baseline ratio
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.3f}' if b else 'n/a')" "$1" "$2"; }
printf '%-34s %8s ms %7s ms %8s\n' "warm overhead vs cp -a+sync" "$OVER" "$CP_MS" "$(ratio "$OVER" "$CP_MS")"
printf '%-34s %8s ms %10s %8s\n' "  of which artifact" "$ART" "" ""
printf '%-34s %7s KiB %6s KiB %8s\n' "disk: $NV versions vs one" "$ALL_KB" "$ONE_KB" "$(ratio "$ALL_KB" "$ONE_KB")"
printf '%-34s %8s ms %7s ms %8s\n' "cleanup after invalidate vs rm -rf" "$CLEAN" "$RM_MS" "$(ratio "$CLEAN" "$RM_MS")"
