#!/usr/bin/env python3
"""Lint zerops.yaml files with the zerops-cache policy component, from Python.

    pip install wasmtime
    zerops-cache component export policy.wasm
    python3 lint.py policy.wasm zerops.yaml [more.yaml ...] [--json]

Shows how to find and call the component's exports with the `wasmtime`
package: the world imports nothing, so an empty Linker instantiates it; an
export is found by its interface name, then by the function name inside it.
Exit codes as `zerops-cache lint`: 0 clean, 1 errors, 2 unreadable input.
"""

import json
import sys

from wasmtime import Engine, Store
from wasmtime.component import Component, Linker

PACKAGE = "zerops:build-cache"


class Policy:
    """The component, instantiated once. Each export is looked up by name."""

    def __init__(self, wasm_path):
        self.engine = Engine()
        self.component = Component.from_file(self.engine, wasm_path)
        self.store = Store(self.engine)
        # Imports nothing: no WASI, nothing to link.
        self.instance = Linker(self.engine).instantiate(self.store, self.component)
        # Interface names carry the package version, e.g.
        # "zerops:build-cache/linter@0.4.0": find them rather than guess.
        self.interfaces = {
            name.split("/", 1)[1].split("@", 1)[0]: name
            for name in self.component.type.exports(self.engine)
            if name.startswith(PACKAGE + "/")
        }

    def call(self, interface, function, *args):
        iface = self.instance.get_export_index(self.store, self.interfaces[interface])
        index = self.instance.get_export_index(self.store, function, iface)
        if index is None:
            raise LookupError(f"{self.interfaces[interface]} has no function {function}")
        func = self.instance.get_func(self.store, index)
        result = func(self.store, *args)
        func.post_return(self.store)
        return result


def as_dict(d):
    """A WIT `diagnostic` record as the CLI's JSON diagnostic."""
    return {
        "severity": d.severity,
        "code": d.code,
        "message": d.message,
        # start/end are option<position> in WIT: None without a position.
        "line": d.start.line if d.start else None,
        "column": d.start.column if d.start else None,
        "end_line": d.end.line if d.end else None,
        "end_column": d.end.column if d.end else None,
        "help": d.help,
    }


def main(argv):
    as_json = "--json" in argv
    args = [a for a in argv if a != "--json"]
    if len(args) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    policy = Policy(args[0])
    files = []
    code = 0
    for path in args[1:]:
        try:
            with open(path, encoding="utf-8") as f:
                source = f.read()
        except (OSError, UnicodeDecodeError) as e:
            print(f"error: {path}: {e}", file=sys.stderr)
            code = 2
            continue
        diags = [as_dict(d) for d in policy.call("linter", "lint", source)]
        if any(d["severity"] == "error" for d in diags) and code == 0:
            code = 1
        files.append({"path": path, "diagnostics": diags})
    if as_json:
        version = policy.call("about", "version")
        print(json.dumps({"policy": version, "files": files}, indent=2))
    else:
        for f in files:
            for d in f["diagnostics"]:
                print(f"{f['path']}:{d['line']}:{d['column']}: {d['severity']}[{d['code']}]: {d['message']}")
                if d["help"]:
                    print(f"  help: {d['help']}")
            print(f"{f['path']}: {len(f['diagnostics'])} finding(s)")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
