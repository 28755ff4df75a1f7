"""The Python example reports what `zerops-cache lint --no-tree` reports, on
every corpus file, with the same exit codes. Run from the repository root:

    python3 -m unittest discover -s examples/python -v

Uses $ZEROPS_CACHE_BIN (default target/debug/zerops-cache) to export the
component.
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CLI = os.environ.get("ZEROPS_CACHE_BIN") or os.path.join(REPO, "target", "debug", "zerops-cache")
CORPUS = os.path.join(REPO, "tests", "corpus", "zerops-yml")


def run(*cmd, cwd=None):
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)


class PythonExample(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.wasm = os.path.join(cls.tmp.name, "policy.wasm")
        r = run(CLI, "component", "export", cls.wasm)
        if r.returncode != 0:
            raise RuntimeError(f"{CLI} component export failed: {r.stderr}")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def example(self, *args):
        return run(sys.executable, os.path.join(HERE, "lint.py"), self.wasm, *args)

    def write(self, name, text):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_corpus_matches_the_cli(self):
        files = sorted(
            os.path.join(CORPUS, n) for n in os.listdir(CORPUS) if n.endswith((".yaml", ".yml"))
        )
        self.assertGreaterEqual(len(files), 60)
        r = self.example("--json", *files)
        self.assertIn(r.returncode, (0, 1), r.stderr)
        ours = {f["path"]: f["diagnostics"] for f in json.loads(r.stdout)["files"]}
        cli = run(CLI, "lint", "--no-tree", "--format", "json", *files)
        theirs = {f["path"]: f["diagnostics"] for f in json.loads(cli.stdout)["files"]}
        self.assertEqual(ours.keys(), theirs.keys())
        for path in files:
            self.assertEqual(ours[path], theirs[path], path)
        self.assertEqual(r.returncode, cli.returncode)

    def test_typo_is_an_error_with_its_position(self):
        bad = self.write(
            "zerops.yaml",
            "zerops:\n  - setup: app\n    build:\n      deployFiles: ./\n      cahce: [x]\n",
        )
        r = self.example(bad)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(f"{bad}:5:7: error[unknown-key]:", r.stdout)
        self.assertIn("help: did you mean `cache`?", r.stdout)

    def test_clean_file_and_unreadable_file(self):
        good = self.write("good.yaml", "zerops:\n  - setup: app\n    build:\n      deployFiles: ./\n")
        self.assertEqual(self.example(good).returncode, 0)
        r = self.example(os.path.join(self.tmp.name, "missing.yaml"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("missing.yaml", r.stderr)

    def test_finds_the_interfaces_by_name(self):
        r = self.example("--json", self.write("e.yaml", "zerops: []\n"))
        doc = json.loads(r.stdout)
        out = run(CLI, "component", "info")
        self.assertIn(doc["policy"], out.stdout)

    def test_readme_snippet_runs_as_written(self):
        with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        section = readme.split("### Python, with wasmtime", 1)[1]
        code = section.split("```python\n", 1)[1].split("```", 1)[0]
        with tempfile.TemporaryDirectory() as d:
            os.symlink(self.wasm, os.path.join(d, "policy.wasm"))
            with open(os.path.join(d, "zerops.yaml"), "w", encoding="utf-8") as f:
                f.write("zerops:\n  - setup: app\n    build:\n      deployFiles: ./\n      cahce: [x]\n")
            with open(os.path.join(d, "snippet.py"), "w", encoding="utf-8") as f:
                f.write(code)
            r = run(sys.executable, "snippet.py", cwd=d)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("zerops:build-cache/linter@0.4.0", r.stdout)
        self.assertIn("5:7 error[unknown-key] unknown key `cahce`", r.stdout)


if __name__ == "__main__":
    unittest.main()
