#!/usr/bin/env python3
"""Writes an npm app that installs offline: DIR/vendor/*.tgz, P local
packages of F files each (the size mix of gen_app.py, about 8 KiB per file),
packed as `npm pack` packs them, and DIR/package.json depending on them by
`file:vendor/...` tarball paths (inside the app, so its git checkout has
them). `npm install --offline` then writes the lock file
and `npm ci --offline` installs it again, as a real app's build does.
Deterministic.

Usage: gen_npm.py DIR [PACKAGES=50] [FILES=107]"""
import io
import json
import os
import random
import sys
import tarfile

root = sys.argv[1]
packages = int(sys.argv[2]) if len(sys.argv) > 2 else 50
files = int(sys.argv[3]) if len(sys.argv) > 3 else 107
rng = random.Random(7)


def size():
    r = rng.random()
    if r < 0.5:
        return rng.randint(100, 500)
    if r < 0.9:
        return rng.randint(500, 4096)
    if r < 0.995:
        return rng.randint(4096, 64 * 1024)
    return rng.randint(80 * 1024, 400 * 1024)


def add(tar, name, data):
    info = tarfile.TarInfo(f"package/{name}")
    info.size = len(data)
    info.mode = 0o644
    info.mtime = 499162500  # what `npm pack` writes (1985-10-26)
    tar.addfile(info, io.BytesIO(data))


os.makedirs(os.path.join(root, "vendor"), exist_ok=True)
deps = {}
for p in range(packages):
    name = f"pkg-{p}"
    tgz = os.path.join(root, "vendor", f"{name}-1.0.0.tgz")
    with tarfile.open(tgz, "w:gz") as tar:
        add(tar, "package.json", json.dumps({"name": name, "version": "1.0.0", "main": "lib/f0.js"}).encode())
        for j in range(files - 1):
            sub = ("lib", "src", "dist", "types")[j % 4]
            n = size()
            add(tar, f"{sub}/f{j}.js", rng.randbytes(n // 2 + 1).hex()[:n].encode())
    deps[name] = f"file:vendor/{name}-1.0.0.tgz"
with open(os.path.join(root, "package.json"), "w") as f:
    json.dump({"name": "app", "version": "1.0.0", "private": True, "dependencies": deps}, f, indent=2)
