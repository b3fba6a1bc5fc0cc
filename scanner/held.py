"""A live audit's findings held compactly in its results document, and streamed out of it.

An organisation's audit has tens of thousands of findings.  As dicts they cost about 1.5 KB each, as
engine objects more; held here they cost a few dozen bytes: ``build_document(..., hold=True)`` puts
each finding's dict, as it is made, into a ``HeldFindings`` (blocks of pickled dicts, zlib-compressed),
so neither every ``Finding`` nor every dict exists at one time.

``doc["findings"]`` is then read-only: iterating gives each finding's dict (a fresh one, identical to
what ``finding_dict`` made: pickle keeps key order and types), ``len`` counts them, and the JSON
output is written block by block (``canonical_parts``: the same bytes ``canonical_json`` gives for
the list).  Whatever changes findings or needs them all at once (``--baseline``, the history store,
the HTML/SARIF/... renderers) takes a list first (``materialise``), as the document had before.
"""
from __future__ import annotations

import pickle
import zlib
from typing import Iterable, Iterator

from .canonical import canonical_text as _canonical

BLOCK = 256   # findings per compressed block: ~40-100 KB of dicts decoded at a time
WAIVE_BLOCK = 256



class HeldFindings:
    """The findings (dicts) of a results document, in order, in compressed blocks."""

    __slots__ = ("_blocks", "_open", "_n")

    def __init__(self, items: Iterable[dict] = ()):
        self._blocks: list[bytes] = []
        self._open: list[dict] = []
        self._n = 0
        for d in items:
            self.append(d)

    def append(self, d: dict) -> None:
        self._open.append(d)
        self._n += 1
        if len(self._open) >= BLOCK:
            self._seal()

    def _seal(self) -> None:
        if self._open:
            self._blocks.append(zlib.compress(pickle.dumps(self._open, protocol=pickle.HIGHEST_PROTOCOL), 1))
            self._open = []

    def _lists(self) -> Iterator[list[dict]]:
        for blob in self._blocks:
            yield pickle.loads(zlib.decompress(blob))
        if self._open:
            yield self._open

    def __iter__(self) -> Iterator[dict]:
        for items in self._lists():
            yield from items

    def __len__(self) -> int:
        return self._n

    def __bool__(self) -> bool:
        return self._n > 0

    def __getitem__(self, i):   # for a reader that indexes: the list, made for the occasion
        return list(self)[i]

    def __eq__(self, other) -> bool:
        return list(self) == (list(other) if isinstance(other, HeldFindings) else other)

    __hash__ = None

    def __repr__(self) -> str:
        return f"<HeldFindings: {self._n} findings in {len(self._blocks)} blocks>"

    def stored_bytes(self) -> int:
        return sum(len(b) for b in self._blocks)

    def canonical_parts(self) -> Iterator[bytes]:
        """The canonical JSON of the list, in parts (``[``, each block's items, ``]``)."""
        yield b"["
        first = True
        for items in self._lists():
            if not items:
                continue
            text = _canonical(items)[1:-1]   # "[a,b]" -> "a,b": the list's own separators
            yield (text if first else "," + text).encode("utf-8")
            first = False
        yield b"]"


class CanonicalParts:
    """The canonical JSON of a results document whose findings are held: an iterable of bytes (each
    iteration writes the document again), the bytes ``canonical_json`` gives for the same document."""

    def __init__(self, doc: dict):
        self.doc = doc

    def __iter__(self) -> Iterator[bytes]:
        yield b"{"
        for i, key in enumerate(sorted(self.doc)):   # json's sort_keys, at the top level
            head = ("," if i else "") + _canonical(key) + ":"
            value = self.doc[key]
            if isinstance(value, HeldFindings):
                yield head.encode("utf-8")
                yield from value.canonical_parts()
            else:
                yield (head + _canonical(value)).encode("utf-8")
        yield b"}"

    def __bytes__(self) -> bytes:
        return b"".join(self)


def is_held(doc: dict) -> bool:
    return isinstance(doc.get("findings"), HeldFindings)


def materialise(doc: dict) -> dict:
    """The document with its findings as a list of dicts (for readers that change them or need them all)."""
    if is_held(doc):
        doc["findings"] = list(doc["findings"])
    return doc


def waived(findings: Iterable, waivers: list) -> Iterable:
    """``apply_waivers`` over findings that come as a stream (a Dask audit's units, unpacked as they are
    read), a block at a time as they are read.  Each verdict depends on its finding alone (the first
    waiver in file order that covers it), and what a waiver matched is read only once every finding
    has passed (the run's ``waivers``, made after the findings), so the result is the one a single
    call over the whole list gives."""
    if not waivers:
        return findings
    if isinstance(findings, list):
        from .waivers import apply_waivers
        apply_waivers(findings, waivers)
        return findings
    return _waived_stream(findings, waivers)


def _waived_stream(findings: Iterable, waivers: list) -> Iterator:
    import datetime as dt

    from .waivers import apply_waivers
    today = dt.datetime.now(dt.timezone.utc).date()   # one day for the whole stream, as one call has
    block: list = []
    for f in findings:
        block.append(f)
        if len(block) >= WAIVE_BLOCK:
            apply_waivers(block, waivers, today)
            yield from block
            block = []
    apply_waivers(block, waivers, today)
    yield from block
