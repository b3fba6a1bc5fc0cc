"""A scope's first run (issue 15's storing cost): its findings and intervals are written on another
thread from prepare() on, in the transaction put() ends; the rows are those put() alone writes,
and whenever that early writing cannot be used (another document or scope, a duplicate, a store
busy with another writer, no put() at all) nothing of it is kept.  The query tables' references,
which no foreign key checks since revision 0005, are checked by ``store verify``.  Every test runs
against SQLite and a real PostgreSQL (tests/pg_cluster.py)."""
from __future__ import annotations

import copy
import json
import time

import pytest
from sqlalchemy import delete, func, inspect, insert, select, update

from scanner.canonical import canonical_json
from scanner.errors import InputError
from scanner.store import schema as t
from storelib import ROOT, base_doc, kill_when_flagged, night, open_test_store, pg_server, store, store_url  # noqa: F401


def _doc(when: str = "2026-01-01T02:00:00") -> dict:
    """A night with what the early writing must treat as put() does: a fingerprint reported
    twice (the first counts), findings without one (left out), and addresses with a tab, a
    newline, a backslash and non-ASCII text (COPY's and JSON's escapes)."""
    doc = night(base_doc(), when)
    f0 = doc["findings"][0]
    twice = dict(copy.deepcopy(f0), status="pass" if f0["status"] != "pass" else "fail")
    odd = copy.deepcopy(doc["findings"][1])
    odd["fingerprint"] = "e" * 64
    odd["resource"] = dict(odd["resource"], address='module.a["x\ty\nz\\w\r"].b_é', type="aws_s3_bucket")
    blank = dict(copy.deepcopy(f0), fingerprint="")
    doc["findings"] += [twice, odd, blank]
    return doc


def _rows(st, scope: str) -> list[tuple]:
    with st.engine.connect() as conn:
        sid = conn.execute(select(t.scopes.c.id).where(t.scopes.c.name == scope)).scalar_one()
        return sorted(tuple(r) for r in conn.execute(
            select(t.findings.c.fingerprint, t.findings.c.control_id, t.findings.c.address,
                   t.findings.c.resource_type, t.intervals.c.status, t.intervals.c.severity,
                   t.intervals.c.from_seq, t.intervals.c.to_seq)
            .join(t.findings, t.findings.c.id == t.intervals.c.finding_id).where(t.intervals.c.scope_id == sid)))


def _counts(st) -> tuple:
    with st.engine.connect() as conn:
        return tuple(conn.execute(select(t.scopes.c.name).order_by(t.scopes.c.name)).scalars()) + tuple(
            conn.execute(select(func.count()).select_from(tab)).scalar() for tab in (t.findings, t.intervals))


def test_a_first_run_written_early_has_the_rows_put_alone_writes(store):
    doc = _doc()
    alone = copy.deepcopy(doc)
    alone["run"]["id"] += "-alone"
    store.put(alone, scope="alone")
    doc["history"] = store.since("cli", doc)
    assert doc["history"] == {"scope": "cli", "previous_run": None}
    store.prepare(doc)
    assert store._early is not None            # the rows are being written now
    s = store.put(doc, scope="cli")
    assert store._early is None and (s.seq, s.duplicate) == (1, False)
    rows = _rows(store, "cli")
    assert rows == _rows(store, "alone")
    assert len(rows) == len({f["fingerprint"] for f in doc["findings"] if f["fingerprint"]})
    assert ("e" * 64) in {r[0] for r in rows} and 'module.a["x\ty\nz\\w\r"].b_é' in {r[2] for r in rows}
    f0 = doc["findings"][0]
    assert [r[4] for r in rows if r[0] == f0["fingerprint"]] == [f0["status"]]     # the first one counts
    with store.engine.connect() as conn:       # ids are unique across scopes, the sequence still ahead
        ids = list(conn.execute(select(t.findings.c.id)).scalars())
    assert len(ids) == len(set(ids)) == 2 * len(rows)
    nxt = night(base_doc(), "2026-01-02T02:00:00")
    store.put(nxt, scope="cli")
    store.put(dict(copy.deepcopy(nxt), run=dict(nxt["run"], id="alone-2")), scope="alone")
    assert _rows(store, "cli") == _rows(store, "alone")
    assert store.verify() == []
    assert store.get_bytes(s.id) == canonical_json(doc)


def test_an_early_write_for_another_document_or_scope_is_rolled_back(store):
    doc = _doc()
    doc["history"] = store.since("s", doc)
    store.prepare(doc)
    other = _doc("2026-01-01T03:00:00")
    other["findings"] = other["findings"][7:]
    s = store.put(other, scope="s")            # another document: its own rows only
    assert s.seq == 1
    ref = copy.deepcopy(other)
    ref["run"]["id"] += "-ref"
    store.put(ref, scope="ref")
    assert _rows(store, "s") == _rows(store, "ref")
    doc2 = _doc("2026-01-05T02:00:00")
    doc2["history"] = store.since("t", doc2)
    store.prepare(doc2)
    store.put(doc2, scope="u")                 # another scope than since() said
    assert "t" not in store.scopes()
    assert len(_rows(store, "u")) == len({f["fingerprint"] for f in doc2["findings"] if f["fingerprint"]})
    assert store.verify() == []


