"""Runs stored out of time order (issue 15: ``store import`` orders by each run's own start, so
older CI artifacts imported after newer runs take their place in time).  A scope filled in any
order must answer exactly as one filled in time order (intervals, waivers, diff, history, the
period report), while the hash chain stays the order of storing: nothing recorded changes, and
``verify`` names the runs stored late.  Every test runs on SQLite and a real PostgreSQL."""
from __future__ import annotations

import datetime as dt
import json
import random

import pytest
from sqlalchemy import select, update

from scanner.render.html import canonical_json
from scanner.store import history, period, schema as t
from scanner.store.diff import compare
from storelib import base_doc, fingerprints, night, pg_server, store, store_url  # noqa: F401


def _nights() -> list[dict]:
    """Eight nights in time order with every kind of change: fixed and failing again, lost from
    sight, waived, a resource gone and back, a new resource, a severity changed."""
    b = base_doc()
    fail, ok = fingerprints(b, "fail"), fingerprints(b, "pass")
    extra = json.loads(json.dumps(b["findings"][0]))
    extra["fingerprint"] = "f" * 64
    extra["resource"]["address"] += "_new"
    extra["status"] = "fail"
    changes = [
        ({}, set()),
        ({fail[0]: "pass", ok[0]: "unknown"}, set()),
        ({fail[0]: "pass", ok[0]: "unknown", fail[1]: "waived"}, {ok[1]}),
        ({ok[0]: "unknown", fail[1]: "waived"}, {ok[1]}),
        ({fail[1]: "waived", ok[2]: "fail"}, set()),
        ({ok[2]: "fail"}, set()),
        ({fail[0]: "unknown"}, {ok[2]}),
        ({}, set()),
    ]
    out = []
    for i, (st, drop) in enumerate(changes):
        base = json.loads(json.dumps(b))
        if i in (3, 4, 5):                      # a resource that exists for three nights
            base["findings"].append(dict(extra, status="fail" if i != 4 else "pass"))
        if i >= 5:                              # the profile raised one control's severity
            for f in base["findings"]:
                if f["fingerprint"] == fail[2]:
                    f["severity"] = "critical"
        out.append(night(base, dt.datetime(2026, 3, 1 + i, 2), st, drop))   # counts recomputed
    return out


def _state(st, scope: str) -> dict:
    """What the scope's queries answer from, independent of the order runs were stored in."""
    with st.engine.connect() as conn:
        sid = conn.execute(select(t.scopes.c.id).where(t.scopes.c.name == scope)).scalar_one()
        intervals = sorted(tuple(r) for r in conn.execute(
            select(t.findings.c.fingerprint, t.intervals.c.status, t.intervals.c.severity, t.intervals.c.from_seq,
                   t.intervals.c.to_seq).join(t.findings, t.findings.c.id == t.intervals.c.finding_id)
            .where(t.intervals.c.scope_id == sid)))
        waivers = sorted(tuple(r) for r in conn.execute(
            select(t.waivers.c.key, t.waivers.c.first_seq, t.waivers.c.last_seq).where(t.waivers.c.scope_id == sid)))
    runs = [r.id for r in st.runs(scope)]
    p = period.build(st, scope, dt.date(2026, 3, 1), dt.date(2026, 3, 10), None,
                     now=dt.datetime(2026, 4, 1, tzinfo=dt.timezone.utc))
    for r in p["runs"]:
        r.pop("chain_hash")
    h = history.build(st, scope)
    return {"runs": runs, "intervals": intervals, "waivers": waivers,
            "period": {k: p[k] for k in ("runs", "gaps", "controls", "findings", "remediation", "exceptions")},
            "history": [(r["started_at"], r["seq"], r["failures_begun"], r["failures_ended"]) for r in h["runs"]],
            "controls": h["controls"]}


