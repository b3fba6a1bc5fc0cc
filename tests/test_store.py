"""The history store (issue 15): runs kept byte for byte, status intervals, the hash chain,
migrations, one transaction per run, concurrent writers, bad URLs.  Every test runs against
SQLite and a real PostgreSQL (tests/pg_cluster.py)."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
import time
import lzma
import zlib

import pytest
import zstandard
from sqlalchemy import delete, func, select, text, update

from scanner.errors import InputError, ScanError
from scanner.render.html import canonical_json
from scanner.store import open_store, schema as t
from scanner.store.engine import parse_url
from storelib import base_doc, fingerprints, kill_when_flagged, night, open_test_store, pg_server, store, store_url  # noqa: F401

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def count(st, table, **where) -> int:
    q = select(func.count()).select_from(table)
    for k, v in where.items():
        q = q.where(table.c[k] == v)
    with st.engine.connect() as conn:
        return conn.execute(q).scalar()


def test_a_run_is_given_back_byte_for_byte_and_a_duplicate_is_not_stored_again(store):
    doc = night(base_doc(), "2026-01-01T02:00:00")
    s = store.put(doc)
    assert not s.duplicate and s.seq == 1
    data = store.get_bytes(s.id)
    assert data == canonical_json(doc)
    assert hashlib.sha256(data).hexdigest() == s.results_sha256
    again = store.put(json.loads(data))
    assert again.duplicate and again.id == s.id
    assert count(store, t.runs) == 1


def test_findings_are_status_intervals_an_unchanged_night_adds_no_row(store):
    b = base_doc()
    n = len(b["findings"])
    store.put(night(b, "2026-01-01T02:00:00"))
    assert count(store, t.intervals) == n
    store.put(night(b, "2026-01-02T02:00:00"))           # nothing changed
    store.put(night(b, "2026-01-03T02:00:00"))
    assert count(store, t.intervals) == n
    fail = fingerprints(b, "fail")[0]
    gone = fingerprints(b, "pass")[0]
    store.put(night(b, "2026-01-04T02:00:00", {fail: "pass"}, drop={gone}))
    # the fixed finding's fail interval closed and a pass one opened; the vanished one closed
    assert count(store, t.intervals) == n + 1
    with store.engine.connect() as conn:
        rows = conn.execute(select(t.intervals.c.status, t.intervals.c.from_seq, t.intervals.c.to_seq)
                            .join(t.findings, t.findings.c.id == t.intervals.c.finding_id)
                            .where(t.findings.c.fingerprint == fail).order_by(t.intervals.c.from_seq)).all()
        assert [tuple(r) for r in rows] == [("fail", 1, 4), ("pass", 4, None)]
        closed = conn.execute(select(t.intervals.c.to_seq).join(t.findings, t.findings.c.id == t.intervals.c.finding_id)
                              .where(t.findings.c.fingerprint == gone)).scalar()
        assert closed == 4
    assert store.verify() == []


def test_scope_defaults_to_the_inputs_and_can_be_named(store):
    b = base_doc()
    a = store.put(night(b, "2026-01-01T02:00:00"))
    assert a.scope.startswith("scan ") and a.scope.endswith("plan.json")
    n = store.put(night(b, "2026-01-01T03:00:00"), scope="nightly prod")
    assert n.scope == "nightly prod" and n.seq == 1
    assert sorted(store.scopes()) == sorted([a.scope, "nightly prod"])
    with pytest.raises(InputError, match="no scope 'nope'"):
        store.runs("nope")


def test_a_run_older_than_the_scopes_latest_takes_its_place_in_time(store):
    b = base_doc()
    late = store.put(night(b, "2026-01-02T02:00:00"))
    early = store.put(night(b, "2026-01-01T02:00:00"))      # more in tests/test_store_backfill.py
    assert (early.seq, early.later) == (1, 1)
    assert [r.id for r in store.runs(late.scope)] == [early.id, late.id]
    assert count(store, t.runs) == 2 and store.verify() == []


def _three(store):
    b = base_doc()
    fail = fingerprints(b, "fail")
    return [store.put(night(b, f"2026-01-0{i}T02:00:00", {fail[0]: "pass"} if i > 1 else {})) for i in (1, 2, 3)]


def test_verify_names_an_altered_document(store):
    runs = _three(store)
    with store.engine.begin() as conn:
        doc = json.loads(zstandard.ZstdDecompressor().decompress(conn.execute(
            select(t.documents.c.data).where(t.documents.c.run_id == runs[1].id)).scalar()))
        doc["findings"][-1]["message"] += " (edited)"
        conn.execute(update(t.documents).where(t.documents.c.run_id == runs[1].id)
                     .values(data=zstandard.ZstdCompressor(level=1).compress(canonical_json(doc))))
    problems = store.verify()
    assert len(problems) == 1 and runs[1].id in problems[0] and "altered" in problems[0]
    quick = store.verify(full=False)          # the period report's check: stored bytes against the chain
    assert len(quick) == 1 and runs[1].id in quick[0]
    with pytest.raises(InputError, match="does not match its SHA-256"):
        store.get_bytes(runs[1].id)


def _xz_streams(b: bytes) -> bytes:     # as revision 0003's specguard wrote documents over 1 MB: two halves
    return lzma.compress(b[:len(b) // 2], preset=0) + lzma.compress(b[len(b) // 2:], preset=0)


@pytest.mark.parametrize("codec, compress", [("zlib", lambda b: zlib.compress(b, 1)),
                                             ("xz", lambda b: lzma.compress(b, preset=6)),
                                             ("xz", _xz_streams),
                                             ("zstd", lambda b: zstandard.ZstdCompressor(level=19).compress(b))])
def test_documents_of_every_codec_are_given_back_and_verified(store, codec, compress):
    """A document is read by the codec recorded beside it (the chain covers the stored bytes,
    whatever their codec): one stream or several, any preset or level."""
    from scanner.store.runs import chain_hash
    doc = night(base_doc(), "2026-01-01T02:00:00")
    s = store.put(doc)
    xz = compress(canonical_json(doc))
    stored = hashlib.sha256(xz).hexdigest()
    chain = chain_hash(s.scope, 1, s.id, doc["run"]["started_at"], s.results_sha256, stored, None)
    with store.engine.begin() as conn:    # as another specguard wrote it
        conn.execute(update(t.documents).values(codec=codec, data=xz))
        conn.execute(update(t.runs).values(stored_sha256=stored, chain_hash=chain))
        conn.execute(update(t.scopes).values(head_hash=chain))
    assert store.get_bytes(s.id) == canonical_json(doc)
    assert store.verify() == [] and store.verify(full=False) == []


def test_verify_names_an_altered_run_record(store):
    runs = _three(store)
    with store.engine.begin() as conn:
        conn.execute(update(t.runs).where(t.runs.c.id == runs[0].id).values(started_at="2025-12-31T02:00:00Z"))
    problems = store.verify()
    assert any(runs[0].id in p and "record was altered" in p for p in problems), problems


def test_verify_names_a_run_removed_from_the_middle_and_from_the_end(store):
    runs = _three(store)
    with store.engine.begin() as conn:
        for tab in (t.run_controls, t.documents):
            conn.execute(delete(tab).where(tab.c.run_id == runs[1].id))
        conn.execute(delete(t.runs).where(t.runs.c.id == runs[1].id))
    problems = store.verify()
    assert any(f"run {runs[1].id} was removed" in p for p in problems), problems
    with store.engine.begin() as conn:
        for tab in (t.run_controls, t.documents):
            conn.execute(delete(tab).where(tab.c.run_id == runs[2].id))
        conn.execute(delete(t.runs).where(t.runs.c.id == runs[2].id))
    problems = store.verify()
    assert any("latest run(s) were removed" in p and runs[2].id in p for p in problems), problems


def test_an_older_store_is_upgraded_on_first_use_with_a_notice(store_url):
    from scanner.store import engine as E
    from scanner.store.migrate import HEAD, upgrade
    url = parse_url(store_url)
    eng = E.create(url)
    with eng.begin() as conn:
        upgrade(conn, "0001")
    eng.dispose()
    notes: list[str] = []
    st = open_test_store(store_url, notes)
    try:
        assert len(notes) == 1 and f"upgraded from schema revision 0001 to {HEAD}" in notes[0]
        with st.engine.connect() as conn:
            from sqlalchemy import inspect
            assert "ix_intervals_scope_fail" in {i["name"] for i in inspect(conn).get_indexes("intervals")}
        st.put(night(base_doc(), "2026-01-01T02:00:00"))
    finally:
        st.dispose()
    notes.clear()
    open_test_store(store_url, notes).dispose()
    assert notes == []                       # once only


def test_runs_stored_before_revision_0003_keep_their_chain(store_url):
    """0003 separated the chain's order (chain_pos) from the order in time (seq): a store written
    before it, where the two were one, is upgraded with every recorded hash still valid."""
    from alembic import command
    from scanner.store.migrate import HEAD, _config
    st = open_test_store(store_url)
    b = base_doc()
    ids = [st.put(night(b, f"2026-01-0{i}T02:00:00", {fingerprints(b, 'fail')[0]: "pass"} if i == 2 else {})).id
           for i in (1, 2, 3)]
    with st.engine.begin() as conn:
        cfg = _config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")
    st.dispose()
    notes: list[str] = []
    st = open_test_store(store_url, notes)
    try:
        assert notes and f"from schema revision 0002 to {HEAD}" in notes[0]
        with st.engine.connect() as conn:
            assert [tuple(r) for r in conn.execute(select(t.runs.c.id, t.runs.c.chain_pos).order_by(t.runs.c.seq))] \
                == [(x, i) for i, x in enumerate(ids, 1)]
        assert st.verify() == []
        later = st.put(night(b, "2026-01-04T02:00:00"))
        assert later.seq == 4 and st.verify() == []
    finally:
        st.dispose()


def test_a_store_of_revision_0003_keeps_its_xz_documents_and_stores_new_runs_with_zstandard(store_url):
    """0004: documents are compressed with Zstandard from then on; those an older specguard stored
    (LZMA, in one or two streams) are given back and verified as they are, the chain unchanged."""
    from alembic import command
    from scanner.store.migrate import HEAD, _config
    from scanner.store.runs import chain_hash
    st = open_test_store(store_url)
    b = base_doc()
    old = [st.put(night(b, f"2026-01-0{i}T02:00:00", {fingerprints(b, 'fail')[0]: "pass"} if i == 2 else {}))
           for i in (1, 2)]
    with st.engine.begin() as conn:      # as revision 0003's specguard stored them
        prev = None
        for pos, s in enumerate(old, 1):
            data = st.get_bytes(s.id)
            xz = _xz_streams(data)
            started = conn.execute(select(t.runs.c.started_at).where(t.runs.c.id == s.id)).scalar_one()
            chain = chain_hash(s.scope, pos, s.id, started, s.results_sha256, hashlib.sha256(xz).hexdigest(), prev)
            conn.execute(update(t.documents).where(t.documents.c.run_id == s.id).values(codec="xz", data=xz))
            conn.execute(update(t.runs).where(t.runs.c.id == s.id).values(
                stored_sha256=hashlib.sha256(xz).hexdigest(), prev_hash=prev, chain_hash=chain))
            prev = chain
        conn.execute(update(t.scopes).values(head_hash=prev))
        cfg = _config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003")
    st.dispose()
    notes: list[str] = []
    st = open_test_store(store_url, notes)
    try:
        assert notes and f"from schema revision 0003 to {HEAD}" in notes[0]
        assert st.verify() == []
        new = st.put(night(b, "2026-01-03T02:00:00"))
        with st.engine.connect() as conn:
            codecs = dict(conn.execute(select(t.documents.c.run_id, t.documents.c.codec)).all())
        assert codecs == {old[0].id: "xz", old[1].id: "xz", new.id: "zstd"}
        for s, day in zip(old + [new], ("01", "02", "03")):
            assert json.loads(st.get_bytes(s.id))["run"]["started_at"] == f"2026-01-{day}T02:00:00Z"
        assert st.verify() == [] and st.verify(full=False) == []
    finally:
        st.dispose()


def test_a_damaged_document_is_named_by_verify_and_never_given_back(store):
    runs = _three(store)
    with store.engine.begin() as conn:
        blob = bytearray(conn.execute(select(t.documents.c.data).where(t.documents.c.run_id == runs[1].id)).scalar())
        blob[len(blob) // 2] ^= 0xFF
        conn.execute(update(t.documents).where(t.documents.c.run_id == runs[1].id).values(data=bytes(blob)))
    problems = store.verify()
    assert len(problems) == 1 and runs[1].id in problems[0] and "altered" in problems[0]
    with pytest.raises(InputError, match="does not match its SHA-256"):
        store.get_bytes(runs[1].id)


def test_the_head_revision_is_the_newest_migration_and_an_up_to_date_store_opens_without_alembic(store_url):
    from scanner.store.migrate import HEAD, head_revision
    assert HEAD == head_revision()
    open_test_store(store_url).dispose()
    code = ("import sys; from scanner.store import open_store; open_store(sys.argv[1]).dispose(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))")
    out = subprocess.run([sys.executable, "-c", code, store_url], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_store_written_by_a_newer_specguard_is_refused(store):
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    url = store.url.render_as_string(hide_password=False)
    store.dispose()
    with pytest.raises(InputError, match="newer specguard.*upgrade specguard") as e:
        open_store(url)
    assert e.value.exit_status == 2


def test_a_database_that_is_not_a_store_is_refused(tmp_path):
    import sqlite3
    p = tmp_path / "other.sqlite"
    with sqlite3.connect(p) as c:
        c.execute("CREATE TABLE customers (id integer)")
    with pytest.raises(InputError, match="not a specguard store"):
        open_store(str(p))
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is no database at all" * 100)
    with pytest.raises(InputError, match="not a specguard store"):
        open_store(str(junk))


@pytest.mark.parametrize("bad, why", [
    ("mysql://u@h/db", "unsupported store kind"),
    ("sqlite://", "needs a file"),
    ("postgresql://u@h", "name the database"),
    ("postgresql+asyncpg://u@h/db", "psycopg 3"),
    ("postgresql://u@h:notaport/db", "store"),
    ("", "empty"),
])
def test_bad_store_urls_are_input_errors(bad, why):
    with pytest.raises(InputError, match=why):
        open_store(bad)


def test_a_missing_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        open_store(str(tmp_path / "no" / "such" / "store.sqlite"))


def test_an_unreachable_server_is_exit_3_in_seconds_and_the_password_is_never_shown():
    import socket
    with socket.socket() as s:           # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    with pytest.raises(ScanError) as e:
        open_store(f"postgresql://auditor:S3cr3t-pw@127.0.0.1:{port}/history")
    assert time.monotonic() - t0 < 10
    assert e.value.exit_status == 3
    assert "S3cr3t-pw" not in e.value.message and "***" in e.value.message


def test_a_wrong_password_is_not_shown(pg_server):
    pg_server.create_db("pwcheck")
    with pytest.raises(InputError) as e:
        open_store(pg_server.url("pwcheck", password="Wr0ng-Secret"))
    assert "Wr0ng-Secret" not in e.value.message and "password authentication failed" in e.value.message
    assert pg_server.password not in e.value.message


WRITER = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, {tests!r})
    from scanner.store import open_store
    st = open_store(sys.argv[1])
    for path in sys.argv[2:]:
        st.put(json.load(open(path)), scope="shared")
""")


