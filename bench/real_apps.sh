#!/usr/bin/env bash
# Benchmark (issue 29, "Done when"): the real-app costs of warm builds, each
# against its baseline measured in the same run on the same filesystem.
#
# Usage: bench/real_apps.sh [ZEROPS_CACHE_BINARY] [APP_FILES] [LINES]
# (default binary: target/release/zerops-cache, else target/debug;
#  20000 app files, 3000000 lines)
#
#  7 prune     the `cleanup` phase of builds 3-5 (median) of the 20k-file app
#              (bench/gen_app.py, new bytes every build, so each version has
#              its own 20k objects) with --keep-versions 2, against `rm -rf`
#              of one exported version                             target <= 0.05x
#  8 output    the `build` phase of a build whose command prints LINES lines
#              (`seq`), the output to a file, against `sh -c 'seq LINES' |
#              sed 's/^/  /'` to a file (wall time), median of 3   target <= 1.5x
#  9 npm ci    10 builds of an app installed by a real `npm ci --offline`
#              (bench/gen_npm.py: 50 local tarball packages in the repository,
#              ~5,350 files),
#              `deployFiles: ./`: `du -s` of versions/ against one exported
#              copy                                                target <= 1.2x
#              and the artifact phase (median of builds 2-10) against
#              `cp -a` of the built workspace                     target <= 0.1x
#
# Builds run with --isolation none (the cache, not the container); the trees
# live in $TMPDIR (default /tmp).
set -euo pipefail
# The builds run on the host's own root (as before images were pulled):
# these benchmarks measure the cache, not a registry.
export ZEROPS_CACHE_IMAGE="${ZEROPS_CACHE_IMAGE:-host}"
cd "$(dirname "$0")/.."
BIN="${1:-}"
if [ -z "$BIN" ]; then
  if [ -x target/release/zerops-cache ]; then BIN=$PWD/target/release/zerops-cache; else BIN=$PWD/target/debug/zerops-cache; fi
fi
BIN="$(realpath "$BIN")"
N="${2:-20000}"
LINES="${3:-3000000}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/zc-real.XXXXXX")"
trap 'chmod -R u+rwx "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
export ZEROPS_CACHE_DIR="$WORK/store"
export ZEROPS_CACHE_ARTIFACTS="$WORK/artifacts"
export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.com GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@example.com
GEN="$PWD/bench/gen_app.py"

now_ns() { date +%s%N; }
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
field() { python3 -c 'import json,sys; d=json.loads(sys.stdin.read().strip().splitlines()[-1]); print(eval(sys.argv[1], {}, {"d": d}))' "$1"; }
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.3f}' if b else 'n/a')" "$1" "$2"; }
verdict() { python3 -c "import sys; print('ok' if float(sys.argv[1]) <= float(sys.argv[2]) else 'MISSED')" "$1" "$2"; }
settle() { for _ in $(seq 120); do pgrep -f "$BIN __empty-trash" > /dev/null || break; sleep 1; done; sync; }
new_app() { mkdir -p "$1" && git -C "$1" init -q; cat > "$1/zerops.yaml"; echo "x" > "$1/README"; git -C "$1" add -A && git -C "$1" commit -qm app; }

# --- 7: pruning with --keep-versions 2 -----------------------------------------
P="$WORK/prune"
new_app "$P" <<YAML
zerops:
  - setup: app
    build:
      buildCommands:
        - rm -rf node_modules && python3 $GEN node_modules $N \$(date +%s%N)
      deployFiles: ./
      cache: false
YAML
clean=()
for i in 1 2 3 4 5; do
  settle
  j=$(cd "$P" && "$BIN" build --isolation none --keep-versions 2 --format json 2>/dev/null)
  [ "$i" -ge 3 ] && clean+=("$(echo "$j" | field 'd["phases_us"]["cleanup"]')")
done
S=$(echo "$j" | field 'd["store"]')
"$BIN" versions -C "$P" export "$(cat "$S/versions/active")" "$WORK/one-version" > /dev/null
settle
t=$(now_ns); rm -rf "$WORK/one-version"; RM_MS=$(( ($(now_ns) - t) / 1000000 ))
CLEAN=$(python3 -c "print(f'{$(median "${clean[@]}")/1000:.1f}')")

# --- 8: 3 million lines of output ----------------------------------------------
O="$WORK/output"
new_app "$O" <<YAML
zerops:
  - setup: app
    build:
      buildCommands:
        - seq $LINES
      deployFiles: README
      cache: false