def test_a_prepared_first_run_never_put_leaves_nothing_and_holds_no_lock(store_url):
    a = open_test_store(store_url)
    doc = _doc()
    doc["history"] = a.since("s", doc)
    a.prepare(doc)
    assert a._early is not None
    a.dispose()                                # the outputs failed, say: no put()
    b = open_test_store(store_url)
    try:
        assert _counts(b) == (0, 0)
        t0 = time.monotonic()
        b.put(_doc(), scope="other")           # the store is not held
        assert time.monotonic() - t0 < 10
        assert b.scopes() == ["other"] and b.verify() == []
    finally:
        b.dispose()


def test_a_duplicate_first_run_written_early_keeps_nothing(store):
    doc = _doc()
    doc["history"] = {"scope": "s2", "previous_run": None}
    first = store.put(doc, scope="s1")         # the same bytes as the run below
    again = copy.deepcopy(doc)
    again["history"] = store.since("s2", again)
    store.prepare(again)
    assert store._early is not None
    s = store.put(again, scope="s2")
    assert s.duplicate and s.id == first.id and s.scope == "s1"
    assert store.scopes() == ["s1"] and _counts(store)[1:] == (len(_rows(store, "s1")),) * 2
    assert store.verify() == []


def test_a_busy_store_is_not_waited_for_early_and_the_run_is_stored_all_the_same(store):
    """Another writer holds the store (SQLite) or is creating the same scope (PostgreSQL):
    prepare() does not wait for it; put() does, as before."""
    doc = _doc()
    doc["history"] = store.since("s", doc)
    other = store.engine.connect()
    tx = other.begin()                         # SQLite: BEGIN IMMEDIATE, the store's write lock
    other.execute(insert(t.scopes).values(name="s", runs=0))
    t0 = time.monotonic()
    store.prepare(doc)
    assert store._early is None and time.monotonic() - t0 < 5
    tx.rollback()
    other.close()
    s = store.put(doc, scope="s")
    assert s.seq == 1 and len(_rows(store, "s")) > 0 and store.verify() == []


def test_the_rows_of_a_first_run_go_with_its_transaction(store):
    """The early rows are in put()'s transaction: when put() fails after them, none is kept."""
    doc = _doc()
    store.put(night(base_doc(), "2026-01-09T02:00:00") | {"run": dict(doc["run"])}, scope="x")   # same run id
    doc["history"] = store.since("s", doc)
    store.prepare(doc)
    assert store._early is not None
    with pytest.raises(InputError, match="already stored with other results"):
        store.put(doc, scope="s")
    assert store.scopes() == ["x"] and _counts(store)[1:] == (len(_rows(store, "x")),) * 2


def test_verify_names_a_broken_reference_of_the_query_tables(store):
    s = store.put(_doc(), scope="s")
    store.put(night(base_doc(), "2026-01-02T02:00:00"), scope="t")
    assert store.verify() == []
    with store.engine.begin() as conn:
        sid = conn.execute(select(t.scopes.c.id).where(t.scopes.c.name == "s")).scalar_one()
        tid = conn.execute(select(t.scopes.c.id).where(t.scopes.c.name == "t")).scalar_one()
        gone = conn.execute(select(t.findings.c.id).where(t.findings.c.scope_id == sid).limit(1)).scalar_one()
        conn.execute(delete(t.findings).where(t.findings.c.id == gone))
        moved = conn.execute(select(t.intervals.c.id).where(t.intervals.c.scope_id == tid).limit(1)).scalar_one()
        conn.execute(update(t.intervals).where(t.intervals.c.id == moved).values(scope_id=sid))
        conn.execute(insert(t.findings).values(scope_id=99999, fingerprint="0" * 64, control_id="X",
                                               address="a", resource_type=""))
    problems = store.verify()
    assert any("scope 's': 2 status interval(s)" in p and "not in the store or not of this scope" in p
               for p in problems), problems
    assert any("1 finding(s) belong to no scope" in p for p in problems), problems
    assert store.verify("t") == [] and any("scope 's'" in p for p in store.verify("s"))
    assert s.id and store.verify(full=False) != []      # the period report's check sees it too


