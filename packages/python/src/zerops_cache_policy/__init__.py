"""zerops-cache-policy: the zerops-cache policy component in wasmtime.

Lint ``zerops.yaml``, compute the Zerops build-cache layer keys, explain what
a config change does to the cache and match cache patterns exactly as Go's
``filepath.Match`` — with the very WebAssembly component the ``zerops-cache``
binary runs. Results are the JSON documents of the CLI's ``--format json``,
as ``dict``/``list`` values::

    import zerops_cache_policy as zc

    report = zc.lint(open("zerops.yaml").read())  # zerops-cache lint --no-tree --format json
    zc.explain(old_text, new_text, "api")          # zerops-cache explain OLD NEW --format json
    zc.keys(text)                                  # zerops-cache keys --format json
    zc.matches("node_modules/*", "node_modules/x") # zerops-cache match (True/False, or BadPattern)
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Union

from wasmtime.component import Variant

from ._component import policy

__all__ = [
    "BadPattern",
    "PolicyError",
    "TreeFacts",
    "explain",
    "images_table",
    "keys",
    "lint",
    "matches",
    "version",
    "wit_package",
]

# The workspace version; version() asks the component, which must agree.
__version__ = "0.4.0"

Json = Dict[str, Any]
U32_MAX = 0xFFFFFFFF


class PolicyError(Exception):
    """A config that stopped a question: an unknown setup, text that is not YAML, ...

    ``diagnostic`` is the diagnostic as ``--format json`` prints one; ``file``
    says which input it is about for :func:`explain` (``"old"`` or ``"new"``).
    """

    def __init__(self, diagnostic: Json, file: Optional[str] = None) -> None:
        super().__init__(diagnostic["message"])
        self.diagnostic = diagnostic
        self.file = file
        #: For :func:`keys` of a file the platform rejects: every finding of lint.
        self.findings: List[Json] = [diagnostic]


class BadPattern(ValueError):
    """A malformed cache pattern (Go reports every kind as ``syntax error in pattern``)."""

    def __init__(self, pattern: str, kind: str, offset: int, column: int, reason: str) -> None:
        super().__init__(f"syntax error in pattern `{pattern}` at column {column}: {reason}")
        self.pattern = pattern
        #: ``trailing-backslash``, ``unclosed-class``, ``empty-class``,
        #: ``misplaced-dash`` or ``range-without-end``.
        self.kind = kind
        #: Byte offset (UTF-8) of the offending character.
        self.offset = offset
        #: 1-based column, in characters.
        self.column = column
        self.reason = reason


class TreeFacts:
    """What you know about the project directory, for the tree lints of :func:`lint`.

    ``entries``: paths that exist, relative and ``/``-separated, complete down
    to ``depth`` components; ``tracked``: the files ``git ls-files`` lists, or
    ``None`` outside a git repository.
    """

    def __init__(
        self,
        entries: Sequence[str] = (),
        depth: int = 0,
        tracked: Optional[Sequence[str]] = None,
    ) -> None:
        self.entries = list(entries)
        self.depth = depth
        self.tracked = None if tracked is None else list(tracked)


def _field(record: Any, name: str) -> Any:
    """A field of a WIT record, by its WIT (kebab-case) name."""
    return getattr(record, name)


def _result(value: Any, ok_type: type) -> Any:
    """(ok, payload) of a WIT ``result``: wasmtime tags it only when ok and err look alike."""
    if isinstance(value, Variant):
        return value.tag == "ok", value.payload
    return isinstance(value, ok_type), value


def _refuse_rejected(text: str, command: str) -> None:
    """The platform's verdict, as the CLI asks it before a command acts on a
    file: a file with an error that ``lint`` reports is refused, with its first
    error (every finding is in the error's ``findings``)."""
    verdict = policy().call("linter", "gate", text.encode("utf-8"), None, command)
    if not verdict.refuse:
        return
    findings = [_diagnostic(d) for d in verdict.findings]
    first = next((d for d in findings if d["severity"] == "error"), findings[0])
    err = PolicyError(first)
    err.findings = findings
    raise err


def _diagnostic(d: Any) -> Json:
    start, end = d.start, d.end
    return {
        "severity": d.severity,
        "code": d.code,
        "message": d.message,
        "line": start.line if start else None,
        "column": start.column if start else None,
        "end_line": end.line if end else None,
        "end_column": end.column if end else None,
        "help": d.help,
    }


_REASON_OPTIONAL = (
    ("field", "field"),
    ("index", "index"),
    ("from_index", "from-index"),
    ("key", "key"),
    ("old", "old"),
    ("new", "new"),
    ("version", "version"),
    ("at", "at"),
)


def _reason(r: Any) -> Json:
    out: Json = {"kind": r.kind}
    for name, wit in _REASON_OPTIONAL:
        value = _field(r, wit)
        if value is not None:
            out[name] = value
    out["invalidates"] = r.invalidates
    out["message"] = r.message
    return out


def _verdict(v: Any) -> Json:
    return {"invalidated": v.invalidated, "reasons": [_reason(r) for r in v.reasons]}


def _cache(spec: Any) -> Union[bool, List[str]]:
    # variant cache-spec { all(bool), patterns(list<string>) }: untagged, as written.
    if isinstance(spec, Variant):
        return spec.payload
    return spec


def _str_or_none(name: str, value: Optional[str]) -> Optional[str]:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name} must be a str or None")
    return value


