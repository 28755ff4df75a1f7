#!/usr/bin/env bash
# Benchmark (issue 27): build images, each figure against its baseline in the
# same run.
#
# Usage: bench/images.sh [ZEROPS_CACHE_BINARY] [RUNS]
# (default binary: target/release/zerops-cache, else target/debug; 3 runs)
#
#  1 pull      `zerops-cache images pull` of the Debian minbase image (one
#              ~60 MB gzip layer, ~170 MB unpacked; scripts/fixtures/oci-images.sh)
#              from a docker-registry on 127.0.0.1, into an empty image store,
#              against `skopeo copy` to an OCI layout + `umoci unpack` of it
#              (median of RUNS each)                          target <= 1.0x
#  2 warm      the `image` phase (phases_us) of a warm build whose image is
#              present (resolve through the component, look up the store, no
#              network), median of RUNS                       target <= 5 ms
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-}"
if [ -z "$BIN" ]; then
  if [ -x target/release/zerops-cache ]; then BIN=$PWD/target/release/zerops-cache; else BIN=$PWD/target/debug/zerops-cache; fi
fi
BIN="$(realpath "$BIN")"
RUNS="${2:-3}"
layout="$(scripts/fixtures/oci-images.sh)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/zc-images.XXXXXX")"
cleanup() {
  [ -n "${REG_PID:-}" ] && kill "$REG_PID" 2>/dev/null || true
  chmod -R u+rwx "$WORK" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cat > "$WORK/registry.yml" <<YML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $WORK/registry
http:
  addr: 127.0.0.1:$port
YML
docker-registry serve "$WORK/registry.yml" >/dev/null 2>&1 &
REG_PID=$!
for _ in $(seq 200); do
  curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
  sleep 0.05
done
ref="127.0.0.1:$port/zc/debian:12"
skopeo --insecure-policy copy --quiet --dest-tls-verify=false "oci:$layout:debian-12" "docker://$ref"

now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

ours=() ; theirs=()
for i in $(seq "$RUNS"); do
  rm -rf "$WORK/store" "$WORK/oci" "$WORK/bundle"
  sync
  t0=$(now_ms)
  ZEROPS_CACHE_IMAGES="$WORK/store" "$BIN" images pull "$ref" >/dev/null
  t1=$(now_ms)
  skopeo --insecure-policy copy --quiet --src-tls-verify=false "docker://$ref" "oci:$WORK/oci:debian" >/dev/null
  umoci unpack --image "$WORK/oci:debian" "$WORK/bundle" >/dev/null 2>&1 \
    || umoci unpack --rootless --image "$WORK/oci:debian" "$WORK/bundle" >/dev/null
  t2=$(now_ms)
  ours+=($((t1 - t0))); theirs+=($((t2 - t1)))
done
o=$(printf '%s\n' "${ours[@]}" | median)
b=$(printf '%s\n' "${theirs[@]}" | median)
echo "1 pull      zerops-cache images pull ${o} ms; skopeo copy + umoci unpack ${b} ms; ratio $(awk "BEGIN{printf \"%.2f\", $o/$b}")x (target <= 1.0x)"

# 2: a project that builds on the pulled image; warm builds.
proj="$WORK/proj"
mkdir -p "$proj"
cat > "$proj/zerops.yaml" <<Y
zerops:
  - setup: app
    build:
      os: ubuntu
      base: ubuntu@24.04
      buildCommands:
        - echo hi > out.txt
      deployFiles: out.txt
Y
echo "ubuntu ubuntu@24.04 = $ref" > "$proj/.zerops-cache-images"
git -C "$proj" init -q && git -C "$proj" add -A && git -C "$proj" -c user.name=b -c user.email=b@x commit -qm b
export ZEROPS_CACHE_IMAGES="$WORK/store" ZEROPS_CACHE_DIR="$WORK/stores" ZEROPS_CACHE_CLEANUP=inline
( cd "$proj" && "$BIN" build --format json >/dev/null 2>&1 )
warm=()
for i in $(seq "$RUNS"); do
  us=$(cd "$proj" && "$BIN" build --format json 2>/dev/null | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["phases_us"]["image"])')
  warm+=("$us")
done
w=$(printf '%s\n' "${warm[@]}" | median)
echo "2 warm      image phase of a warm build $(awk "BEGIN{printf \"%.2f\", $w/1000}") ms (target <= 5 ms)"
