"""The policy component in wasmtime: loaded once per process, on first use.

The world imports nothing, so an empty Linker instantiates it. Exports are
found by interface name without the version (`linter`, `layers`, ...), so
the lookup does not depend on the WIT package version.
"""

from __future__ import annotations

import threading
from importlib import resources
from typing import Any, Dict, Optional

from wasmtime import Engine, Store
from wasmtime.component import Component, Linker

PACKAGE = "zerops:build-cache"


class Policy:
    """One instance of the component; calls are serialized by a lock."""

    def __init__(self, wasm: bytes) -> None:
        self._engine = Engine()
        self._component = Component(self._engine, wasm)
        self._store = Store(self._engine)
        self._instance = Linker(self._engine).instantiate(self._store, self._component)
        self._interfaces: Dict[str, str] = {
            name.split("/", 1)[1].split("@", 1)[0]: name
            for name in self._component.type.exports(self._engine)
            if name.startswith(PACKAGE + "/")
        }
        self._lock = threading.Lock()

    def call(self, interface: str, function: str, *args: Any) -> Any:
        with self._lock:
            iface = self._instance.get_export_index(self._store, self._interfaces[interface])
            index = self._instance.get_export_index(self._store, function, iface)
            if index is None:
                raise LookupError(f"{self._interfaces[interface]} has no function {function}")
            func = self._instance.get_func(self._store, index)
            result = func(self._store, *args)
            func.post_return(self._store)
            return result


_policy: Optional[Policy] = None
_policy_lock = threading.Lock()


def policy() -> Policy:
    """The process's instance, made on first use from the shipped policy.wasm."""
    global _policy
    with _policy_lock:
        if _policy is None:
            wasm = resources.files(__package__).joinpath("policy.wasm").read_bytes()
            _policy = Policy(wasm)
        return _policy
