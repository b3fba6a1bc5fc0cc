"""Putting runs into the store and taking them out: one transaction per run, the hash chain
per scope, findings as status intervals, and ``verify``.

The chain: each run's ``chain_hash`` is the SHA-256 of the scope, its place in the scope's chain
(``chain_pos``), its id, its start, its results SHA-256, the SHA-256 of its stored (compressed)
bytes and the previous stored run's ``chain_hash`` (``prev_hash``).  ``verify`` recomputes every
hash, so an altered document, an altered row or a run taken out of the middle or the end of a
scope is named.

The chain is the order runs were *stored* in, an append-only log; ``seq`` is their order in
*time* (``started_at``), which diff, history and the period report read.  A run older than the
scope's latest (``store import`` of earlier CI artifacts) takes its place in time: the later
runs' ``seq`` and the status intervals shift to make room, but it is appended to the chain, so no
recorded hash changes: a chain head an auditor noted earlier is still in the chain, and a run
back-dated into the past is visible as such (``verify`` lists runs stored out of time order).  The
full check decompresses every document; the quick one (the period report's) hashes the stored
bytes, which the chain covers too, so it detects the same alterations in a fraction of the time.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import lzma
import os
import threading
import zlib
from collections import Counter
from dataclasses import dataclass
from operator import itemgetter

from sqlalchemy import and_, func, select, update

from ..errors import InputError
from . import schema as t

# Zstandard level 1, one frame with its content checksum: the 10,000-resource plan's 10.8 MB
# document in 6 ms of CPU to 1/21, a synthetic estate night to 1/39, and read back in 2 ms.  LZMA
# preset 0 (the codec before revision 0004, still read) took 0.18 s to 1/16 and 1/50, and 29 ms to
# read back: its compression had become most of what storing a run cost.  zlib level 1 (0.035 s) made
# the estate's nights 1/9 (its 32 KB window misses repeats further apart).
CODEC = "zstd"
ZSTD_LEVEL = 1
CHAIN_VERSION = "specguard-chain-1"
STATUSES = ("pass", "fail", "unknown", "waived")


def canonical(doc: dict) -> bytes:
    from ..canonical import canonical_json
    return canonical_json(doc)


def chain_hash(scope: str, pos: int, run_id: str, started_at: str, results_sha256: str, stored_sha256: str,
               prev: str | None) -> str:
    """``pos``: the run's place in the scope's chain (stores made before revision 0003 had no
    other order, so their recorded hashes are of the same text)."""
    text = "\n".join((CHAIN_VERSION, scope, str(pos), run_id, started_at, results_sha256, stored_sha256, prev or ""))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_scope(doc: dict) -> str:
    """Which runs are "the same audit" when --scope does not say: the accounts and regions
    (AWS), the subscriptions (Azure) or the input paths (scan)."""
    command = (doc.get("run") or {}).get("command") or ""
    scope = doc.get("scope") or {}
    if command == "audit aws":
        return ("aws accounts=" + ",".join(sorted(scope.get("accounts", []))) +
                " regions=" + ",".join(sorted(scope.get("regions", []))))
    if command == "audit azure":
        return "azure subscriptions=" + ",".join(sorted(scope.get("subscriptions", [])))
    paths = sorted({s.get("path", "") for s in doc.get("sources", []) if s.get("path")})
    return (command or "scan") + " " + ",".join(paths)


def scope_of(doc: dict, explicit: str | None = None) -> str:
    if explicit:
        return explicit
    recorded = (doc.get("history") or {}).get("scope")
    return recorded if isinstance(recorded, str) and recorded else default_scope(doc)


def now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def waiver_key(w: dict) -> str:
    body = {k: w.get(k) for k in ("control_id", "resource", "reason", "approver", "expires", "origin")}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass
class Stored:
    id: str
    scope: str
    seq: int
    results_sha256: str
    duplicate: bool = False
    later: int = 0          # runs of the scope that started after it (stored before it): 0 when appended


class Store:
    def __init__(self, engine, url):
        self.engine = engine
        self.url = url
        self._state = None   # (scope, chain head run id, _open_state(), (findings, _Changes)) since() -> put()
        self._prepared = None   # (document, its canonical bytes, (SHA-256, compressed) to come) from prepare()
        self._first = None      # (scope, document): since() found no run of the scope, for prepare()
        self._early = None      # _Early: a first run's findings being written since prepare(), for put()

    @property
    def shown(self) -> str:
        from .engine import shown
        return shown(self.url)

    def dispose(self) -> None:
        self._forget()
        self._abandon()
        self.engine.dispose()

    def _read(self):
        conn = self.engine.connect()
        return conn.execution_options(readonly=True)

    # ------------------------------------------------------------------ writing
    def prepare(self, doc: dict) -> None:
        """Encode a run's document now, before its outputs are rendered: until put() stores it,
        these bytes are the document's canonical JSON for the outputs too (the JSON output, the
        reports' hash: scanner/canonical.py), so a run is encoded once.  Hashing and compressing
        them release the GIL: another thread does both while the outputs are rendered."""
        from concurrent.futures import ThreadPoolExecutor

        from ..canonical import canonical_json, hold
        self._forget()
        self._abandon()
        first, self._first = self._first, None
        if first is not None and first[1] is doc and (doc.get("history") or {}).get("scope") == first[0]:
            # a scope's first run: its rows are written while the document is encoded (_Early)
            self._early = _Early.start(self.engine, first[0], doc)
        data = canonical_json(doc)
        hold(doc, lambda: data)
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="specguard-store")
        self._prepared = (doc, data, pool.submit(_digest_and_compress, data))
        pool.shutdown(wait=False)

    def _abandon(self) -> None:
        """Roll back a first run's early writing that no put() took."""
        early, self._early = self._early, None
        if early is not None:
            early.abort()

    def _forget(self) -> None:
        if self._prepared is not None:
            from ..canonical import release
            release(self._prepared[0])
            self._prepared = None

    def put(self, doc: dict, scope: str | None = None, data: bytes | None = None) -> Stored:
        """Store one run in one transaction.  ``data``: the canonical bytes when the caller has
        them (they are what -o results.json wrote).  A run whose results SHA-256 is already
        stored is not stored again (``duplicate``)."""
        prep = self._prepared
        self._forget()
        done = None
        if prep is not None and prep[0] is doc and (data is None or data is prep[1]):
            data, done = prep[1], prep[2]
        elif data is None:
            data = canonical(doc)
        sha, blob = done.result() if done is not None else _digest_and_compress(data)
        return self._put(doc, data, scope_of(doc, scope), sha, blob)

    def _put(self, doc: dict, data: bytes, name: str, sha: str, blob: bytes) -> Stored:
        early, self._early, self._first = self._early, None, None
        controls = self._control_rows(doc)    # while a first run's rows may still be being written
        begun = early.take(doc, name) if early is not None else None
        try:
            if begun is None:
                with self.engine.begin() as conn:
                    return self._write(conn, doc, data, name, sha, blob, None, controls)
            conn, tx, sc = begun      # the transaction prepare() began, the run's findings written in it
            try:
                try:
                    out = self._write(conn, doc, data, name, sha, blob, sc, controls)
                except BaseException:
                    tx.rollback()
                    raise
                tx.commit()
                return out
            finally:
                conn.close()
        except _Duplicate as d:       # nothing written (or what was, rolled back)
            return d.stored

    def _write(self, conn, doc: dict, data: bytes, name: str, sha: str, blob: bytes, early,
               controls: list[tuple]) -> Stored:
        """The run in the caller's transaction.  ``early``: the scope's row, locked, when the
        transaction began in prepare() with the run's findings and intervals written (_Early)."""
        run = doc["run"]
        run_id, started = run["id"], run["started_at"]
        dup = conn.execute(select(t.runs.c.id, t.runs.c.seq, t.scopes.c.name)
                           .join(t.scopes, t.scopes.c.id == t.runs.c.scope_id)
                           .where(t.runs.c.results_sha256 == sha)).first()
        if dup is not None:
            raise _Duplicate(Stored(dup.id, dup.name, dup.seq, sha, duplicate=True))
        if conn.execute(select(t.runs.c.id).where(t.runs.c.id == run_id)).first() is not None:
            raise InputError(f"run {run_id} is already stored with other results (a different SHA-256)")
        sc = early if early is not None else self._lock_scope(conn, name)
        pos = sc.runs + 1                      # its place in the chain: the order of storing
        # its place in time: after every run that started before it or at the same second
        later = conn.execute(select(func.count()).select_from(t.runs).where(
            and_(t.runs.c.scope_id == sc.id, t.runs.c.started_at > started))).scalar() if sc.runs else 0
        seq = pos - later
        # intervals first: they reference no run row
        if later:
            self._state = None
            self._make_room(conn, sc.id, seq)
            self._splice(conn, sc.id, seq, doc.get("findings") or [])
        elif early is None:
            self._intervals(conn, sc.id, seq, doc.get("findings") or [], (name, sc.head_run_id))
        stored = hashlib.sha256(blob).hexdigest()
        chain = chain_hash(name, pos, run_id, started, sha, stored, sc.head_hash)
        summary = doc.get("summary") or {}
        conn.execute(t.runs.insert().values(
            id=run_id, scope_id=sc.id, seq=seq, started_at=started, finished_at=run.get("finished_at", started),
            stored_at=now_utc(), command=run.get("command", ""), profile=run.get("profile", ""),
            profile_sha256=run.get("profile_sha256", ""), tool_version=(doc.get("tool") or {}).get("version", ""),
            n_pass=summary.get("pass", 0), n_fail=summary.get("fail", 0), n_unknown=summary.get("unknown", 0),
            n_waived=summary.get("waived", 0), results_sha256=sha, stored_sha256=stored,
            prev_run_id=sc.head_run_id, chain_pos=pos,
            prev_hash=sc.head_hash, chain_hash=chain))
        self._controls(conn, run_id, controls)
        self._waivers(conn, sc.id, seq, doc.get("waivers") or [])
        conn.execute(t.documents.insert().values(run_id=run_id, codec=CODEC, size=len(data), data=blob))
        conn.execute(update(t.scopes).where(t.scopes.c.id == sc.id)
                     .values(runs=pos, head_run_id=run_id, head_hash=chain))
        return Stored(run_id, name, seq, sha, later=later)

    @staticmethod
    def _lock_scope(conn, name: str):
        """The scope's row, locked until the transaction ends (SQLite: the whole store is, by
        BEGIN IMMEDIATE), so two runs of one scope take consecutive places in its chain."""
        dialect = conn.dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        conn.execute(insert(t.scopes).values(name=name, runs=0).on_conflict_do_nothing(index_elements=["name"]))
        q = select(t.scopes).where(t.scopes.c.name == name)
        if dialect == "postgresql":
            q = q.with_for_update()
        return conn.execute(q).one()

    @staticmethod
    def _open_state(conn, scope_id: int) -> dict:
        """{fingerprint: (finding id, open interval id, status, severity)} of every finding of the
        scope; the interval's fields are None when the latest run did not report the finding."""
        # tens of thousands of rows: straight from the driver's cursor (plain tuples, one fetch
        # each).  Two queries: the open intervals by their index, then the fingerprints; a join
        # probed every finding's intervals, more of them each year, and cost more than both.
        opened = {r[0]: r for r in _fetch(conn, "SELECT finding_id, id, status, severity FROM intervals "
                                                "WHERE scope_id = ? AND to_seq IS NULL", (scope_id,))}
        return {fp: opened.get(fid) or (fid, None, None, None)
                for fp, fid in _fetch(conn, "SELECT fingerprint, id FROM findings WHERE scope_id = ?", (scope_id,))}

    def _intervals(self, conn, scope_id: int, seq: int, found: list[dict], head: tuple) -> None:
        """A finding whose status and severity are those of its open interval adds nothing;
        a change closes the open interval and opens one; a finding no longer reported closes."""
        state, self._state = self._state, None
        if state is not None and state[:2] == head:
            # since() read them for this run's reports and the scope's head has not moved since;
            # and worked out the changes when this is the list it compared
            ch = state[3][1] if state[3][0] is found else _Changes(state[2], found, scope_id)
        else:
            ch = _Changes(self._open_state(conn, scope_id), found, scope_id)
        close, start, new_findings = ch.close, ch.start, ch.new
        ids: dict[str, int] = {}
        if new_findings:
            # a bulk insert and one query for the ids: RETURNING per row costs a round trip each
            _insert(conn, "findings", ("scope_id", "fingerprint", "control_id", "address", "resource_type"),
                    new_findings)
            if len(new_findings) <= 500:
                ids = dict(conn.execute(select(t.findings.c.fingerprint, t.findings.c.id).where(
                    (t.findings.c.scope_id == scope_id) & t.findings.c.fingerprint.in_([r[1] for r in new_findings]))
                    ).all())
            else:
                ids = _finding_ids(conn, scope_id)
        if close:
            _bulk(conn, "UPDATE intervals SET to_seq = ? WHERE id = ?", [(seq, i) for i in close])
        rows = [(scope_id, fid, st, sev, seq) for fid, st, sev in start]
        rows += [(scope_id, ids[fp], st, sev, seq) for fp, st, sev in ch.start_new]
        if rows:
            _insert(conn, "intervals", ("scope_id", "finding_id", "status", "severity", "from_seq"), rows)

    @staticmethod
    def _make_room(conn, scope_id: int, seq: int) -> None:
        """Places ``seq`` and after move one later in time: runs, interval bounds, waiver spans.
        (Two steps for the runs: their (scope, seq) is unique at every row, in PostgreSQL too.)"""
        _bulk(conn, "UPDATE runs SET seq = -(seq + 1) WHERE scope_id = ? AND seq >= ?", [(scope_id, seq)])
        _bulk(conn, "UPDATE runs SET seq = -seq WHERE scope_id = ? AND seq < 0", [(scope_id,)])
        for sql in ("UPDATE intervals SET from_seq = from_seq + 1 WHERE scope_id = ? AND from_seq >= ?",
                    "UPDATE intervals SET to_seq = to_seq + 1 WHERE scope_id = ? AND to_seq >= ?",
                    "UPDATE waivers SET first_seq = first_seq + 1 WHERE scope_id = ? AND first_seq >= ?",
                    "UPDATE waivers SET last_seq = last_seq + 1 WHERE scope_id = ? AND last_seq >= ?"):
            _bulk(conn, sql, [(scope_id, seq)])

    def _splice(self, conn, scope_id: int, seq: int, found: list[dict]) -> None:
        """A run put at ``seq`` between two stored ones (after _make_room): the interval that
        spans it (status at ``seq - 1``, carried over the new place) is kept where the run agrees,
        otherwise cut around it; the run's own status joins the interval that begins right after
        it when they agree, so no two intervals of a finding in a row have the same status."""
        ids = _finding_ids(conn, scope_id)
        cover: dict[int, tuple] = {}     # finding id -> (interval id, status, severity, to_seq)
        after: dict[int, tuple] = {}     # finding id -> (interval id, status, severity) beginning at seq + 1
        rows = conn.execute(select(t.intervals.c.id, t.intervals.c.finding_id, t.intervals.c.status,
                                   t.intervals.c.severity, t.intervals.c.from_seq, t.intervals.c.to_seq)
                            .where(and_(t.intervals.c.scope_id == scope_id,
                                        ((t.intervals.c.from_seq < seq) &
                                         (t.intervals.c.to_seq.is_(None) | (t.intervals.c.to_seq > seq))) |
                                        (t.intervals.c.from_seq == seq + 1)))).all()
        for iid, fid, st, sev, a, b in rows:
            if a == seq + 1:
                after[fid] = (iid, st, sev)
            else:
                cover[fid] = (iid, st, sev, b)
        new_findings, seen = [], set()
        cut, move, add = [], [], []      # (to_seq, id), (from_seq, id), (fp or id, status, severity, from, to)
        for f in found:
            fp = f.get("fingerprint")
            if not fp or fp in seen:
                continue
            seen.add(fp)
            here = (f["status"], f["severity"])
            fid = ids.get(fp)
            if fid is None:
                res = f.get("resource") or {}
                new_findings.append((scope_id, fp, f["control_id"], res.get("address", ""), res.get("type", "")))
                add.append((fp, *here, seq, seq + 1))
                continue
            c = cover.pop(fid, None)
            if c is not None and (c[1], c[2]) == here:
                continue
            tail = False
            if c is not None:
                cut.append((seq, c[0]))
                tail = c[3] is None or c[3] > seq + 1
                if tail:
                    add.append((fid, c[1], c[2], seq + 1, c[3]))
            n = None if tail else after.get(fid)
            if n is not None and (n[1], n[2]) == here:
                move.append((seq, n[0]))
            else:
                add.append((fid, *here, seq, seq + 1))
        for fid, (iid, st, sev, b) in cover.items():     # findings this run does not report
            cut.append((seq, iid))
            if b is None or b > seq + 1:
                add.append((fid, st, sev, seq + 1, b))
        if new_findings:
            _insert(conn, "findings", ("scope_id", "fingerprint", "control_id", "address", "resource_type"),
                    new_findings)
            ids = _finding_ids(conn, scope_id)
        if cut:
            _bulk(conn, "UPDATE intervals SET to_seq = ? WHERE id = ?", cut)
        if move:
            _bulk(conn, "UPDATE intervals SET from_seq = ? WHERE id = ?", move)
        if add:
            _insert(conn, "intervals", ("scope_id", "finding_id", "status", "severity", "from_seq", "to_seq"),
                    [(scope_id, ids[k] if isinstance(k, str) else k, st, sev, a, b) for k, st, sev, a, b in add])

    @staticmethod
    def _control_rows(doc: dict) -> list[tuple]:
        """Per control: its severity and its findings' counts by status (run_controls' rows)."""
        pairs = Counter(map(_CONTROL_STATUS, doc.get("findings") or []))
        sev = {c["id"]: c.get("severity", "") for c in doc.get("controls") or []}
        ids = list(sev) + sorted({c for c, _ in pairs if c not in sev})
        return [(c, sev.get(c, ""), *(pairs[(c, k)] for k in STATUSES)) for c in ids]

    @staticmethod
    def _controls(conn, run_id: str, rows: list[tuple]) -> None:
        if rows:   # straight to the driver: SQLAlchemy's parameter processing cost more than the rows
            _insert(conn, "run_controls", ("run_id", "control_id", "severity", "n_pass", "n_fail", "n_unknown",
                                           "n_waived"), [(run_id, *r) for r in rows])

    def _waivers(self, conn, scope_id: int, seq: int, listed: list[dict]) -> None:
        if not listed:
            return
        have = {r.key: r for r in conn.execute(select(t.waivers.c.key, t.waivers.c.id, t.waivers.c.first_seq,
                                                      t.waivers.c.last_seq).where(t.waivers.c.scope_id == scope_id))}
        seen, new, old = set(), [], []
        for w in listed:
            k = waiver_key(w)
            if k in seen:
                continue
            seen.add(k)
            if k in have:
                h = have[k]
                old.append({"wid": h.id, "first": min(h.first_seq, seq), "last": max(h.last_seq, seq)})
            else:
                body = {x: w.get(x) for x in ("control_id", "resource", "reason", "approver", "expires", "origin")}
                new.append({"scope_id": scope_id, "key": k, "body": json.dumps(body, sort_keys=True),
                            "first_seq": seq, "last_seq": seq})
        if old:
            from sqlalchemy import bindparam
            conn.execute(update(t.waivers).where(t.waivers.c.id == bindparam("wid"))
                         .values(first_seq=bindparam("first"), last_seq=bindparam("last")), old)
        if new:
            conn.execute(t.waivers.insert(), new)

    # ------------------------------------------------------------------ reading
    def scopes(self) -> list[str]:
        with self._read() as conn, conn.begin():
            return [r.name for r in conn.execute(select(t.scopes.c.name).order_by(t.scopes.c.name))]

    def scope_id(self, conn, name: str) -> int:
        sid = conn.execute(select(t.scopes.c.id).where(t.scopes.c.name == name)).scalar()
        if sid is None:
            raise InputError(f"no scope {name!r} in the store ({self._scope_list(conn)})")
        return sid

    def _scope_list(self, conn) -> str:
        names = [r.name for r in conn.execute(select(t.scopes.c.name).order_by(t.scopes.c.name))]
        return "scopes: " + ", ".join(repr(n) for n in names[:10]) if names else "it holds no runs"

    def pick_scope(self, name: str | None) -> str:
        """The scope a command means: the one named, or the only one the store holds."""
        with self._read() as conn, conn.begin():
            if name:
                self.scope_id(conn, name)
                return name
            names = [r.name for r in conn.execute(select(t.scopes.c.name).order_by(t.scopes.c.name))]
        if len(names) == 1:
            return names[0]
        if not names:
            raise InputError(f"the store {self.shown} holds no runs")
        raise InputError(f"the store holds {len(names)} scopes: name one with --scope "
                         f"({', '.join(repr(n) for n in names[:10])})")

    def runs(self, scope: str) -> list:
        with self._read() as conn, conn.begin():
            sid = self.scope_id(conn, scope)
            return list(conn.execute(select(t.runs).where(t.runs.c.scope_id == sid).order_by(t.runs.c.seq)))

    def run(self, ref: str):
        """A stored run by its id (or an unambiguous beginning of it, at least 6 characters)."""
        with self._read() as conn, conn.begin():
            row = conn.execute(select(t.runs, t.scopes.c.name.label("scope"))
                               .join(t.scopes, t.scopes.c.id == t.runs.c.scope_id)
                               .where(t.runs.c.id == ref)).first()
            if row is None and len(ref) >= 6:
                rows = conn.execute(select(t.runs, t.scopes.c.name.label("scope"))
                                    .join(t.scopes, t.scopes.c.id == t.runs.c.scope_id)
                                    .where(t.runs.c.id.startswith(ref, autoescape=True)).limit(2)).all()
                if len(rows) == 2:
                    raise InputError(f"run id {ref!r} is ambiguous: give more of it")
                row = rows[0] if rows else None
        if row is None:
            raise InputError(f"no run {ref!r} in the store")
        return row

    def previous(self, run_row):
        """The run stored before this one in its scope, or None."""
        if run_row.seq <= 1:
            return None
        with self._read() as conn, conn.begin():
            return conn.execute(select(t.runs, t.scopes.c.name.label("scope"))
                                .join(t.scopes, t.scopes.c.id == t.runs.c.scope_id)
                                .where(and_(t.runs.c.scope_id == run_row.scope_id,
                                            t.runs.c.seq < run_row.seq))
                                .order_by(t.runs.c.seq.desc()).limit(1)).first()

    def before(self, scope: str, started_at: str, run_id: str):
        """The run of a scope stored as the one before a run that started at ``started_at`` (the
        latest that started no later, other than the run itself), or None."""
        with self._read() as conn, conn.begin():
            sid = conn.execute(select(t.scopes.c.id).where(t.scopes.c.name == scope)).scalar()
            if sid is None:
                return None
            return conn.execute(select(t.runs, t.scopes.c.name.label("scope"))
                                .join(t.scopes, t.scopes.c.id == t.runs.c.scope_id)
                                .where(and_(t.runs.c.scope_id == sid, t.runs.c.id != run_id,
                                            t.runs.c.started_at <= started_at))
                                .order_by(t.runs.c.seq.desc()).limit(1)).first()

    def latest(self, scope: str):
        with self._read() as conn, conn.begin():
            sid = self.scope_id(conn, scope)
            row = conn.execute(select(t.runs, t.scopes.c.name.label("scope"))
                               .join(t.scopes, t.scopes.c.id == t.runs.c.scope_id)
                               .where(t.runs.c.scope_id == sid).order_by(t.runs.c.seq.desc()).limit(1)).first()
        if row is None:
            raise InputError(f"scope {scope!r} holds no runs")
        return row

    def head(self, scope: str):
        """The latest run of a scope, or None when the scope is new."""
        with self._read() as conn, conn.begin():
            sid = conn.execute(select(t.scopes.c.id).where(t.scopes.c.name == scope)).scalar()
            if sid is None:
                return None
            return conn.execute(select(t.runs).where(t.runs.c.scope_id == sid)
                                .order_by(t.runs.c.seq.desc()).limit(1)).first()

    def since(self, scope: str, doc: dict) -> dict:
        """The ``history`` entry of a run about to be stored: its scope and, against the scope's
        latest run, how many failures are new and how many resolved (diff's rules), read from
        the open intervals (the latest run's statuses) rather than from its whole document."""
        from .diff import is_new, is_resolved
        self._abandon()
        self._first = None
        with self._read() as conn, conn.begin():
            sc = conn.execute(select(t.scopes.c.id, t.scopes.c.head_run_id).where(t.scopes.c.name == scope)).first()
            head = None if sc is None else conn.execute(
                select(t.runs.c.id, t.runs.c.started_at).where(t.runs.c.scope_id == sc.id)
                .order_by(t.runs.c.seq.desc()).limit(1)).first()
            if head is None:
                self._first = (scope, doc)      # prepare() may write its findings early
                return {"scope": scope, "previous_run": None}
            run = doc.get("run") or {}
            if head.started_at > run.get("started_at", head.started_at):
                # a run older than the scope's latest (a runner's clock behind): against the run
                # before it in time, as it will be stored, from that run's document
                return self._since_older(scope, doc)
            known = self._open_state(conn, sc.id)
        found = doc.get("findings") or []
        ch = _Changes(known, found, sc.id)
        # put() reuses them while the chain's head (the last run stored) is still this one
        self._state = (scope, sc.head_run_id, known, (found, ch))
        # the rules apply to each distinct (before, after) pair of statuses that changed
        pairs = ch.pairs
        return {"scope": scope, "previous_run": {"id": head.id, "started_at": head.started_at},
                "new": sum(n for (b, a), n in pairs.items() if is_new(b, a)),
                "resolved": sum(n for (b, a), n in pairs.items() if is_resolved(b, a))}

    def _since_older(self, scope: str, doc: dict) -> dict:
        from .diff import compare
        run = doc.get("run") or {}
        prev = self.before(scope, run.get("started_at", ""), run.get("id", ""))
        if prev is None:
            return {"scope": scope, "previous_run": None}
        counts = compare(self.get_doc(prev.id), doc)["counts"]
        return {"scope": scope, "previous_run": {"id": prev.id, "started_at": prev.started_at},
                "new": counts["new"], "resolved": counts["resolved"]}

    def get_bytes(self, run_id: str) -> bytes:
        """The run's results document exactly as it was written (checked against its SHA-256)."""
        with self._read() as conn, conn.begin():
            row = conn.execute(select(t.documents.c.data, t.documents.c.codec, t.runs.c.results_sha256)
                               .join(t.runs, t.runs.c.id == t.documents.c.run_id)
                               .where(t.documents.c.run_id == run_id)).first()
        if row is None:
            raise InputError(f"run {run_id}: its results document is not in the store")
        try:
            data = _decode(row.codec, row.data)
        except _Damaged:
            data = b""
        if hashlib.sha256(data).hexdigest() != row.results_sha256:
            raise InputError(f"run {run_id}: its stored document does not match its SHA-256 "
                             "(the store was altered; see specguard store verify)")
        return data

    def get_doc(self, run_id: str) -> dict:
        return json.loads(self.get_bytes(run_id))

    # ------------------------------------------------------------------ integrity
    def verify(self, scope: str | None = None, full: bool = True, notes: list | None = None) -> list[str]:
        """Every problem found, one sentence each naming the run; [] when the chain holds.
        ``full``: decompress every document and check its results SHA-256 as well.  ``notes``
        receives what is no problem but an auditor should know: runs stored out of time order."""
        problems: list[str] = []
        with self._read() as conn, conn.begin():
            q = select(t.scopes).order_by(t.scopes.c.name)
            if scope:
                q = q.where(t.scopes.c.name == scope)
            for sc in conn.execute(q).all():
                problems += self._verify_scope(conn, sc, full, notes if notes is not None else [])
                problems += _broken_references(conn, sc)
            if not scope:
                problems += _broken_references(conn, None)
        return problems

    def backfilled(self, scope: str) -> list[dict]:
        """The runs of a scope stored after runs that started later (imported out of time order)."""
        notes: list = []
        with self._read() as conn, conn.begin():
            sc = conn.execute(select(t.scopes).where(t.scopes.c.name == scope)).first()
            if sc is None:
                return []
            rows = self._chain_rows(conn, sc.id)
        return _stored_late(rows, notes)

    @staticmethod
    def _chain_rows(conn, scope_id: int) -> list:
        return conn.execute(select(t.runs.c.id, t.runs.c.seq, t.runs.c.chain_pos, t.runs.c.started_at,
                                   t.runs.c.stored_at, t.runs.c.results_sha256, t.runs.c.stored_sha256,
                                   t.runs.c.prev_run_id, t.runs.c.prev_hash, t.runs.c.chain_hash)
                            .where(t.runs.c.scope_id == scope_id).order_by(t.runs.c.chain_pos)).all()

    def _verify_scope(self, conn, sc, full: bool = True, notes: list | None = None) -> list[str]:
        """The chain is walked in the order runs were stored (``chain_pos``); the order in time
        (``seq``) is checked against the start times the chain covers."""
        out: list[str] = []
        rows = self._chain_rows(conn, sc.id)
        docs = conn.execute(select(t.documents.c.run_id, t.documents.c.codec, t.documents.c.data)
                            .join(t.runs, t.runs.c.id == t.documents.c.run_id)
                            .where(t.runs.c.scope_id == sc.id).execution_options(yield_per=16))
        digests = {}
        # decompressing and hashing release the GIL: two threads halve a year's check
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
            batch: list = []
            for d in itertools.chain(docs, [None]):
                if d is not None:
                    batch.append((d.run_id, d.codec, d.data))
                if len(batch) >= 32 or (d is None and batch):
                    digests.update(zip([b[0] for b in batch], pool.map(_digest if full else _stored_digest, batch)))
                    batch = []
        prev = None
        expect_seq = 1
        where = f"scope {sc.name!r}"
        for r in rows:
            if r.chain_pos != expect_seq:
                missing = r.prev_run_id or "?"
                out.append(f"{where}: run {missing} was removed (runs {expect_seq}..{r.chain_pos - 1} of the scope's "
                           f"chain are missing; run {r.id} names {missing} as its previous run)")
            elif prev is not None and r.prev_run_id != prev.id:
                out.append(f"{where}: run {r.id} names {r.prev_run_id} as its previous run, not {prev.id}")
            got = digests.get(r.id)
            want = (r.results_sha256, r.stored_sha256) if full else r.stored_sha256
            if got is None:
                out.append(f"{where}: run {r.id} ({r.started_at}): its results document was removed")
            elif got != want:
                out.append(f"{where}: run {r.id} ({r.started_at}): its results document was altered "
                           f"(its SHA-256 is not the one recorded)")
            expected_prev = prev.chain_hash if prev is not None and r.chain_pos == expect_seq else r.prev_hash
            if r.prev_hash != expected_prev:
                out.append(f"{where}: run {r.id}: its previous-run hash does not match run {prev.id}")
            if chain_hash(sc.name, r.chain_pos, r.id, r.started_at, r.results_sha256, r.stored_sha256,
                          r.prev_hash) != r.chain_hash:
                out.append(f"{where}: run {r.id} ({r.started_at}): its record was altered (chain hash mismatch)")
            prev, expect_seq = r, (r.chain_pos or 0) + 1
        # the order in time: places 1..n, following the start times the chain covers
        timed = sorted(rows, key=lambda r: r.seq)
        if [r.seq for r in timed] != list(range(1, len(timed) + 1)) and not out:
            out.append(f"{where}: the runs' places in time were altered (they are not 1..{len(timed)})")
        for a, b in zip(timed, timed[1:]):
            if b.started_at < a.started_at:
                out.append(f"{where}: the runs' places in time were altered: run {b.id} ({b.started_at}) is put "
                           f"after run {a.id} ({a.started_at})")
                break
        if notes is not None:
            _stored_late(rows, notes, where)
        last_seq = rows[-1].chain_pos if rows else 0
        if sc.runs != last_seq or (rows and sc.head_run_id != rows[-1].id) or (rows and sc.head_hash != rows[-1].chain_hash):
            out.append(f"{where}: the latest run(s) were removed: the scope recorded {sc.runs} run(s), the last "
                       f"{sc.head_run_id}, but its chain ends at run {rows[-1].id if rows else 'none'} ({last_seq})")
        return out

    def counts(self) -> dict:
        with self._read() as conn, conn.begin():
            return {name: conn.execute(select(func.count()).select_from(tab)).scalar()
                    for name, tab in (("runs", t.runs), ("findings", t.findings), ("intervals", t.intervals))}