def test_a_scope_stored_in_any_order_answers_as_one_stored_in_time_order(store):
    nights = _nights()
    for d in nights:
        store.put(d, scope="in order")
    want = _state(store, "in order")
    assert want["runs"] == [d["run"]["id"] for d in nights]
    assert len(want["intervals"]) > len(nights[0]["findings"])  # the changes made intervals
    orders = [list(reversed(range(8))), [3, 0, 7, 1, 6, 2, 5, 4]]
    orders += [random.Random(seed).sample(range(8), 8) for seed in (1, 2)]
    for n, order in enumerate(orders):
        scope = f"order {n}"
        stored = [store.put(json.loads(canonical_json(nights[i])) | {"run": dict(nights[i]["run"],
                                                                             id=f"{scope}-{i}")}, scope=scope)
                  for i in order]
        # each run's place in time when it was stored: the runs before it in time stored so far
        for k, (i, s) in enumerate(zip(order, stored)):
            assert s.seq == 1 + sum(1 for j in order[:k] if j < i)
            assert s.later == sum(1 for j in order[:k] if j > i)
        got = _state(store, scope)
        assert got["runs"] == [f"{scope}-{i}" for i in range(8)], order
        for key in ("intervals", "waivers", "history", "controls"):
            assert got[key] == want[key], (order, key)
        gp, wp = got["period"], want["period"]
        assert [r["started_at"] for r in gp["runs"]] == [r["started_at"] for r in wp["runs"]]
        assert [r["seq"] for r in gp["runs"]] == list(range(1, 9))
        for key in ("gaps", "findings", "remediation", "exceptions"):
            assert gp[key] == wp[key], (order, key)
        assert [{k: v for k, v in c.items() if k != "trend"} for c in gp["controls"]] == \
               [{k: v for k, v in c.items() if k != "trend"} for c in wp["controls"]]
        assert [c["trend"] for c in gp["controls"]] == [c["trend"] for c in wp["controls"]]
    notes: list[str] = []
    assert store.verify(notes=notes) == []
    # the reversed order stored seven runs late; the in-order scope none
    late = [x for x in notes if "'order 0'" in x]
    assert len(late) == 7 and all("imported out of time order" in x for x in late)
    assert not [x for x in notes if "'in order'" in x]
    assert [b["id"] for b in store.backfilled("order 0")] == [f"order 0-{i}" for i in range(6, -1, -1)]


def test_the_default_diff_after_a_backfill_is_between_neighbours_in_time(store):
    nights = _nights()
    for i in (0, 1, 3):
        store.put(nights[i], scope="s")
    s = store.put(nights[2], scope="s")          # imported late: between nights 1 and 3
    assert (s.seq, s.later) == (3, 1)
    latest = store.latest("s")
    assert latest.id == nights[3]["run"]["id"]
    prev = store.previous(latest)
    assert prev.id == nights[2]["run"]["id"]
    d = compare(store.get_doc(prev.id), store.get_doc(latest.id))
    assert d == compare(nights[2], nights[3])


def test_a_backfill_changes_no_recorded_hash_and_tampering_is_still_named(store):
    nights = _nights()
    for i in (2, 3, 4):
        store.put(nights[i], scope="s")
    with store.engine.connect() as conn:
        before = dict(conn.execute(select(t.runs.c.id, t.runs.c.chain_hash)).all())
        head = conn.execute(select(t.scopes.c.head_hash)).scalar_one()
    a = store.put(nights[0], scope="s")
    b = store.put(nights[1], scope="s")
    with store.engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(t.runs))}
    assert {k: rows[k].chain_hash for k in before} == before        # nothing recorded changed
    assert rows[a.id].prev_hash == head and rows[b.id].prev_run_id == a.id   # appended to the chain
    assert (rows[a.id].seq, rows[a.id].chain_pos, rows[b.id].seq, rows[b.id].chain_pos) == (1, 4, 2, 5)
    assert store.verify() == []
    # a back-dated start (the chain covers it) and swapped places in time are both named
    with store.engine.begin() as conn:
        conn.execute(update(t.runs).where(t.runs.c.id == b.id).values(started_at="2026-02-01T02:00:00Z"))
    assert any(b.id in p and "record was altered" in p for p in store.verify())
    with store.engine.begin() as conn:
        conn.execute(update(t.runs).where(t.runs.c.id == b.id).values(started_at=nights[1]["run"]["started_at"]))
        conn.execute(update(t.runs).where(t.runs.c.id == a.id).values(seq=-1))
        conn.execute(update(t.runs).where(t.runs.c.id == b.id).values(seq=1))
        conn.execute(update(t.runs).where(t.runs.c.id == a.id).values(seq=2))
    problems = store.verify()
    assert len(problems) == 1 and "places in time were altered" in problems[0], problems


