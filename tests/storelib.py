"""Helpers for the history store's tests: results documents of a night, made from a real scan.

``base_doc()`` scans the violating AWS fixture once (the real pipeline); ``night(base, when,
statuses)`` is that run on another night with some findings' statuses changed, the summary and
the per-control counts recomputed, so it passes ``specguard report``'s checks like a real run.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import pathlib
import subprocess
import sys
import uuid
from functools import lru_cache

ROOT = pathlib.Path(__file__).resolve().parent.parent
PLAN = ROOT / "fixtures" / "aws-platform" / "violating" / "plan.json"
STATUSES = ("pass", "fail", "unknown", "waived")


@lru_cache(maxsize=1)
def _base_text(tmp: str = "/tmp") -> str:
    out = pathlib.Path(tmp) / f"specguard-store-base-{uuid.uuid4().hex}.json"
    subprocess.run([sys.executable, "-m", "scanner", "scan", str(PLAN), "-q", "--fail-on", "none",
                    "-f", "json", "-o", str(out)], check=True, cwd=ROOT, capture_output=True)
    text = out.read_text("utf-8")
    out.unlink()
    return text


def base_doc() -> dict:
    return json.loads(_base_text())


def stamp(day: dt.datetime | str) -> str:
    if isinstance(day, str):
        day = dt.datetime.fromisoformat(day)
    if day.tzinfo is None:
        day = day.replace(tzinfo=dt.timezone.utc)
    return day.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


WAIVER = {"control_id": "", "resource": "", "reason": "accepted until the migration", "approver": "ciso@example.com",
          "expires": "2099-12-31", "origin": "waivers.yaml", "status": "applied", "matched": []}


def night(base: dict, when, statuses: dict[str, str] | None = None, drop: set[str] | None = None,
          scope: str | None = None) -> dict:
    """A copy of ``base`` as run at ``when``: ``statuses`` {fingerprint: status} changed,
    ``drop`` fingerprints left out (the resource is gone)."""
    doc = copy.deepcopy(base)
    statuses, drop = statuses or {}, drop or set()
    doc["run"]["id"] = str(uuid.uuid4())
    doc["run"]["started_at"] = doc["run"]["finished_at"] = stamp(when)
    found, waivers = [], []
    for f in doc["findings"]:
        if f["fingerprint"] in drop:
            continue
        st = statuses.get(f["fingerprint"], f["status"])
        f["status"] = st
        f.pop("waiver", None)
        if st == "waived":
            w = dict(WAIVER, control_id=f["control_id"], resource=f["resource"]["address"],
                     matched=[f["resource"]["address"]])
            f["waiver"] = w
            waivers.append(w)
        found.append(f)
    doc["findings"] = found
    doc["waivers"] = waivers
    counts = {k: 0 for k in STATUSES}
    per: dict[str, dict[str, int]] = {}
    for f in found:
        counts[f["status"]] += 1
        per.setdefault(f["control_id"], {k: 0 for k in STATUSES})[f["status"]] += 1
    doc["summary"] = dict(counts, total=len(found))
    for c in doc["controls"]:
        c["counts"] = per.get(c["id"], {k: 0 for k in STATUSES})
        n = c["counts"]
        c["status"] = ("fail" if n["fail"] else "unknown" if n["unknown"] else
                       "waived" if n["waived"] else "pass" if n["pass"] else "not_applicable")
    if scope:
        doc["history"] = {"scope": scope}
    return doc


def fingerprints(doc: dict, status: str | None = None) -> list[str]:
    return [f["fingerprint"] for f in doc["findings"] if status is None or f["status"] == status]


# ----------------------------------------------------------------------------- fixtures
# Imported by the test modules (``from storelib import store_url, pg_server``): every store
# test runs against SQLite and a real PostgreSQL.
import itertools  # noqa: E402

import pytest  # noqa: E402

_dbs = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server():
    from pg_cluster import PgCluster, missing_reason
    why = missing_reason()
    if why:
        pytest.skip(why)
    with PgCluster() as pg:
        yield pg


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """A new, empty store's URL: an SQLite file, or a new database on the throwaway server."""
    if request.param == "sqlite":
        yield str(tmp_path / "history.sqlite")
        return
    pg = request.getfixturevalue("pg_server")
    name = f"store_{next(_dbs)}"
    yield pg.create_db(name)
    pg.drop_db(name)


def open_test_store(url: str, notes: list | None = None):
    from scanner.store import open_store
    return open_store(url, notice=(notes.append if notes is not None else None))


@pytest.fixture
def store(store_url):
    st = open_test_store(store_url)
    yield st
    st.dispose()


def kill_when_flagged(script: str, store_url: str, doc_path, flag, cwd) -> None:
    """Run ``script`` (python -c SCRIPT STORE_URL DOC FLAG) and SIGKILL it as soon as it writes
    ``flag``: a process killed mid-store, for the tests that the store is left as it was."""
    import signal
    import time
    proc = subprocess.Popen([sys.executable, "-c", script, store_url, str(doc_path), str(flag)], cwd=cwd)
    deadline = time.monotonic() + 60
    while not flag.exists():
        assert proc.poll() is None and time.monotonic() < deadline, "the storing process ended early"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