YAML
outs=(); seds=()
for _ in 1 2 3; do
  j=$(cd "$O" && "$BIN" build --isolation none --format json 2> "$WORK/out.txt")
  outs+=("$(echo "$j" | field 'd["phases_us"]["build"]')")
  t=$(now_ns); sh -c "seq $LINES" | sed 's/^/  /' > "$WORK/sed.txt"; seds+=("$(( ($(now_ns) - t) / 1000 ))")
done
GOT=$(grep -c '^  [0-9]' "$WORK/out.txt")
OUT_MS=$(python3 -c "print(f'{$(median "${outs[@]}")/1000:.1f}')")
SED_MS=$(python3 -c "print(f'{$(median "${seds[@]}")/1000:.1f}')")
rm -f "$WORK/out.txt" "$WORK/sed.txt"

# --- 9: 10 versions of an npm ci app -------------------------------------------
A="$WORK/npm"
python3 bench/gen_npm.py "$A"
(cd "$A" && npm install --offline --no-audit --no-fund > /dev/null 2>&1)
rm -rf "$A/node_modules"
new_app "$A" <<YAML
zerops:
  - setup: app
    build:
      buildCommands:
        - npm ci --offline --no-audit --no-fund
      deployFiles: ./
      cache: false
YAML
arts=()
for i in $(seq 10); do
  j=$(cd "$A" && "$BIN" build --isolation none --format json 2>/dev/null)
  [ "$i" -ge 2 ] && arts+=("$(echo "$j" | field 'd["phases_us"]["artifact"]')")
done
NPM_FILES=$(echo "$j" | field 'd["artifact_files"]'); NPM_LINKED=$(echo "$j" | field 'd["artifact_linked"]')
SA=$(echo "$j" | field 'd["store"]')
"$BIN" versions -C "$A" export 10 "$WORK/npm-one" > /dev/null
ONE_KB=$(du -sk "$WORK/npm-one" | cut -f1)
ALL_KB=$(du -sk "$SA/versions" | cut -f1)
NV=$(find "$SA/versions" -mindepth 1 -maxdepth 1 -type f -name '[0-9]*.json' | wc -l)
# The baseline: cp -a of the workspace as the build left it.
cp -a "$A" "$WORK/npm-ws" && (cd "$WORK/npm-ws" && npm ci --offline --no-audit --no-fund > /dev/null 2>&1)
settle
cps=()
for _ in 1 2 3; do
  t=$(now_ns); cp -a "$WORK/npm-ws" "$WORK/npm-copy"; cps+=("$(( ($(now_ns) - t) / 1000 ))")
  rm -rf "$WORK/npm-copy"; sync
done
ART_MS=$(python3 -c "print(f'{$(median "${arts[@]}")/1000:.1f}')")
CP_MS=$(python3 -c "print(f'{$(median "${cps[@]}")/1000:.1f}')")

# --- report --------------------------------------------------------------------
echo
echo "binary: $BIN"
echo "prune app: $N files, new bytes every build; npm app: $NPM_FILES files ($(du -sh "$WORK/npm-one" | cut -f1)), $NPM_LINKED shared with the previous version"
printf '%-48s %12s %14s %8s %8s %s\n' figure zerops-cache baseline ratio target ""
printf '%-48s %9s ms %11s ms %8s %8s %s\n' "7 cleanup, --keep-versions 2, vs rm -rf" "$CLEAN" "$RM_MS" "$(ratio "$CLEAN" "$RM_MS")" "0.05" "$(verdict "$(ratio "$CLEAN" "$RM_MS")" 0.05)"
echo "    each cleanup, builds 3-5 (us): ${clean[*]}"
printf '%-48s %9s ms %11s ms %8s %8s %s\n' "8 $LINES lines vs sh | sed to a file" "$OUT_MS" "$SED_MS" "$(ratio "$OUT_MS" "$SED_MS")" "1.5" "$(verdict "$(ratio "$OUT_MS" "$SED_MS")" 1.5)"
echo "    lines relayed: $GOT of $LINES; each build phase (us): ${outs[*]}; each sed (us): ${seds[*]}"
printf '%-48s %8s KiB %10s KiB %8s %8s %s\n' "9 npm ci disk: $NV versions vs one copy" "$ALL_KB" "$ONE_KB" "$(ratio "$ALL_KB" "$ONE_KB")" "1.2" "$(verdict "$(ratio "$ALL_KB" "$ONE_KB")" 1.2)"
printf '%-48s %9s ms %11s ms %8s %8s %s\n' "  npm ci artifact phase vs cp -a" "$ART_MS" "$CP_MS" "$(ratio "$ART_MS" "$CP_MS")" "0.1" "$(verdict "$(ratio "$ART_MS" "$CP_MS")" 0.1)"
echo "    each artifact phase, builds 2-10 (us): ${arts[*]}"