_KEY = itemgetter("fingerprint", "status", "severity")
_CONTROL_STATUS = itemgetter("control_id", "status")


class _Changes:
    """A run's findings against the open state of its scope (``Store._open_state``), in one pass:
    the ``new`` findings' rows (scope, fingerprint, control, address, resource type) and their
    first intervals (``start_new``: fingerprint, status, severity), the open intervals to
    ``close``, the intervals that follow them (``start``: finding id, status, severity), and
    ``pairs``: how many findings' status went from each status to each other (None: not
    reported), for since().  A fingerprint reported twice counts once, as first reported."""

    def __init__(self, known: dict, found: list[dict], scope_id: int):
        self.new: list[tuple] = []
        self.start_new: list[tuple] = []
        self.close: list[int] = []
        self.start: list[tuple] = []
        self.pairs: Counter = Counter()
        try:
            rows = list(map(_KEY, found))
        except (KeyError, TypeError):
            rows = None
        now = {} if rows is None else {r[0]: r for r in rows}
        if rows is None or len(now) != len(rows) or "" in now or None in now:
            found, rows, now = self._first_of_each(found)
        get = known.get
        for (fp, st, sev), f in zip(rows, found):
            cur = get(fp)
            if cur is None:
                res = f.get("resource") or {}
                self.new.append((scope_id, fp, f["control_id"], res.get("address", ""), res.get("type", "")))
                self.start_new.append((fp, st, sev))
                self.pairs[(None, st)] += 1
            elif cur[2] != st or cur[3] != sev:      # else: the same as its open interval, nothing to do
                if cur[1] is not None:
                    self.close.append(cur[1])
                self.start.append((cur[0], st, sev))
                if cur[2] != st:
                    self.pairs[(cur[2], st)] += 1
        for fp, cur in known.items():               # findings this run no longer reports
            if cur[1] is not None and fp not in now:
                self.close.append(cur[1])
                self.pairs[(cur[2], None)] += 1

    @staticmethod
    def _first_of_each(found: list[dict]) -> tuple[list, list, dict]:
        firsts, rows, now = [], [], {}
        for f in found:
            fp = f.get("fingerprint")
            if fp and fp not in now:
                now[fp] = r = (fp, f["status"], f["severity"])
                rows.append(r)
                firsts.append(f)
        return firsts, rows, now


