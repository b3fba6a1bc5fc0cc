"""The canonical JSON of a results document: keys sorted, no insignificant whitespace, UTF-8,
strict (NaN and Infinity refused).  Its bytes are what ``-o results.json`` writes, what the HTML
and PDF reports' "results SHA-256" is taken over, and what the history store keeps and hashes.

A run kept in the history store is encoded once: ``Store.prepare`` encodes it before the outputs are
rendered and ``hold``s the bytes here until the run is stored, and ``canonical_json`` of that same
document (the JSON output, the HTML and PDF reports' hash) gives them instead of encoding it again.
In between the document does not change: renderers only read it.
"""
from __future__ import annotations

import json
from typing import Any, Callable

# json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False): the C
# encoder.  check_circular=False only skips the bookkeeping of every container's id (a results
# document is data read from JSON, YAML and APIs: it holds no cycle); the bytes are the same.
_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                           check_circular=False).encode

_held: list = []   # [(document, its bytes)]: at most one, see hold()


def canonical_text(value: Any) -> str:
    """The canonical JSON of one value, as text (a part of a document written in parts: held.py)."""
    return _encode(value)


def canonical_json(doc: Any) -> bytes:
    """The canonical form of a results document (the held bytes when ``doc`` is the held document)."""
    if _held and _held[0][0] is doc:
        return _held[0][1]()
    if _plain and _plain[0][0] is doc:
        fast = _fast_encoder(doc)
        if fast is not None:
            return fast
    return _encode(doc).encode("utf-8")


# A document results.build_document found plain (every finding's value a str, int, bool, None, list,
# or dict with str keys: no float, no other type) may be encoded by msgspec, 5-8x faster than the
# stdlib's C encoder (a 10,000-resource plan's 21,000 findings: 0.015 s against 0.08 s).  For such
# values its bytes are the stdlib's (sorted keys by code point, the same escapes, UTF-8;
# tests/test_fast_json.py compares them); they differ for floats (1e16 against 1e+16), which is why a
# document with one is never marked, and msgspec writes types json refuses.  The parts beside the
# findings (the run, scope, sources, history, baseline, ...) are checked again when the bytes are made,
# as they may be set after the document was built; a document whose findings list was replaced or
# marked by a baseline is not taken.
_plain: list = []   # [(document, its findings list)]: at most one, the latest built


def mark_plain(doc: dict) -> None:
    _plain[:] = [(doc, doc.get("findings"))]


def forget_plain(doc: Any = None) -> None:
    if _plain and (doc is None or _plain[0][0] is doc):
        _plain.clear()


def _fast_encoder(doc: dict) -> bytes | None:
    if doc.get("findings") is not _plain[0][1] or not all(_plain_tree(v) for k, v in doc.items() if k != "findings"):
        return None
    from .fast_json import msgspec_json
    mod = msgspec_json()
    return mod.Encoder(order="sorted").encode(doc) if mod is not None else None


_SCALARS = frozenset((str, int, bool, type(None)))


def _plain_tree(root: Any) -> bool:
    """Whether ``root`` holds only str, int, bool, None, lists, tuples and dicts with str keys."""
    stack = [root]
    while stack:
        x = stack.pop()
        c = x.__class__
        if c is dict:
            for k, v in x.items():
                if k.__class__ is not str:
                    return False
                stack.append(v)
        elif c is list or c is tuple:
            stack.extend(x)
        elif c not in _SCALARS:
            return False
    return True


def hold(doc: Any, data: Callable[[], bytes]) -> None:
    """``data()`` gives the canonical bytes of ``doc`` until ``release``: the JSON output and the
    reports' hash take them (the store's run, encoded once)."""
    _held[:] = [(doc, data)]


def release(doc: Any = None) -> None:
    """Forget the held bytes (of ``doc`` only, when given)."""
    if _held and (doc is None or _held[0][0] is doc):
        _held.clear()
