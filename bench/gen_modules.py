#!/usr/bin/env python3
"""Writes a synthetic node_modules with real-world file sizes (bench/remote.sh):
N files in packages of ~60, sizes log-normal with a median of 500 B and a p90
of ~4 KiB, 1% of the files 80 KiB to 2 MiB; JS-like text (zstd -3 packs it
about 3-4x); ~20% of the files are the same LICENSE/README contents, as in a
real install. Deterministic. With CHANGE=1, every 100th file gets one more
line (1% of the files change).

Usage: gen_modules.py DIR N CHANGE
"""
import math
import os
import random
import sys

root, n, change = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
rnd = random.Random(14)
words = ["const", "function", "return", "require", "module", "exports", "=>", "{", "}",
         "if", "else", "for", "let", "var", "this", "null", "undefined", "true", "false",
         "Object", "Array", "prototype", "length", "value", "key", "options", "callback",
         "error", "throw", "new", "typeof", "===", "!==", "&&", "||", "(", ")", ";", ".",
         "async", "await", "Promise", "resolve", "reject", "string", "number", "default"]
# A corpus to slice contents from: cheap to generate, realistic to compress.
parts = []
size = 0
while size < 8 << 20:
    line = " ".join(rnd.choice(words) for _ in range(rnd.randint(3, 14)))
    line += " %x;\n" % rnd.getrandbits(rnd.choice([8, 16, 32]))
    parts.append(line)
    size += len(line)
corpus = "".join(parts).encode()
license_text = corpus[:1075]
readme_text = corpus[5000:7400]

def size_of(i):
    if i % 83 == 37:
        return int(math.exp(rnd.uniform(math.log(80 << 10), math.log(2 << 20))))
    s = int(math.exp(rnd.gauss(math.log(620), 1.64)))
    return max(1, min(s, (80 << 10) - 1))

written = 0
pkg = 0
while written < n:
    p = os.path.join(root, f"pkg-{pkg}", "lib")
    os.makedirs(p, exist_ok=True)
    for j in range(60):
        if written >= n:
            break
        i = written
        if j == 0:
            name, body = "../LICENSE", license_text
        elif j == 1:
            name, body = "../README.md", readme_text
        elif j % 7 == 3:
            # Shared boilerplate (same bytes in every package).
            name, body = f"shim{j}.js", corpus[j * 997:j * 997 + 300]
        else:
            s = size_of(i)
            off = rnd.randrange(0, len(corpus) - s)
            name, body = f"m{j}.js", corpus[off:off + s]
        if change and i % 100 == 0:
            body = body + b"// changed\n"
        with open(os.path.join(p, name), "wb") as f:
            f.write(body)
        written += 1
    pkg += 1
