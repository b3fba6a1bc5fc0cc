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
    return _encode(doc).encode("utf-8")


def hold(doc: Any, data: Callable[[], bytes]) -> None:
    """``data()`` gives the canonical bytes of ``doc`` until ``release``: the JSON output and the
    reports' hash take them (the store's run, encoded once)."""
    _held[:] = [(doc, data)]


def release(doc: Any = None) -> None:
    """Forget the held bytes (of ``doc`` only, when given)."""
    if _held and (doc is None or _held[0][0] is doc):
        _held.clear()
