"""The canonical JSON of a results document: keys sorted, no insignificant whitespace, UTF-8,
strict (NaN and Infinity refused).  Its bytes are what ``-o results.json`` writes, what the HTML
and PDF reports' "results SHA-256" is taken over, and what the history store keeps and hashes.

``canonical_parts(doc)`` gives the same bytes in pieces (a long list, the findings, a block of
items at a time), so that the store compresses the first pieces while the rest is encoded:
``b"".join(canonical_parts(doc)) == canonical_json(doc)`` for every document (tests/test_canonical.py).

A run kept in the history store is encoded once: ``Store.prepare`` encodes it before the outputs are
rendered and ``hold``s the bytes here until the run is stored, and ``canonical_json`` of that same
document (the JSON output, the HTML and PDF reports' hash) gives them instead of encoding it again.
In between the document does not change: renderers only read it.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Iterator

# json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False): the C
# encoder.  check_circular=False only skips the bookkeeping of every container's id (a results
# document is data read from JSON, YAML and APIs: it holds no cycle); the bytes are the same.
_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                           check_circular=False).encode

BLOCK = 2000   # items of a long top-level list per part: about a megabyte of findings

_held: list = []   # [(document, its bytes)]: at most one, see hold()


def canonical_json(doc: Any) -> bytes:
    """The canonical form of a results document (the held bytes when ``doc`` is the held document)."""
    if _held and _held[0][0] is doc:
        return _held[0][1]()
    return _encode(doc).encode("utf-8")


def canonical_parts(doc: Any, block: int | None = None) -> Iterator[bytes]:
    """The bytes of ``canonical_json(doc)``, in parts: the top level key by key (sorted, as the
    encoder sorts them), a list longer than ``block`` (BLOCK) a block of items at a time."""
    block = block or BLOCK
    if not isinstance(doc, dict) or not all(isinstance(k, str) for k in doc):
        yield canonical_json(doc)      # the encoder's own order for other keys: no parts
        return
    text = "{"
    for i, key in enumerate(sorted(doc)):
        text += ("," if i else "") + _encode(key) + ":"
        value = doc[key]
        if type(value) is list and len(value) > block:
            yield (text + "[").encode("utf-8")
            for start in range(0, len(value), block):
                items = _encode(value[start:start + block])[1:-1]    # "[a,b]" -> "a,b"
                yield ("," + items if start else items).encode("utf-8")
            text = "]"
        else:
            text += _encode(value)
    yield (text + "}").encode("utf-8")


def hold(doc: Any, data: Callable[[], bytes]) -> None:
    """``data()`` gives the canonical bytes of ``doc`` until ``release``: the JSON output and the
    reports' hash take them (the store's run, encoded once)."""
    _held[:] = [(doc, data)]


def release(doc: Any = None) -> None:
    """Forget the held bytes (of ``doc`` only, when given)."""
    if _held and (doc is None or _held[0][0] is doc):
        _held.clear()
