"""The wheel as a user gets it: installed with pip into a fresh venv, it must
answer as the CLI does on the whole corpus. Run with the venv's Python
(scripts/test-packages.sh does, after scripts/package.sh):

    venv/bin/python -m unittest discover -s packages/python/tests -v

Uses $ZEROPS_CACHE_BIN (default target/debug/zerops-cache) as the reference.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

import zerops_cache_policy as zc

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
CLI = os.environ.get("ZEROPS_CACHE_BIN") or os.path.join(REPO, "target", "debug", "zerops-cache")
CORPUS_DIR = os.path.join(REPO, "tests", "corpus", "zerops-yml")
CORPUS = sorted(
    os.path.join(CORPUS_DIR, n) for n in os.listdir(CORPUS_DIR) if n.endswith((".yaml", ".yml"))
)


def cli(*args):
    r = subprocess.run([CLI, *args], capture_output=True, text=True)
    return r.returncode, r.stdout, r.stderr


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def read_text(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


class InstalledWheel(unittest.TestCase):
    def test_is_the_installed_package(self):
        # Imported from the venv's site-packages, not from the source tree.
        self.assertTrue(zc.__file__.startswith(sys.prefix), zc.__file__)
        self.assertNotEqual(sys.prefix, sys.base_prefix, "not running in a venv")
        here = os.path.dirname(zc.__file__)
        self.assertTrue(os.path.isfile(os.path.join(here, "py.typed")))
        # The component the wheel ships is the one the binary embeds.
        with tempfile.TemporaryDirectory() as tmp:
            exported = os.path.join(tmp, "c.wasm")
            code, _, err = cli("component", "export", exported)
            self.assertEqual(code, 0, err)
            self.assertEqual(read_bytes(os.path.join(here, "policy.wasm")), read_bytes(exported))

    def test_version_is_the_cli_version(self):
        code, out, _ = cli("--version")
        self.assertEqual(code, 0)
        self.assertEqual(out.strip(), f"zerops-cache {zc.version()} ({zc.wit_package()})")
        self.assertEqual(zc.version(), zc.__version__)
        self.assertEqual(zc.wit_package(), f"zerops:build-cache@{zc.__version__}")

    def test_lint_is_the_cli_document_on_every_corpus_file(self):
        self.assertGreaterEqual(len(CORPUS), 60)
        diagnostics = 0
        for path in CORPUS:
            with self.subTest(path=path):
                code, out, err = cli("lint", "--no-tree", "--format", "json", path)
                self.assertIn(code, (0, 1), err)
                ours = zc.lint(read_bytes(path), path=path)
                self.assertEqual(ours, json.loads(out))
                # str and bytes give the same answer for UTF-8 text.
                self.assertEqual(zc.lint(read_text(path), path=path), ours)
                diagnostics += len(ours["files"][0]["diagnostics"])
        self.assertGreater(diagnostics, 0)

    def test_lint_of_bytes_that_are_not_utf8(self):
        report = zc.lint(b"zerops:\n  - setup: \xff\n", path="bad.yaml")
        self.assertEqual(report["files"][0]["diagnostics"][0]["code"], "invalid-utf8")
        self.assertEqual(report["errors"], 1)

    def test_keys_is_the_cli_document_or_its_error(self):
        computed = 0
        for path in CORPUS:
            with self.subTest(path=path):
                code, out, err = cli("keys", "--format", "json", path)
                try:
                    ours = zc.keys(read_text(path), path=path)
                except zc.PolicyError as e:
                    self.assertEqual(code, 3, err)
                    self.assertEqual(out, "")
                    self.assertIn(e.diagnostic["code"], err)
                    continue
                self.assertIn(code, (0, 3), err)
                self.assertEqual(ours, json.loads(out))
                computed += sum(1 for s in ours["setups"] if "keys" in s)
        self.assertGreaterEqual(computed, 60)

    def test_explain_is_the_cli_document_or_its_error(self):
        agreed = 0
        pairs = list(zip(CORPUS, CORPUS[1:])) + [(CORPUS[0], CORPUS[0])]
        for old, new in pairs:
            with self.subTest(old=old, new=new):
                code, out, _ = cli("keys", "--format", "json", new)
                setups = json.loads(out)["setups"] if code == 0 else []
                setup = setups[0]["setup"] if setups else None
                args = ["explain", old, new, "-v", "--format", "json"]
                if setup:
                    args += ["--setup", setup]
                code, out, err = cli(*args)
                try:
                    ours = zc.explain(read_text(old), read_text(new), setup, verbose=True)
                except zc.PolicyError as e:
                    self.assertNotEqual(code, 0)
                    self.assertIn(e.file, ("old", "new"))
                    self.assertIn(e.diagnostic["code"], err)
                    continue
                self.assertEqual(code, 0, err)
                self.assertEqual(ours, json.loads(out))
                agreed += 1
        self.assertGreaterEqual(agreed, 40)

    def test_images_table_is_the_cli_document(self):
        code, out, err = cli("images", "table", "--format", "json")
        self.assertEqual(code, 0, err)
        ours = zc.images_table()
        self.assertEqual(ours, json.loads(out))
        self.assertTrue(any(r["os"] == "alpine" and r["base"] == "nodejs@22" for r in ours))

    def test_matches_answers_as_the_cli(self):
        paths = ["node_modules", "node_modules/x", "a/b", "a/b/c", "x.txt", "sub/a.txt", "[x]", "é",
                 "a\\b", ".hidden"]
        patterns = ["node_modules", "node_modules/*", "*", "*/*", "a/?", "*.txt", "sub/*.txt",
                    "[a-z]*", "[^a]*", "\\[x\\]", "?", ".*", "a\\\\b", "[", "a[", "[]a]", "a\\",
                    "[a-]", "[-a]", "x[^]"]
        bad = 0
        for pattern in patterns + ["./node_modules/"]:
            zerops = pattern == "./node_modules/"
            code, out, _ = cli("match", *(["--zerops"] if zerops else []), "--", pattern, *paths)
            printed = set(out.splitlines())
            for path in paths:
                with self.subTest(pattern=pattern, path=path):
                    if code == 2:
                        with self.assertRaises(zc.BadPattern) as cm:
                            zc.matches(pattern, path, zerops=zerops)
                        self.assertGreaterEqual(cm.exception.column, 1)
                        bad += 1
                    else:
                        self.assertEqual(zc.matches(pattern, path, zerops=zerops), path in printed)
        self.assertGreater(bad, 0)

    def test_wrong_argument_types_are_refused(self):
        with self.assertRaises(TypeError):
            zc.lint(3)  # type: ignore[arg-type]
        with self.assertRaises(TypeError):
            zc.matches(b"*", "a")  # type: ignore[arg-type]
        with self.assertRaises(zc.PolicyError) as cm:
            zc.keys("zerops:\n  - setup: a\n", "nope")
        self.assertEqual(cm.exception.diagnostic["code"], "setup-unknown")


if __name__ == "__main__":
    unittest.main()