class _Duplicate(Exception):
    """The run's results are stored already: ``stored`` says where; nothing is written."""

    def __init__(self, stored: Stored):
        super().__init__(stored.id)
        self.stored = stored


def _first_rows(found: list[dict]) -> list[tuple]:
    """A first run's findings, as _Changes makes them against no stored state (a fingerprint
    reported twice counts once, as first reported): fingerprint, control, address, resource
    type, status, severity."""
    firsts, keys, _ = _Changes._first_of_each(found)
    rows = []
    for f, (fp, st, sev) in zip(firsts, keys):
        res = f.get("resource") or {}
        rows.append((fp, f["control_id"], res.get("address", ""), res.get("type", ""), st, sev))
    return rows


# SQLite: a first run's findings and their intervals (from run 1) from one JSON array of _first_rows,
# one statement per table: SQLite parses it, so the thread that runs them needs the interpreter only
# to start them.  The ids are given: max + 1 on, under the store's write lock.
_SQLITE_FINDINGS = ("INSERT INTO findings (id, scope_id, fingerprint, control_id, address, resource_type) "
                    "SELECT ?1 + key, ?2, value->>0, value->>1, value->>2, value->>3 FROM json_each(?3)")
_SQLITE_INTERVALS = ("INSERT INTO intervals (scope_id, finding_id, status, severity, from_seq) "
                     "SELECT ?2, ?1 + key, value->>4, value->>5, 1 FROM json_each(?3)")
