#!/usr/bin/env python3
"""Writes a synthetic app tree of N files with real-world sizes: node_modules
packages of 100 files (p50 ~ 500 B, p90 ~ 4 KiB, 1% of 80 KiB-2 MiB), about
10 KiB per file on average (20k files ~ 200 MB). Deterministic: the same
SEED (third argument, default 42) writes the same bytes."""
import os
import random
import sys

root, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 42)
os.makedirs(root, exist_ok=True)


def size():
    r = rng.random()
    if r < 0.5:
        return rng.randint(100, 500)
    if r < 0.9:
        return rng.randint(500, 4096)
    if r < 0.99:
        return rng.randint(4096, 64 * 1024)
    return rng.randint(80 * 1024, 2 * 1024 * 1024)


written = 0
pkg = 0
while written < n:
    for d in ("lib", "src", "dist", "types"):
        os.makedirs(os.path.join(root, f"pkg-{pkg}", d), exist_ok=True)
    for j in range(100):
        if written >= n:
            break
        sub = ("lib", "src", "dist", "types")[j % 4]
        with open(os.path.join(root, f"pkg-{pkg}", sub, f"f{j}.js"), "wb") as f:
            f.write(rng.randbytes(size()))
        written += 1
    pkg += 1