def test_import_of_older_artifacts_after_newer_runs(store, tmp_path):
    from scanner.store.ingest import import_files
    nights = _nights()
    for d in nights[4:]:
        store.put(d)
    paths = []
    for d in nights[:4]:
        p = tmp_path / f"{d['run']['id']}.json"
        p.write_bytes(canonical_json(d))
        paths.append(str(p))
    notes: list[str] = []
    stored = import_files(store, list(reversed(paths)), None, notes.append)
    assert [s.seq for s in stored] == [1, 2, 3, 4]
    assert all("in time order, before 4 later run(s)" in n for n in notes), notes
    scope = stored[0].scope
    assert [r.id for r in store.runs(scope)] == [d["run"]["id"] for d in nights]
    assert store.verify() == []
    # the audit-period report says which runs were stored late, in every format
    from scanner.render.period_html import render
    p = period.build(store, scope, dt.date(2026, 3, 1), dt.date(2026, 3, 8), None,
                     now=dt.datetime(2026, 4, 1, tzinfo=dt.timezone.utc))
    late = p["integrity"]["stored_out_of_order"]
    assert p["integrity"]["chain_ok"] and len(late) == 4
    assert all(d["run"]["id"] in x for d, x in zip(nights[:4], late))
    md, html = render(p, "markdown"), render(p, "html")
    for d in nights[:4]:
        assert d["run"]["id"] in md and d["run"]["id"] in html
    assert "Stored out of time order" in md and "Stored out of time order" in html


def test_a_since_read_is_not_reused_when_another_run_was_stored_meanwhile(store_url):
    """scan --store reads the scope's statuses for its reports (since) and put() reuses that read;
    if another process stored a run of the scope in between, put() must read again."""
    from storelib import open_test_store
    nights = _nights()
    a, b = open_test_store(store_url), open_test_store(store_url)
    try:
        a.put(nights[0], scope="s")
        a.since("s", nights[2])                   # read at night 0
        b.put(nights[1], scope="s")               # another writer stores night 1 meanwhile
        a.put(nights[2], scope="s")
        ref = open_test_store(store_url)
        try:
            for i in (0, 1, 2):
                d = json.loads(canonical_json(nights[i])) | {"run": dict(nights[i]["run"], id=f"ref-{i}")}
                ref.put(d, scope="ref")
            assert _state(a, "s")["intervals"] == _state(ref, "ref")["intervals"]
        finally:
            ref.dispose()
    finally:
        a.dispose()
        b.dispose()


def test_the_since_entry_of_a_run_older_than_the_latest_names_the_run_before_it(store):
    """A run whose start is before the scope's latest (a runner's clock behind) says what changed
    since the run before it in time, the one it will follow once stored, by diff's rules."""
    nights = _nights()
    store.put(nights[2], scope="s")
    assert store.since("s", nights[1]) == {"scope": "s", "previous_run": None}
    store.put(nights[0], scope="s")
    h = store.since("s", nights[1])
    c = compare(nights[0], nights[1])["counts"]
    assert h == {"scope": "s", "previous_run": {"id": nights[0]["run"]["id"],
                                                "started_at": nights[0]["run"]["started_at"]},
                 "new": c["new"], "resolved": c["resolved"]}
    assert c["resolved"] > 0
    nights[1]["history"] = h
    s = store.put(nights[1], scope="s")
    assert (s.seq, s.later) == (2, 1)
    assert store.previous(store.run(s.id)).id == nights[0]["run"]["id"]
