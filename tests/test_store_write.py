"""How a run is written (issue 15's storing cost): the document encoded once for the store and
the outputs, compressed with Zstandard, given back byte for byte; the comparison with the scope's
open intervals worked out once for the since-entry and put(), with the same rows as put() alone.
Every test runs against SQLite and a real PostgreSQL (tests/pg_cluster.py)."""
from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json

import pytest
import zstandard
from sqlalchemy import select

import scanner.canonical as canon
from scanner.errors import InputError
from scanner.store import schema as t
from scanner.store.diff import compare
from storelib import base_doc, fingerprints, night, open_test_store, pg_server, store, store_url  # noqa: F401
from test_canonical import shipped


def stored_blob(st, run_id: str) -> bytes:
    with st.engine.connect() as conn:
        return conn.execute(select(t.documents.c.data).where(t.documents.c.run_id == run_id)).scalar_one()


def as_cli(st, doc: dict, scope: str, json_output: bool = False):
    """What scan --store does (store.cli.annotate, the outputs, keep): since, prepare, put."""
    doc["history"] = st.since(scope, doc)
    st.prepare(doc)
    data = canon.canonical_json(doc) if json_output else None   # the JSON output's bytes
    return st.put(doc, scope=scope, data=data)


def test_a_prepared_run_is_one_checksummed_zstandard_frame_given_back_byte_for_byte(store):
    doc = night(base_doc(), "2026-01-01T02:00:00")
    s = as_cli(store, doc, "s")
    want = shipped(doc)                             # the form stores before this one hashed
    assert s.results_sha256 == hashlib.sha256(want).hexdigest()
    blob = stored_blob(store, s.id)
    frame = zstandard.get_frame_parameters(blob)
    assert frame.has_checksum and frame.content_size == len(want) and len(blob) < len(want) // 4
    assert zstandard.ZstdDecompressor().decompress(blob, allow_extra_data=False) == want == store.get_bytes(s.id)
    with store.engine.begin() as conn:              # bytes after the frame are an alteration too
        conn.execute(t.documents.update().where(t.documents.c.run_id == s.id).values(data=blob + b"\0"))
    with pytest.raises(InputError, match="does not match its SHA-256"):
        store.get_bytes(s.id)
    assert s.id in store.verify()[0]
    with store.engine.begin() as conn:
        conn.execute(t.documents.update().where(t.documents.c.run_id == s.id).values(data=blob))
    # the next run, prepared the same way, and one whose JSON output's bytes are handed over
    later = night(base_doc(), "2026-01-02T02:00:00", {fingerprints(doc, "fail")[0]: "pass"})
    s2 = as_cli(store, later, "s", json_output=True)
    assert store.get_bytes(s2.id) == shipped(later)
    assert store.verify() == []


def test_the_json_output_takes_the_bytes_prepare_encoded_until_the_run_is_stored(store):
    doc = night(base_doc(), "2026-01-01T02:00:00")
    doc["history"] = store.since("s", doc)
    store.prepare(doc)
    held = canon.canonical_json(doc)
    assert canon.canonical_json(doc) is held and held == shipped(doc)     # encoded once
    assert canon.canonical_json(copy.deepcopy(doc)) is not held
    store.put(doc, scope="s", data=held)
    assert canon.canonical_json(doc) is not held and canon.canonical_json(doc) == held   # released


def test_bytes_that_are_not_the_prepared_documents_are_stored_as_given(store):
    """put() of other bytes than prepare() made (a caller's own encoding) stores those bytes."""
    doc = night(base_doc(), "2026-01-01T02:00:00")
    doc["history"] = store.since("s", doc)
    store.prepare(doc)
    other = json.dumps(json.loads(shipped(doc)), indent=1).encode()      # not canonical
    assert other != shipped(doc)
    s = store.put(doc, scope="s", data=other)
    assert store.get_bytes(s.id) == other and s.results_sha256 == hashlib.sha256(other).hexdigest()


def _nights() -> list[dict]:
    """Nights with every kind of change: statuses, a severity, a finding gone and back, a new
    one, a fingerprint reported twice (the first counts)."""
    b = base_doc()
    fail, ok = fingerprints(b, "fail"), fingerprints(b, "pass")
    extra = dict(copy.deepcopy(b["findings"][0]), fingerprint="f" * 32, status="fail")
    out = []
    for i, (st, drop) in enumerate([({}, set()), ({fail[0]: "pass", ok[0]: "unknown"}, set()),
                                    ({fail[0]: "pass", ok[1]: "fail"}, {ok[2]}),
                                    ({ok[0]: "pass", fail[1]: "waived"}, set()),
                                    ({fail[0]: "fail"}, {ok[2], fail[2]}), ({}, set())]):
        base = copy.deepcopy(b)
        if i in (2, 3):
            base["findings"].append(copy.deepcopy(extra))
        if i == 3:     # reported twice: the first one's status counts
            base["findings"].append(dict(copy.deepcopy(extra), status="pass"))
        if i >= 4:
            for f in base["findings"]:
                if f["fingerprint"] == ok[3]:
                    f["severity"] = "critical"
        out.append(night(base, dt.datetime(2026, 3, 1 + i, 2), st, drop))
    return out


def _rows(st, scope: str) -> list[tuple]:
    with st.engine.connect() as conn:
        sid = conn.execute(select(t.scopes.c.id).where(t.scopes.c.name == scope)).scalar_one()
        return sorted(tuple(r) for r in conn.execute(
            select(t.findings.c.fingerprint, t.findings.c.control_id, t.findings.c.address, t.intervals.c.status,
                   t.intervals.c.severity, t.intervals.c.from_seq, t.intervals.c.to_seq)
            .join(t.findings, t.findings.c.id == t.intervals.c.finding_id).where(t.intervals.c.scope_id == sid)))


def test_since_then_put_writes_the_rows_put_alone_writes_and_counts_as_diff_does(store):
    nights = _nights()
    prev = None
    for i, d in enumerate(nights):
        alone = copy.deepcopy(d)
        alone["run"]["id"] += "-alone"
        alone["history"] = {"scope": "alone"}
        store.put(alone, scope="alone")
        as_cli(store, d, "cli", json_output=bool(i % 2))
        if prev is not None:
            c = compare(prev, d)["counts"]
            assert (d["history"]["new"], d["history"]["resolved"]) == (c["new"], c["resolved"])
        prev = d
    assert sum(d["history"].get("new", 0) for d in nights) > 0
    assert sum(d["history"].get("resolved", 0) for d in nights) > 0
    assert _rows(store, "cli") == _rows(store, "alone")
    statuses = {(fp, st, a, b) for fp, _, _, st, _, a, b in _rows(store, "cli") if fp == "f" * 32}
    assert statuses == {("f" * 32, "fail", 3, 5)}      # two nights; the duplicate's "pass" did not count
    assert store.verify() == []


def test_a_since_read_for_one_document_is_not_used_for_another(store):
    """The comparison since() made is put()'s only for the very findings it compared."""
    nights = _nights()
    store.put(nights[0], scope="s")
    store.since("s", nights[1])
    changed = copy.deepcopy(nights[1])
    changed["findings"] = changed["findings"][5:]           # another list: five findings gone
    store.put(changed, scope="s")
    ref = copy.deepcopy(nights[0])
    ref["run"]["id"] += "-ref"
    store.put(ref, scope="ref")
    store.put(dict(copy.deepcopy(changed), run=dict(changed["run"], id="ref-1")), scope="ref")
    assert _rows(store, "s") == _rows(store, "ref")