def test_revision_0005_keeps_every_row_and_drops_the_query_tables_foreign_keys(store_url):
    from alembic import command

    from scanner.store.migrate import HEAD, _config
    st = open_test_store(store_url)
    b = base_doc()
    st.put(night(b, "2026-01-01T02:00:00"), scope="s")
    st.put(night(b, "2026-01-02T02:00:00", {b["findings"][0]["fingerprint"]: "pass"}), scope="s")
    before = _rows(st, "s")
    with st.engine.begin() as conn:
        cfg = _config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
    with st.engine.connect() as conn:
        fks = {(tab, fk["constrained_columns"][0]) for tab in ("findings", "intervals")
               for fk in inspect(conn).get_foreign_keys(tab)}
    assert fks == {("findings", "scope_id"), ("intervals", "scope_id"), ("intervals", "finding_id")}
    with st.engine.connect() as conn:
        assert {i["name"] for i in inspect(conn).get_indexes("intervals")} == {
            "ix_intervals_scope_open", "ix_intervals_finding", "ix_intervals_scope_from"}
    st.dispose()
    notes: list[str] = []
    st = open_test_store(store_url, notes)
    try:
        assert notes and f"from schema revision 0004 to {HEAD}" in notes[0]
        with st.engine.connect() as conn:
            insp = inspect(conn)
            assert [fk for tab in ("findings", "intervals") for fk in insp.get_foreign_keys(tab)] == []
            assert {i["name"] for i in insp.get_indexes("intervals")} == {"ix_intervals_scope_open",
                                                                          "ix_intervals_scope_fail"}
            assert {tuple(u["column_names"]) for u in insp.get_unique_constraints("findings")} == {
                ("scope_id", "fingerprint")}
        assert _rows(st, "s") == before and st.verify() == []
        st.put(night(b, "2026-01-03T02:00:00"), scope="s")
        assert len(_rows(st, "s")) == len(before) + 1 and st.verify() == []
    finally:
        st.dispose()


KILLED = """
import json, pathlib, sys, time
from scanner.store import open_store
st = open_store(sys.argv[1])
doc = json.load(open(sys.argv[2]))
doc["history"] = st.since("new", doc)
st.prepare(doc)
assert st._early.written.wait(30), st._early.error    # the run's findings and intervals, not committed
pathlib.Path(sys.argv[3]).write_text("written")
time.sleep(60)
"""


def test_killing_a_process_with_a_first_run_written_early_leaves_the_store_as_it_was(store_url, tmp_path):
    st = open_test_store(store_url)
    st.put(night(base_doc(), "2026-01-01T02:00:00"), scope="old")
    before = _counts(st)
    st.dispose()
    p = tmp_path / "r.json"
    p.write_text(json.dumps(_doc("2026-01-02T02:00:00")))
    flag = tmp_path / "written"
    kill_when_flagged(KILLED, store_url, p, flag, ROOT)
    st = open_test_store(store_url)
    try:
        assert _counts(st) == before and st.verify() == []
        s = st.put(json.loads(p.read_text()), scope="new")       # and the store takes the run afterwards
        assert s.seq == 1 and st.scopes() == ["new", "old"] and st.verify() == []
    finally:
        st.dispose()


def test_a_value_the_early_text_cannot_carry_leaves_the_run_to_put(store):
    """PostgreSQL's early rows are one text with 0x1E and 0x1F as separators: a finding whose value
    holds one is written by put() as before (SQLite's JSON carries it), with the same rows."""
    doc = _doc()
    doc["findings"][2]["resource"] = dict(doc["findings"][2]["resource"], address="a\x1eb\x1fc")
    alone = copy.deepcopy(doc)
    alone["run"]["id"] += "-alone"
    store.put(alone, scope="alone")
    doc["history"] = store.since("cli", doc)
    store.prepare(doc)
    assert (store._early is None) == (store.engine.dialect.name == "postgresql")
    store.put(doc, scope="cli")
    assert _rows(store, "cli") == _rows(store, "alone") and "a\x1eb\x1fc" in {r[2] for r in _rows(store, "cli")}
    assert store.verify() == []


def test_a_first_run_not_put_within_hold_lets_go_of_the_store_and_is_stored_all_the_same(store_url, monkeypatch):
    """Outputs that take long to render: the early transaction is rolled back after _Early.HOLD
    seconds, so other writers are not kept waiting; put() then writes the whole run itself."""
    from scanner.store import runs
    monkeypatch.setattr(runs._Early, "HOLD", 0.2)
    a, b = open_test_store(store_url), open_test_store(store_url)
    try:
        doc = _doc()
        doc["history"] = a.since("s", doc)
        a.prepare(doc)
        assert a._early is not None
        deadline = time.monotonic() + 30
        while not a._early.expired:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        later = _doc("2026-01-03T02:00:00")
        t0 = time.monotonic()
        other = b.put(later, scope="s")           # not kept waiting: it is the scope's run 1
        assert time.monotonic() - t0 < 10 and other.seq == 1
        s = a.put(doc, scope="s")
        assert (s.seq, s.later) == (1, 1)         # it started earlier: put() places it first in time
        for d in (doc, later):
            a.put(dict(copy.deepcopy(d), run=dict(d["run"], id=d["run"]["id"] + "-ref")), scope="ref")
        assert _rows(a, "s") == _rows(a, "ref") and a.verify() == []
    finally:
        a.dispose()
        b.dispose()
