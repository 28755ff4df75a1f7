#!/usr/bin/env python3
"""Figures of the Rust code under directories (default: the host's, host/src
and the src/ of its library crates), for reviews and closing notes, not a
gate:

  scripts/code-stats.py [DIR...] [--long N] [--list]

- functions longer than N lines (default 80), test code excluded (a
  `#[cfg(test)]` module to the end of its file, and files named tests.rs);
- `pub` items (`pub fn|struct|enum|trait|type|const|static|mod|use`) and
  `pub(crate)` ones;
- `unsafe` sites (blocks, fns, impls; comments excluded) and those without a
  `// SAFETY:` comment in the 8 lines above.

The parse is lexical (braces counted outside strings, chars and comments),
good enough for rustfmt-formatted code.
"""

import os
import re
import sys

FN = re.compile(r"^\s*(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?(extern\s+\"C\"\s+)?fn\s+(\w+)")
PUB = re.compile(r"^\s*pub\s+(fn|struct|enum|trait|type|const|static|mod|use|async fn|unsafe fn)\b")
PUB_CRATE = re.compile(r"^\s*pub\((crate|super|in [^)]*)\)\s+")
UNSAFE = re.compile(r"\bunsafe\b")


def strip_code(line, state):
    """The line without comments and string/char contents; `state` carries
    an open block comment or string across lines."""
    out = []
    i = 0
    while i < len(line):
        c = line[i]
        if state["block"]:
            if line.startswith("*/", i):
                state["block"] -= 1
                i += 2
            elif line.startswith("/*", i):
                state["block"] += 1
                i += 2
            else:
                i += 1
            continue
        if state["str"]:
            if c == "\\" and not state["raw"]:
                i += 2
                continue
            if c == '"' and line.startswith('"' + "#" * state["hashes"], i):
                state["str"] = False
                i += 1 + state["hashes"]
                out.append('""')
                continue
            i += 1
            continue
        if line.startswith("//", i):
            break
        if line.startswith("/*", i):
            state["block"] += 1
            i += 2
            continue
        m = re.match(r'(b?r)(#*)"', line[i:])
        if m and (i == 0 or not (line[i - 1].isalnum() or line[i - 1] == "_")):
            state.update(str=True, raw=True, hashes=len(m.group(2)))
            i += len(m.group(0))
            continue
        if c == '"':
            state.update(str=True, raw=False, hashes=0)
            i += 1
            continue
        if c == "'":
            m = re.match(r"'(\\.|\\u\{[0-9a-fA-F]+\}|\\x..|[^\\'])'", line[i:])
            if m:
                out.append("' '")
                i += len(m.group(0))
                continue
        out.append(c)
        i += 1
    return "".join(out)


def analyse(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    test_from = len(lines)
    if os.path.basename(path) == "tests.rs":
        test_from = 0
    for i, l in enumerate(lines):
        if l.strip() == "#[cfg(test)]" and i + 1 < len(lines) and "mod " in lines[i + 1]:
            test_from = i
            break
    state = {"block": 0, "str": False, "raw": False, "hashes": 0}
    code = [strip_code(l, state) for l in lines]
    fns, pubs, pub_crate, unsafes = [], 0, 0, []
    for i, c in enumerate(code[:test_from]):
        if PUB.match(c):
            pubs += 1
        if PUB_CRATE.match(c):
            pub_crate += 1
        if UNSAFE.search(c) and not re.search(r"unsafe_code|unsafe_op", c):
            above = "\n".join(lines[max(0, i - 8) : i + 1])
            unsafes.append((i + 1, "SAFETY:" in above))
        m = FN.match(c)
        if not m:
            continue
        # The body: from the first `{` after the signature to its match;
        # a `;` first means a declaration without a body.
        depth, start, end = 0, None, None
        for j in range(i, test_from):
            for ch in code[j]:
                if start is None and ch == ";" and depth == 0:
                    end = j
                    break
                if ch == "{":
                    depth += 1
                    start = j if start is None else start
                elif ch == "}":
                    depth -= 1
                    if depth == 0 and start is not None:
                        end = j
                        break
            if end is not None:
                break
        if start is not None and end is not None:
            fns.append((m.group(7), i + 1, end - i + 1))
    return fns, pubs, pub_crate, unsafes


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    long = 80
    if "--long" in sys.argv:
        long = int(sys.argv[sys.argv.index("--long") + 1])
        args = [a for a in args if a != str(long)]
    roots = args or [
        f"crates/{c}/src" for c in ("component", "base", "sandbox", "store", "remote", "image")
    ] + ["host/src"]
    listing = "--list" in sys.argv
    total_long, total_fns, total_pub, total_crate, total_unsafe, bare = 0, 0, 0, 0, 0, []
    long_fns = []
    walks = [w for root in roots for w in sorted(os.walk(root))]
    for d, _, files in walks:
        for name in sorted(files):
            if not name.endswith(".rs"):
                continue
            p = os.path.join(d, name)
            fns, pubs, crate, unsafes = analyse(p)
            total_fns += len(fns)
            total_pub += pubs
            total_crate += crate
            total_unsafe += len(unsafes)
            bare += [(p, l) for l, ok in unsafes if not ok]
            for f, line, n in fns:
                if n > long:
                    long_fns.append((n, f"{p}:{line}", f))
    long_fns.sort(reverse=True)
    print(f"{' '.join(roots)}: {total_fns} functions (non-test), {len(long_fns)} over {long} lines")
    print(f"pub items: {total_pub}; pub(crate)/pub(super)/pub(in): {total_crate}")
    print(f"unsafe sites: {total_unsafe}; without a SAFETY comment: {len(bare)}")
    if listing:
        for n, where, f in long_fns:
            print(f"  {n:4} {where} {f}")
        for p, l in bare:
            print(f"  unsafe without SAFETY: {p}:{l}")


if __name__ == "__main__":
    main()
