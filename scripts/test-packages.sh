#!/usr/bin/env bash
# Builds dist/ (scripts/package.sh) and tests what people install, as they
# install it (issue 31):
#   - the static binary: `ldd` finds no dynamic dependency, and it lints a
#     file inside a busybox root filesystem (chroot; unshare -r when not root)
#     exactly as the CLI does, from its embedded precompiled code;
#   - the completions load in bash (`complete -p zerops-cache`) and complete;
#   - the man pages render with `man -l`, without a warning;
#   - the npm tarball, installed with `npm install ./file.tgz` into an empty
#     project, answers as the CLI on the corpus, and its types pass tsc;
#   - the wheel, installed with pip into a fresh venv, answers as the CLI.
# Run by scripts/test.sh; `--no-static` skips the static binary (quicker, for
# working on the packages).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/package.sh "$@"
static=1
[ "${1:-}" = "--no-static" ] && static=0
cli="${ZEROPS_CACHE_BIN:-$PWD/target/debug/zerops-cache}"
version=$("$cli" --version | awk '{print $2}')
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "test-packages: FAIL: $*" >&2; exit 1; }
ok() { echo "test-packages: ok: $* [$SECONDS s]" >&2; }

if [ "$static" = 1 ]; then
  bin="$PWD/dist/zerops-cache-x86_64-unknown-linux-musl"
  # glibc's ldd says "not a dynamic executable" for a static binary and
  # "statically linked" for a static PIE; anything else names libraries.
  ldd_out=$(ldd "$bin" 2>&1 || true)
  case "$ldd_out" in
    *"not a dynamic executable"* | *"statically linked"*) ok "static binary: ldd: $(echo "$ldd_out" | head -1 | sed 's/^\s*//')" ;;
    *) fail "the static binary is dynamic: $ldd_out" ;;
  esac
  [ "$("$bin" --version)" = "zerops-cache $version (zerops:build-cache@$version)" ] \
    || fail "static binary --version: $("$bin" --version)"

  # A busybox root filesystem: busybox, the binary, a config. Nothing else:
  # no libc, no /etc, no cache directory.
  root="$tmp/rootfs"
  mkdir -p "$root/bin" "$root/work" "$root/tmp"
  cp "$(command -v busybox)" "$root/bin/busybox"
  ldd "$root/bin/busybox" >/dev/null 2>&1 && fail "busybox is not static (install busybox-static)"
  ln -s busybox "$root/bin/sh"
  cp "$bin" "$root/bin/zerops-cache"
  in_root() {
    if [ "$(id -u)" = 0 ]; then chroot "$root" "$@"; else unshare -r chroot "$root" "$@"; fi
  }
  compared=0
  for f in tests/corpus/zerops-yml/*.y*ml; do
    cp "$f" "$root/work/zerops.yaml"
    set +e
    inside=$(in_root /bin/sh -c 'cd /work && HOME=/work /bin/zerops-cache lint --no-tree --format json zerops.yaml')
    inside_code=$?
    outside=$(cd "$root/work" && "$cli" lint --no-tree --format json zerops.yaml)
    outside_code=$?
    set -e
    [ "$inside" = "$outside" ] || fail "in the busybox root, lint of $f differs:
  static: $inside
  cli:    $outside"
    [ "$inside_code" = "$outside_code" ] || fail "$f: exit $inside_code in the busybox root, $outside_code outside"
    compared=$((compared + 1))
  done
  [ "$compared" -ge 60 ] || fail "only $compared corpus files"
  # It ran the code embedded at build time: no compile, no cache written.
  info=$(in_root /bin/sh -c 'HOME=/work /bin/zerops-cache component info')
  grep -q "loaded from:    embedded precompiled code" <<<"$info" \
    || fail "the static binary did not load its embedded precompiled code: $info"
  [ -z "$(ls -A "$root/work" | grep -v '^zerops.yaml$')" ] || fail "the static binary wrote into HOME: $(ls -A "$root/work")"
  ok "static binary: lints $compared corpus files in a busybox root as the CLI does, from embedded code"
fi

# Completions: load in bash, and complete subcommands and flags.
bash --norc --noprofile -c '
  source dist/completions/zerops-cache.bash
  complete -p zerops-cache
  fn=$(complete -p zerops-cache | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
  COMP_WORDS=(zerops-cache li); COMP_CWORD=1; COMP_LINE="zerops-cache li"; COMP_POINT=${#COMP_LINE}
  "$fn" zerops-cache li zerops-cache
  printf "%s\n" "${COMPREPLY[@]}"
  COMP_WORDS=(zerops-cache lint --deny); COMP_CWORD=2; COMP_LINE="zerops-cache lint --deny"; COMP_POINT=${#COMP_LINE}
  "$fn" zerops-cache --deny lint
  printf "%s\n" "${COMPREPLY[@]}"
' > "$tmp/complete.out" 2>&1 || fail "bash completions: $(cat "$tmp/complete.out")"
grep -q '^complete .*zerops-cache$' "$tmp/complete.out" || fail "complete -p: $(cat "$tmp/complete.out")"
grep -qx 'lint' "$tmp/complete.out" || fail "no 'lint' for 'zerops-cache li': $(cat "$tmp/complete.out")"
grep -qx -- '--deny-warnings' "$tmp/complete.out" || fail "no '--deny-warnings' for 'lint --deny': $(cat "$tmp/complete.out")"
for f in _zerops-cache zerops-cache.fish _zerops-cache.ps1 zerops-cache.elv; do
  grep -q 'deny-warnings' "dist/completions/$f" || fail "dist/completions/$f lacks lint's flags"
done
ok "completions: bash loads them (complete -p) and completes subcommands and flags"

# Man pages: every page renders, without warnings from groff.
pages=0
for page in dist/man/*.1; do
  out=$(MANWIDTH=80 man --warnings -l "$page" 2>"$tmp/man.err") \
    || fail "man -l $page failed: $(cat "$tmp/man.err")"
  [ ! -s "$tmp/man.err" ] || fail "man -l $page warns: $(cat "$tmp/man.err")"
  grep -q '^NAME' <<<"$out" || fail "$page has no NAME section"
  pages=$((pages + 1))
done
main_page=$(MANWIDTH=80 man -l dist/man/zerops-cache.1 2>/dev/null)
for sub in lint build explain keys match completions man; do
  grep -q "zerops-cache-$sub(1)" <<<"$main_page" || fail "zerops-cache.1 does not list $sub"
  [ -f "dist/man/zerops-cache-$sub.1" ] || fail "no page for $sub"
done
[ "$("$cli" man)" = "$(cat dist/man/zerops-cache.1)" ] || fail "zerops-cache man differs from dist/man/zerops-cache.1"
ok "man: $pages pages render with man -l"

# npm: the tarball into an empty project (the test does the install).
ZEROPS_PACKAGE_TGZ="$PWD/dist/zerops-cache-policy-$version.tgz" ZEROPS_CACHE_BIN="$cli" \
  node --test packages/js/test/
ok "npm package"

# PyPI: the wheel into a fresh venv (wasmtime comes from PyPI, or pip's cache).
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  "dist/zerops_cache_policy-$version-py3-none-any.whl"
repo=$PWD
(cd "$tmp" && ZEROPS_CACHE_BIN="$cli" "$tmp/venv/bin/python" -m unittest discover \
  -s "$repo/packages/python/tests" -v)
ok "PyPI wheel"