def test_two_writers_at_once_both_land(store_url, tmp_path):
    b = base_doc()
    fail = fingerprints(b, "fail")
    files = []
    for i in range(8):
        p = tmp_path / f"r{i}.json"
        p.write_text(json.dumps(night(b, f"2026-01-01T02:00:00", {fail[i]: "pass"})))
        files.append(str(p))
    # the store does not exist yet: the two writers race to create it as well as to store
    script = WRITER.format(tests=os.path.join(ROOT, "tests"))
    procs = [subprocess.Popen([sys.executable, "-c", script, store_url, *files[k::2]], cwd=ROOT,
                              stderr=subprocess.PIPE, text=True) for k in (0, 1)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    st = open_test_store(store_url)
    try:
        runs = st.runs("shared")
        assert sorted(r.seq for r in runs) == list(range(1, 9))
        assert st.verify() == []
    finally:
        st.dispose()


KILLED = textwrap.dedent("""
    import json, sys, time
    from scanner.store import open_store
    from scanner.store.runs import Store
    st = open_store(sys.argv[1])
    real = Store._waivers
    def slow(self, conn, *a):
        real(self, conn, *a)
        open(sys.argv[3], "w").close()      # inside the run's transaction: rows written, not committed
        time.sleep(60)
    Store._waivers = slow
    st.put(json.load(open(sys.argv[2])))
""")


def test_killing_a_storing_process_leaves_the_store_as_it_was(store_url, tmp_path):
    b = base_doc()
    st = open_test_store(store_url)
    first = st.put(night(b, "2026-01-01T02:00:00"))
    before = {tab.name: count(st, tab) for tab in (t.runs, t.documents, t.findings, t.intervals, t.run_controls)}
    st.dispose()
    p = tmp_path / "r2.json"
    p.write_text(json.dumps(night(b, "2026-01-02T02:00:00", {fingerprints(b, "fail")[0]: "pass"})))
    flag = tmp_path / "inside"
    kill_when_flagged(KILLED, store_url, p, flag, ROOT)
    st = open_test_store(store_url)
    try:
        after = {tab.name: count(st, tab) for tab in (t.runs, t.documents, t.findings, t.intervals, t.run_controls)}
        assert after == before
        assert st.verify() == []
        assert st.latest(first.scope).id == first.id
        again = st.put(json.loads(p.read_text()))          # and the store takes the run afterwards
        assert again.seq == 2 and st.verify() == []
    finally:
        st.dispose()


def test_import_checks_like_report_orders_by_start_and_skips_duplicates(store, tmp_path):
    from scanner.store.ingest import import_files
    b = base_doc()
    docs = [night(b, f"2026-01-0{i}T02:00:00", {fingerprints(b, 'fail')[0]: "pass"} if i == 2 else {})
            for i in (1, 2, 3)]
    paths = []
    for name, d in zip(("c", "a", "b"), reversed(docs)):       # names sort the other way round
        p = tmp_path / f"{name}.json"
        p.write_bytes(canonical_json(d))
        paths.append(str(p))
    notes: list[str] = []
    stored = import_files(store, paths, None, notes.append)
    assert [s.seq for s in stored] == [1, 2, 3]
    assert [r.id for r in store.runs(stored[0].scope)] == [d["run"]["id"] for d in docs]
    notes.clear()
    again = import_files(store, paths[:1], None, notes.append)
    assert again[0].duplicate and "skipped" in notes[0]
    bad = json.loads(canonical_json(night(b, "2026-01-04T02:00:00")))
    bad["summary"]["fail"] += 1                                  # what `report` refuses
    bp = tmp_path / "bad.json"
    bp.write_text(json.dumps(bad))
    good = tmp_path / "good.json"
    good.write_bytes(canonical_json(night(b, "2026-01-05T02:00:00")))
    with pytest.raises(InputError, match="altered"):
        import_files(store, [str(good), str(bp)], None, notes.append)
    assert count(store, t.runs) == 3                             # nothing stored from that batch
