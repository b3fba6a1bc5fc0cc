"""``specguard store import RESULTS.json...``: saved results into the store.

Each file is checked exactly as ``specguard report`` checks it (pipeline.load_results) before
anything is stored; then they are stored in the order of their own ``run.started_at``, one
transaction each, a duplicate (same results SHA-256) skipped with a notice.  A run older than
runs of its scope already stored takes its place in time among them (runs.Store.put).
"""
from __future__ import annotations

from typing import Callable


def import_files(store, paths: list[str], scope: str | None, notice: Callable[[str], None]) -> list:
    from ..pipeline import load_results
    from .runs import canonical

    docs = []
    for p in paths:
        doc = load_results(p)
        with open(p, "rb") as fh:
            raw = fh.read()
        data = canonical(doc)
        if raw.rstrip(b"\n") != data:
            notice(f"{p}: not in canonical form; stored canonically (its SHA-256 is that of "
                   "specguard's own -o results.json writing)")
        docs.append((doc["run"]["started_at"], p, doc, data))
    docs.sort(key=lambda x: (x[0], x[1]))
    stored = []
    for _, p, doc, data in docs:
        s = store.put(doc, scope=scope, data=data)
        if s.duplicate:
            notice(f"{p}: already stored as run {s.id} of scope {s.scope!r} (same results SHA-256); skipped")
        elif s.later:
            notice(f"{p}: stored as run {s.id} of scope {s.scope!r}, in time order, before {s.later} later run(s) "
                   "already stored (the hash chain records it as stored now)")
        else:
            notice(f"{p}: stored as run {s.id} of scope {s.scope!r}")
        stored.append(s)
    return stored