def version() -> str:
    """The version of the policy inside (the workspace version, e.g. ``0.4.0``)."""
    return str(policy().call("about", "version"))


def wit_package() -> str:
    """The WIT package the component implements, e.g. ``zerops:build-cache@0.4.0``."""
    return str(policy().call("about", "wit-package"))


def lint(
    text: Union[str, bytes],
    *,
    path: str = "zerops.yaml",
    setup: Optional[str] = None,
    deny_warnings: bool = False,
    tree: Optional[TreeFacts] = None,
) -> Json:
    """Lints a zerops.yaml: the document of ``zerops-cache lint --no-tree --format json``.

    ``text`` may be ``bytes`` (text that is not UTF-8 gets an ``invalid-utf8``
    error, as in the CLI). ``setup`` checks only that setup; ``tree`` enables
    the lints that compare cache paths with the project's files.
    """
    if isinstance(text, str):
        data = text.encode("utf-8")
    elif isinstance(text, (bytes, bytearray, memoryview)):
        data = bytes(text)
    else:
        raise TypeError("text must be str or bytes")
    setup = _str_or_none("setup", setup)
    p = policy()
    # A file over the size limit is refused without copying it into the component.
    too_large = p.call("linter", "check-size", min(len(data), U32_MAX))
    if too_large is not None:
        diags = [too_large]
    else:
        facts = tree if tree is not None else TreeFacts()
        diags = p.call("linter", "lint-with-tree", data, setup, facts)
    diagnostics = [_diagnostic(d) for d in diags]
    counts = {s: sum(1 for d in diagnostics if d["severity"] == s) for s in ("error", "warning", "note")}
    return {
        "files": [
            {
                "path": path,
                "diagnostics": diagnostics,
                "errors": counts["error"],
                "warnings": counts["warning"],
                "notes": counts["note"],
            }
        ],
        "errors": counts["error"],
        "warnings": counts["warning"],
        "notes": counts["note"],
        "deny_warnings": bool(deny_warnings),
    }


class _ImageRequest:
    """The WIT ``image-request`` of a config's ``os`` and ``base`` (no override
    file: a package reads none; no ``--image``)."""

    def __init__(self, os: str, base: Sequence[str]) -> None:
        self.os = os
        self.base = list(base)
        self.overrides: List[Any] = []
        self.flag = None


def _image_choice(p: Any, text: str, setup: str) -> str:
    """The build image a config's setup resolves to, named as ``zerops-cache
    explain`` names it."""
    ok, entries = _result(p.call("layers", "keys", text, setup), list)
    if not ok or not entries:
        return "(unknown)"
    ok, s = _result(_field(entries[0], "keys"), type(None))
    if not ok:
        return "(unknown)"
    value = p.call("images", "resolve", _ImageRequest(s.inputs.os, s.inputs.base))
    if isinstance(value, Variant):
        ok, c = value.tag == "ok", value.payload
    else:
        ok, c = not isinstance(value, str), value
    if not ok:
        return "none (no row: the build would stop)"
    return f"the host's own root ({c.origin})" if c.host else c.reference


