#!/usr/bin/env bash
# CI for the web page and the Node example: installs the npm packages (npm ci,
# skipped when node_modules already matches the lock file), builds web/dist and
# examples/node/gen from the zerops-cache binary's component, and runs the
# browser tests (Debian chromium, headless, via playwright-core) and the Node
# example's tests with node's test runner.
#
#   ZEROPS_CACHE_BIN   the binary whose component is used (default: target/debug/zerops-cache,
#                      built with `cargo build -p zerops-cache` when unset)
#   ZEROPS_COMPONENT   use this .wasm component instead of exporting one
#   ZEROPS_CORPUS      corpus directory (default: <repo>/tests/corpus/zerops-yml)
#   CHROMIUM_PATH      browser binary (default: /usr/bin/chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

if [ -z "${ZEROPS_CACHE_BIN:-}" ] && [ -z "${ZEROPS_COMPONENT:-}" ]; then
  echo "== cargo build -p zerops-cache"
  cargo build --locked -p zerops-cache
  export ZEROPS_CACHE_BIN="$repo/target/debug/zerops-cache"
fi
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  echo "web/ci.sh: $chromium is missing: apt-get install chromium (or set CHROMIUM_PATH)" >&2
  exit 2
fi

npm_ci() {
  # npm ci wipes node_modules; skip it when the installed tree matches the lock.
  if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
    echo "node_modules up to date in $PWD"
  else
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

echo "== web: npm ci, build [$SECONDS s]"
(cd web && npm_ci && npm run --silent build)
echo "== web: browser tests (node --test) [$SECONDS s]"
(cd web && node --test test/*.test.mjs)

echo "== examples/node: npm ci, build, tests [$SECONDS s]"
(cd examples/node && npm_ci && npm run --silent build && node --test test/*.test.mjs)
echo "== examples/node: lint a file from the command line [$SECONDS s]"
(cd examples/node && node lint.mjs "$repo/examples/hello/zerops.yaml")
