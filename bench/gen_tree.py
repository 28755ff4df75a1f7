#!/usr/bin/env python3
"""Writes a synthetic node_modules of N files: packages of 100 files each
(package.json, 4 directories of 24 small .js files, 3 files at the top)."""
import os
import sys

root, n = sys.argv[1], int(sys.argv[2])
os.makedirs(root, exist_ok=True)
written = 0
pkg = 0
while written < n:
    p = os.path.join(root, f"pkg-{pkg}")
    os.makedirs(p, exist_ok=True)
    with open(os.path.join(p, "package.json"), "w") as f:
        f.write('{"name": "pkg-%d", "version": "1.0.0"}\n' % pkg)
    written += 1
    for top in ("README.md", "LICENSE", "index.js"):
        if written >= n:
            break
        with open(os.path.join(p, top), "w") as f:
            f.write("// %s of pkg-%d\n" % (top, pkg))
        written += 1
    for d in ("lib", "src", "dist", "types"):
        sub = os.path.join(p, d)
        os.makedirs(sub, exist_ok=True)
        for j in range(24):
            if written >= n:
                break
            with open(os.path.join(sub, f"f{j}.js"), "w") as f:
                f.write("module.exports = %d;\n" % (pkg * 100 + j))
            written += 1
    pkg += 1
open(os.path.join(root, ".complete"), "w").close()