# PostgreSQL: both tables in one statement, the ids drawn from the sequence, from the rows as one
# text: a row a record (separator 0x1E), a value a unit (0x1F), split by the server (4 ms to make
# against 20 ms for JSON, and 10 ms less for the server to read).  Not COPY, though the server takes
# less (0.13 s against 0.15 s for the 10,000-resource plan): COPY waits for the server at its start
# and end, and each time its thread needs the interpreter back, which the encoder holds throughout,
# so the rows would go only after the encoding.
_RECORD, _UNIT = "\x1e", "\x1f"
_PG_BOTH = ("WITH e AS MATERIALIZED (SELECT nextval(%(seq)s::regclass) AS id, string_to_array(r, E'\\x1f') AS v "
            "FROM unnest(string_to_array(%(rows)s, E'\\x1e')) AS r), "
            "f AS (INSERT INTO findings (id, scope_id, fingerprint, control_id, address, resource_type) "
            "SELECT id, %(scope)s, v[1], v[2], v[3], v[4] FROM e) "
            "INSERT INTO intervals (scope_id, finding_id, status, severity, from_seq) "
            "SELECT %(scope)s, id, v[5], v[6], 1 FROM e")


def _pg_text(rows: list[tuple]) -> str:
    """The rows as _PG_BOTH reads them; ValueError when a value holds a separator, TypeError when
    one is not a string."""
    text = _RECORD.join(map(_UNIT.join, rows))
    if text.count(_UNIT) != 5 * len(rows) or text.count(_RECORD) != len(rows) - 1:
        raise ValueError("a finding's value holds a separator")
    return text


