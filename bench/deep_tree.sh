#!/usr/bin/env bash
# Benchmark (issue 26): a deep tree costs in proportion to its entries, not
# to depth squared. Two git apps of 2,000 directories with one file each,
# `deployFiles: ./`: one nested 2,000 levels deep (d/d/d/.../f), one flat
# (d0/f ... d1999/f). Figure: the warm build's own phases (workspace,
# restore, artifact, preserve, commit, view), median of 5, nested against
# flat. Target <= 1.2x. The `git` phase (git ls-files listing the
# git-visible files, which walks the tree by paths from the top) is
# printed on its own, and the ratio with it.
#
# Usage: bench/deep_tree.sh [ZEROPS_CACHE_BINARY] [DIRS]
# (default binary: target/release/zerops-cache, else target/debug; 2000)
# Builds run with --isolation none (the cache, not the container).
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
N="${2:-2000}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/zc-deep.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export ZEROPS_CACHE_ARTIFACTS="$WORK/artifacts" ZEROPS_CACHE_CLEANUP=inline
export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.com GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@example.com

gen() {
  python3 - "$1" "$N" "$2" <<'PY'
import os, sys
kind, n, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(root)
os.chdir(root)
with open("zerops.yaml", "w") as f:
    f.write("zerops:\n  - setup: app\n    build:\n      buildCommands:\n        - 'true'\n"
            "      deployFiles: ./\n      cache: false\n")
for i in range(n):
    # Nested: one level down each time (chdir: the path outgrows PATH_MAX).
    d = "d" if kind == "nested" else f"d{i}"
    os.mkdir(d)
    with open(os.path.join(d, "f"), "w") as f:
        f.write(str(i))
    if kind == "nested":
        os.chdir(d)
PY
  (cd "$2" && git init -q && git add -A && git commit -qm app)
}

median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
# The cache's own phases of one build, and git's (ms, to the microsecond),
# from its JSON summary: "OWN GIT".
phases() {
  python3 -c 'import json,sys; d=json.loads(sys.stdin.read().strip().splitlines()[-1]); p=d["phases_us"]; print("%.1f %.1f" % (sum(p.get(k,0) for k in ("workspace","restore","artifact","preserve","commit","view"))/1000, p.get("git",0)/1000))'
}

declare -A MS GIT
for kind in nested flat; do
  gen "$kind" "$WORK/$kind"
  own=() git=()
  (cd "$WORK/$kind" && "$BIN" build --isolation none --store "$WORK/store-$kind" --format json >/dev/null)
  for _ in 1 2 3 4 5; do
    read -r o g < <(cd "$WORK/$kind" && "$BIN" build --isolation none --store "$WORK/store-$kind" --format json | phases)
    own+=("$o") git+=("$g")
  done
  MS[$kind]="$(median "${own[@]}")"
  GIT[$kind]="$(median "${git[@]}")"
  echo "$kind: ${own[*]} ms (median ${MS[$kind]} ms); git: ${git[*]} ms (median ${GIT[$kind]} ms)"
done
python3 - "${MS[nested]}" "${MS[flat]}" "${GIT[nested]}" "${GIT[flat]}" <<'PY'
import sys
n, f, gn, gf = map(float, sys.argv[1:])
r = n / f
print(f"nested/flat = {r:.2f}x (target <= 1.2x: {'ok' if r <= 1.2 else 'MISSED'})")
print(f"with git's listing: {(n + gn) / (f + gf):.2f}x (git: {gn:.1f} against {gf:.1f} ms)")
PY