def images_table() -> List[Json]:
    """The reviewed table that maps ``os`` and ``base`` to the build image.

    The document of ``zerops-cache images table --format json``: each row with
    the page documenting its image and how it differs from Zerops' own build
    image. (The table only: override files and ``--image`` are the CLI's.)
    """
    return [
        {"base": r.base, "differs": r.differs, "image": r.image, "os": r.os, "source": r.source}
        for r in policy().call("images", "table")
    ]


def explain(old: str, new: str, setup: Optional[str] = None, *, verbose: bool = False) -> Json:
    """What changing the config from ``old`` to ``new`` does to the cache of ``setup``.

    The document of ``zerops-cache explain OLD NEW --format json`` (``-v`` with
    ``verbose``). Raises :class:`PolicyError` (``file`` ``"old"`` or ``"new"``)
    when a config is unusable.
    """
    setup = _str_or_none("setup", setup)
    p = policy()
    ok, d = _result(p.call("layers", "explain", old, new, setup), type(None))
    if not ok:
        raise PolicyError(_diagnostic(d), d.file)
    out: Json = {
        "setup": d.setup,
        "layers": {"base": _verdict(d.base), "build": _verdict(d.build)},
    }
    if verbose:
        out["unaffected"] = [_reason(r) for r in d.unaffected]
    # Which build image each config's `os` and `base` choose, when they differ.
    old_image, new_image = _image_choice(p, old, d.setup), _image_choice(p, new, d.setup)
    if old_image != new_image:
        out["image"] = {"old": old_image, "new": new_image}
    # The same cache advice as `lint` and `advise`, for the new config.
    ok, report = _result(p.call("advice", "advise", new, d.setup, TreeFacts(), None), type(None))
    out["advice"] = [_diagnostic(f) for f in report.findings] if ok else []
    return out


def keys(text: str, setup: Optional[str] = None, *, path: str = "zerops.yaml") -> Json:
    """The layer keys of ``setup`` (default: every setup) and the inputs they digest.

    The document of ``zerops-cache keys --format json``. Raises
    :class:`PolicyError` when the platform would reject the text (any error
    ``lint`` reports, as the CLI refuses it) or ``setup`` is not in it.
    """
    setup = _str_or_none("setup", setup)
    _refuse_rejected(text, "keys")
    ok, entries = _result(policy().call("layers", "keys", text, setup), list)
    if not ok:
        raise PolicyError(_diagnostic(entries), entries.file)
    setups = []
    for entry in entries:
        ok, s = _result(_field(entry, "keys"), type(None))
        if ok:
            item: Json = {"setup": entry.setup}
            build_from = _field(s, "build-from")
            if build_from is not None:
                item["build_from"] = build_from
            k = _field(s, "keys")
            item["keys"] = {"base": k.base, "build": k.build}
            i = s.inputs
            item["inputs"] = {
                "os": i.os,
                "base": list(i.base),
                "prepare_commands": list(_field(i, "prepare-commands")),
                "cache": _cache(i.cache),
            }
        else:
            item = {"setup": entry.setup, "error": _diagnostic(s)}
        setups.append(item)
    return {"path": path, "setups": setups}


def matches(pattern: str, path: str, *, zerops: bool = False) -> bool:
    """Whether ``path`` matches the cache ``pattern``, exactly as Go's ``filepath.Match``.

    With ``zerops``, the Zerops normalization first (``./x/`` is ``x``). Raises
    :class:`BadPattern` for a malformed pattern, anywhere in it (as
    ``zerops-cache match`` does).
    """
    if not isinstance(pattern, str) or not isinstance(path, str):
        raise TypeError("pattern and path must be str")
    p = policy()
    if zerops:
        pattern = str(p.call("patterns", "normalize", pattern))
    bad = p.call("patterns", "validate", pattern)
    if bad is not None:
        raise BadPattern(pattern, bad.kind, bad.offset, bad.column, bad.message)
    answer = p.call("patterns", "is-match", pattern, path)
    if isinstance(answer, Variant):
        answer = answer.payload
    return bool(answer)