class _Early:
    """A scope's first run writes a row into ``findings`` and one into ``intervals`` per finding:
    most of what storing it costs.  Nothing of them depends on the encoded document, so prepare()
    begins the run's transaction (the scope locked, as put() would), and another thread writes
    them while the document is encoded and the outputs are rendered; put() then writes the run
    in the same transaction and commits (one transaction per run, as ever).  The database does
    the work, from one text made beforehand, so that thread needs the interpreter only to start a
    statement (SQLite: one per table, from JSON; PostgreSQL: one).
    Whenever that cannot be (the store is busy with another writer: no waiting here; the scope
    has runs by now; the findings are not as expected; put() is for another document or scope),
    put() does it all itself, as before; a transaction no put() took is rolled back
    (Store.dispose, the next run's since() or prepare()), and so is one put() has not taken
    ``HOLD`` seconds after the rows were written (outputs that take long to render): the scope,
    and an SQLite store as a whole, are not kept from other writers longer than that, who wait up
    to engine.BUSY_TIMEOUT; put() then does it all itself."""

    HOLD = 10.0

    def __init__(self, conn, tx, sc, scope: str, doc: dict):
        self.conn, self.tx, self.sc = conn, tx, sc
        self.scope, self.doc, self.found = scope, doc, doc.get("findings")
        self.error: BaseException | None = None
        self.thread = None
        self.lock = threading.Lock()
        self.claimed = threading.Event()      # put() takes it, or it is abandoned
        self.written = threading.Event()      # the rows are in (not committed)
        self.expired = False                  # rolled back by the thread itself after HOLD

    @classmethod
    def start(cls, engine, scope: str, doc: dict) -> "_Early | None":
        from .engine import BUSY_TIMEOUT
        found = doc.get("findings")
        if not isinstance(found, list) or not found:
            return None
        conn = engine.connect()
        sqlite = conn.dialect.name == "sqlite"
        try:
            rows = _first_rows(found)
            if not rows:
                raise LookupError("no finding to write")
            if sqlite:
                rows = json.dumps(rows, ensure_ascii=False, allow_nan=False, check_circular=False,
                                  separators=(",", ":"))
                raw = conn.connection.dbapi_connection   # SQLAlchemy would begin a transaction first
                raw.execute("PRAGMA busy_timeout = 0")   # another writer: do not wait, put() will
                try:
                    tx = conn.begin()
                finally:
                    raw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT * 1000}")
            else:
                rows = _pg_text(rows)
                tx = conn.begin()
                conn.exec_driver_sql("SET LOCAL lock_timeout = '50ms'")
            sc = Store._lock_scope(conn, scope)
            if sc.runs:
                raise LookupError("not a first run")
            if sqlite:
                payload = ((conn.execute(select(func.max(t.findings.c.id))).scalar() or 0) + 1, rows)
            else:
                conn.exec_driver_sql("SET LOCAL lock_timeout = 0")
                # the sequence's name looked up once: per row it took a quarter of the statement
                payload = (conn.exec_driver_sql("SELECT pg_get_serial_sequence('findings', 'id')").scalar(), rows)
        except Exception:        # noqa: BLE001 - the driver's own errors too: put() does it all, as before,
            conn.close()         # and says what is wrong with the findings if anything is (closing rolls back)
            return None
        early = cls(conn, tx, sc, scope, doc)
        going = threading.Event()
        early.thread = threading.Thread(target=early._write, args=(sqlite, payload, going), daemon=True,
                                        name="specguard-store-first-run")
        early.thread.start()
        going.wait()     # the thread is at its statement: the encoder may take the interpreter now
        return early

    def _write(self, sqlite: bool, payload: tuple, going) -> None:
        try:
            cur = self.conn.connection.dbapi_connection.cursor()
            try:
                going.set()
                if sqlite:
                    cur.execute(_SQLITE_FINDINGS, (payload[0], self.sc.id, payload[1]))
                    cur.execute(_SQLITE_INTERVALS, (payload[0], self.sc.id, payload[1]))
                else:
                    cur.execute(_PG_BOTH, {"seq": payload[0], "scope": self.sc.id, "rows": payload[1]})
            finally:
                cur.close()
        except BaseException as e:     # put() does it itself
            self.error = e
        finally:
            going.set()
        if self.error is None:
            self.written.set()
        if self.error is None and not self.claimed.wait(self.HOLD):
            with self.lock:
                if not self.claimed.is_set():
                    self.expired = True
                    self._release()

    def _claim(self) -> bool:
        """Take the transaction from the thread: False when it rolled it back already (HOLD)."""
        with self.lock:
            self.claimed.set()
            expired = self.expired
        self.thread.join()
        return not expired

    def take(self, doc: dict, scope: str):
        """(connection, transaction, locked scope row) for put() of this very run, else None."""
        if not self._claim():
            return None
        if self.error is None and doc is self.doc and scope == self.scope and doc.get("findings") is self.found:
            return self.conn, self.tx, self.sc
        self._release()
        return None

    def abort(self) -> None:
        if self._claim():
            self._release()

    def _release(self) -> None:
        try:
            self.tx.rollback()
        except Exception:    # noqa: BLE001 - a connection that failed is closed all the same
            pass
        finally:
            self.conn.close()


def _stored_late(rows: list, notes: list, where: str | None = None) -> list[dict]:
    """Runs (in chain order) stored after a run that started later than they did."""
    out, latest = [], None
    for r in rows:
        if latest is not None and r.started_at < latest.started_at:
            item = {"id": r.id, "started_at": r.started_at, "stored_at": r.stored_at, "chain_pos": r.chain_pos,
                    "seq": r.seq, "after": latest.id}
            out.append(item)
            if where is not None:
                notes.append(f"{where}: run {r.id} ({r.started_at}) was stored on {r.stored_at}, after run "
                             f"{latest.id} ({latest.started_at}): imported out of time order, it is run {r.seq} "
                             f"in time and {r.chain_pos} in the chain")
        if latest is None or r.started_at >= latest.started_at:
            latest = r
    return out


def _broken_references(conn, sc) -> list[str]:
    """The references the query tables hold and no foreign key checks (revision 0005): each
    interval of scope ``sc`` names a finding of that scope; with ``sc`` None, every finding and
    interval belongs to a scope in the store.  A row deleted or changed by hand breaks them (and
    the period report, diff and history would silently leave it out)."""
    if sc is not None:
        (n, example), = _fetch(conn, "SELECT count(*), min(i.id) FROM intervals i LEFT JOIN findings f "
                                     "ON f.id = i.finding_id WHERE i.scope_id = ? AND "
                                     "(f.id IS NULL OR f.scope_id <> i.scope_id)", (sc.id,))
        return [f"scope {sc.name!r}: {n} status interval(s) (the first: {example}) name a finding that is not "
                "in the store or not of this scope (the findings or intervals table was altered)"] if n else []
    out = []
    for table, what in (("findings", "finding(s)"), ("intervals", "status interval(s)")):
        (n,), = _fetch(conn, f"SELECT count(*) FROM {table} WHERE scope_id NOT IN (SELECT id FROM scopes)", ())
        if n:
            out.append(f"{n} {what} belong to no scope in the store (the {table} or scopes table was altered)")
    return out


def _fetch(conn, sql: str, params: tuple) -> list[tuple]:
    """Tens of thousands of rows straight from the driver's cursor (plain tuples, one fetch), in
    the caller's transaction: SQLAlchemy's row objects cost more than the query."""
    if conn.dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")
    cur = conn.connection.dbapi_connection.cursor()
    try:
        cur.execute(sql, params)
        return cur.fetchall()
    finally:
        cur.close()


def _finding_ids(conn, scope_id: int) -> dict[str, int]:
    return dict(_fetch(conn, "SELECT fingerprint, id FROM findings WHERE scope_id = ?", (scope_id,)))


def _insert(conn, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Many rows into one table, in the caller's transaction: PostgreSQL's COPY (a first run's
    tens of thousands of findings and intervals: one stream instead of a statement each), SQLite's
    executemany (a loop in C, no round trips)."""
    if conn.dialect.name == "postgresql":
        cur = conn.connection.dbapi_connection.cursor()
        try:
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        finally:
            cur.close()
        return
    _bulk(conn, f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows)


def _bulk(conn, sql: str, rows: list[tuple]) -> None:
    """An executemany straight to the driver: SQLAlchemy's per-row parameter processing cost
    more than the database did for the tens of thousands of rows of a first run."""
    if conn.dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")
    conn.exec_driver_sql(sql, rows)


def _digest(item) -> tuple[str, str] | str:
    """(results SHA-256, stored SHA-256) of a stored document."""
    try:
        return hashlib.sha256(_decode(item[1], item[2])).hexdigest(), hashlib.sha256(item[2]).hexdigest()
    except _Damaged:
        return "undecodable"


def _stored_digest(item) -> str:
    return hashlib.sha256(item[2]).hexdigest()


def _compress(data: bytes) -> bytes:
    import zstandard
    return zstandard.ZstdCompressor(level=ZSTD_LEVEL, write_checksum=True).compress(data)


def _digest_and_compress(data: bytes) -> tuple[str, bytes]:
    return hashlib.sha256(data).hexdigest(), _compress(data)


class _Damaged(Exception):
    """Stored bytes that do not decompress."""


def _decode(codec: str, data: bytes) -> bytes:
    try:
        if codec == "zstd":
            import zstandard
            try:
                return zstandard.ZstdDecompressor().decompress(data, allow_extra_data=False)
            except zstandard.ZstdError as e:
                raise _Damaged(str(e))
        if codec == "xz":
            return lzma.decompress(data, format=lzma.FORMAT_XZ)
        if codec == "zlib":
            return zlib.decompress(data)
    except (zlib.error, lzma.LZMAError) as e:
        raise _Damaged(str(e))
    raise InputError(f"a stored document is compressed with {codec!r}, which this specguard cannot read: "
                     "upgrade specguard")
