"""The audit-period document (``specguard report --store URL --period START..END``).

Built from the store's query tables (runs, run_controls, intervals, waivers), never by
re-reading every night's results, and never by evaluating a rule: a 365-night period of a
10,000-finding estate is answered from a few tens of thousands of rows.  Schema:
scanner/data/period.schema.json.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict

from sqlalchemy import and_, or_, select

from ..errors import InputError
from . import schema as t

PERIOD_SCHEMA_VERSION = "1"
_PERIOD = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
SEVERITIES = ("critical", "high", "medium-high", "medium", "low", "info")


def parse_period(text: str) -> tuple[dt.date, dt.date]:
    m = _PERIOD.match((text or "").strip())
    if not m:
        raise InputError(f"--period {text!r}: expected START..END as dates, e.g. 2026-01-01..2026-06-30")
    try:
        start, end = dt.date.fromisoformat(m.group(1)), dt.date.fromisoformat(m.group(2))
    except ValueError as e:
        raise InputError(f"--period {text!r}: {e}")
    if end < start:
        raise InputError(f"--period {text!r}: the end is before the start")
    return start, end


def parse_expect(text: str | None) -> tuple[str, dt.timedelta]:
    """The schedule runs are expected on: daily (default), weekly or hours:N."""
    text = (text or "daily").strip().lower()
    if text == "daily":
        return "daily", dt.timedelta(days=1)
    if text == "weekly":
        return "weekly", dt.timedelta(days=7)
    m = re.fullmatch(r"hours:(\d{1,4})", text)
    if m and 1 <= int(m.group(1)) <= 24 * 366:
        return f"hours:{int(m.group(1))}", dt.timedelta(hours=int(m.group(1)))
    raise InputError(f"--expect {text!r}: expected daily, weekly or hours:N")


def _ts(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def _iso(t_: dt.datetime) -> str:
    return t_.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def gaps(run_times: list[dt.datetime], start: dt.date, end: dt.date, step: dt.timedelta,
         now: dt.datetime | None = None) -> list[dict]:
    """Scheduled windows with no run: windows of ``step`` from the period's first midnight (UTC)
    that ended by the end of the period or by now, whichever is first (a window still open may
    yet get its run; the last window is cut at the period's end); adjacent empty windows merge.
    Daily and weekly gaps are given as dates (both days included), hourly ones as times."""
    now = now or dt.datetime.now(dt.timezone.utc)
    t0 = dt.datetime.combine(start, dt.time(), dt.timezone.utc)
    t_end = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
    total = -((t0 - t_end) // step)                               # windows in the period, the last maybe cut short
    n = 0                                                         # ... of which ended by now
    while n < total and min(t0 + (n + 1) * step, t_end) <= now:
        n += 1
    filled = [False] * max(n, 0)
    for rt in run_times:
        i = int((rt - t0) / step)
        if 0 <= i < n:
            filled[i] = True
    out, i = [], 0
    dates = step >= dt.timedelta(days=1) and step % dt.timedelta(days=1) == dt.timedelta(0)
    while i < n:
        if filled[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and not filled[j + 1]:
            j += 1
        a, b = t0 + i * step, min(t0 + (j + 1) * step, t_end)
        if dates:
            last = min(b - dt.timedelta(days=1), dt.datetime.combine(end, dt.time(), dt.timezone.utc))
            out.append({"from": a.date().isoformat(), "to": last.date().isoformat(), "missing": j - i + 1})
        else:
            out.append({"from": _iso(a), "to": _iso(b), "missing": j - i + 1})
        i = j + 1
    return out


def build(store, scope: str | None, start: dt.date, end: dt.date, expect: str | None = None,
          now: dt.datetime | None = None) -> dict:
    schedule, step = parse_expect(expect)
    scope = store.pick_scope(scope)
    lo, hi = f"{start.isoformat()}T00:00:00Z", f"{end.isoformat()}T23:59:59Z"
    with store._read() as conn, conn.begin():
        sid = store.scope_id(conn, scope)
        runs = conn.execute(select(t.runs).where(and_(t.runs.c.scope_id == sid, t.runs.c.started_at >= lo,
                                                      t.runs.c.started_at <= hi)).order_by(t.runs.c.seq)).all()
        times = {r.seq: r.started_at for r in conn.execute(
            select(t.runs.c.seq, t.runs.c.started_at).where(t.runs.c.scope_id == sid))}
        controls = _controls(conn, [r.id for r in runs])
        found = _findings(conn, sid, runs, times)
        waivers = _waivers(conn, sid, runs, start)
    titles = _titles(store, runs)
    for c in controls:
        c.update(titles.get(c["id"], {}))
    notes: list[str] = []
    problems = store.verify(scope, full=False, notes=notes)
    doc = {
        "schema_version": PERIOD_SCHEMA_VERSION, "kind": "period", "scope": scope,
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "expect": schedule,
        "store": store.shown,
        "generated_at": _iso(now or dt.datetime.now(dt.timezone.utc)),
        "runs": [{"id": r.id, "seq": r.seq, "started_at": r.started_at, "results_sha256": r.results_sha256,
                  "chain_hash": r.chain_hash, "summary": {"pass": r.n_pass, "fail": r.n_fail,
                                                          "unknown": r.n_unknown, "waived": r.n_waived}}
                 for r in runs],
        "gaps": gaps([_ts(r.started_at) for r in runs], start, end, step, now),
        "controls": controls,
        "findings": found,
        "remediation": _remediation(found),
        "exceptions": waivers,
        "integrity": {"chain_ok": not problems, "problems": problems, "runs_checked": len(times),
                      "stored_out_of_order": notes,
                      "check": "the chain of every stored run of the scope, and each stored document's bytes "
                               "against the SHA-256 the chain records (specguard store verify also "
                               "decompresses each document and checks its results SHA-256)"},
    }
    return doc


def _controls(conn, run_ids: list[str]) -> list[dict]:
    per: dict[str, dict] = {}
    wanted = set(run_ids)
    if not wanted:
        return []
    q = select(t.run_controls)
    if len(wanted) < 500:
        q = q.where(t.run_controls.c.run_id.in_(wanted))
    for r in conn.execute(q):
        if r.run_id not in wanted:
            continue
        c = per.setdefault(r.control_id, {"id": r.control_id, "severity": r.severity, "runs": 0,
                                          "runs_without_fail": 0, "pass": 0, "fail": 0, "unknown": 0, "waived": 0,
                                          "trend": {}})
        c["runs"] += 1
        c["runs_without_fail"] += 0 if r.n_fail else 1
        for k in ("pass", "fail", "unknown", "waived"):
            c[k] += getattr(r, f"n_{k}")
        c["trend"][r.run_id] = ("fail" if r.n_fail else "unknown" if r.n_unknown else "waived" if r.n_waived
                                else "pass" if r.n_pass else "not_applicable")
    order = {rid: i for i, rid in enumerate(run_ids)}
    out = []
    for cid in sorted(per):
        c = per[cid]
        c["trend"] = [c["trend"].get(rid, "absent") for rid in sorted(order, key=order.get)]
        out.append(c)
    return out


def _findings(conn, sid: int, runs: list, times: dict[int, str]) -> list[dict]:
    """Every failing interval that overlaps the period's runs, one entry each (a finding that
    failed, was fixed and failed again has two)."""
    if not runs:
        return []
    s0, s1 = runs[0].seq, runs[-1].seq
    last_time = _ts(runs[-1].started_at)
    rows = conn.execute(
        select(t.intervals.c.finding_id, t.intervals.c.severity, t.intervals.c.from_seq, t.intervals.c.to_seq,
               t.findings.c.fingerprint, t.findings.c.control_id, t.findings.c.address)
        .join(t.findings, t.findings.c.id == t.intervals.c.finding_id)
        .where(and_(t.intervals.c.scope_id == sid, t.intervals.c.status == "fail", t.intervals.c.from_seq <= s1,
                    or_(t.intervals.c.to_seq.is_(None), t.intervals.c.to_seq > s0)))).all()
    if not rows:
        return []
    # what each failing interval turned into, and each finding's status at the period's last run: the
    # scope's intervals in one pass, those of the findings that failed kept (no index by finding since
    # 0005; and a join or IN (subquery) is planned on statistics that a store just filled may lack:
    # PostgreSQL nested-looped it over a year's rows for 9 s)
    from .runs import _fetch
    failed = {r.finding_id for r in rows}
    follow: dict[tuple[int, int], str] = {}
    at_end: dict[int, str] = {}
    for fid, status, a, b in _fetch(conn, "SELECT finding_id, status, from_seq, to_seq FROM intervals "
                                          "WHERE scope_id = ?", (sid,)):
        if fid in failed:
            follow[(fid, a)] = status
            if a <= s1 and (b is None or b > s1):
                at_end[fid] = status
    out = []
    for r in rows:
        first = times.get(r.from_seq)
        ended = r.to_seq is not None and r.to_seq <= s1
        after = follow.get((r.finding_id, r.to_seq), "absent") if ended else None
        resolved = times.get(r.to_seq) if ended and after in ("pass", "absent") else None
        until = _ts(times[r.to_seq]) if ended and r.to_seq in times else last_time
        out.append({"fingerprint": r.fingerprint, "control_id": r.control_id, "address": r.address,
                    "severity": r.severity, "first_failed": first, "resolved_at": resolved,
                    "ended_as": after, "days_open": round((until - _ts(first)).total_seconds() / 86400, 2),
                    "status_at_end": at_end.get(r.finding_id, "absent")})
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    out.sort(key=lambda f: (f["resolved_at"] is not None, rank.get(f["severity"], 9), f["control_id"],
                            f["address"], f["first_failed"]))
    return out


def _remediation(found: list[dict]) -> dict:
    """Time to remediate per severity: failures resolved in the period (count, mean, max days),
    and how many are still open at its end."""
    out: dict[str, dict] = {}
    by: dict[str, list[float]] = defaultdict(list)
    still: dict[str, int] = defaultdict(int)
    for f in found:
        if f["resolved_at"] is not None:
            by[f["severity"]].append(f["days_open"])
        elif f["status_at_end"] == "fail":
            still[f["severity"]] += 1
    for sev in SEVERITIES:
        days = by.get(sev, [])
        if days or still.get(sev):
            out[sev] = {"resolved": len(days), "mean_days": round(sum(days) / len(days), 2) if days else None,
                        "max_days": round(max(days), 2) if days else None, "open_at_end": still.get(sev, 0)}
    return out


def _waivers(conn, sid: int, runs: list, start: dt.date) -> list[dict]:
    """Waivers listed by a run of the period and not expired before it began."""
    if not runs:
        return []
    s0, s1 = runs[0].seq, runs[-1].seq
    out = []
    for r in conn.execute(select(t.waivers).where(and_(t.waivers.c.scope_id == sid, t.waivers.c.first_seq <= s1,
                                                       t.waivers.c.last_seq >= s0))):
        body = json.loads(r.body)
        if str(body.get("expires") or "9999-12-31") < start.isoformat():
            continue
        body["first_seen_run"] = max(r.first_seq, s0)
        body["last_seen_run"] = min(r.last_seq, s1)
        out.append(body)
    out.sort(key=lambda w: (w.get("control_id") or "", w.get("resource") or "", w.get("expires") or ""))
    return out


def _titles(store, runs: list) -> dict[str, dict]:
    """Control titles and SOC 2 criteria, from the period's last results document."""
    if not runs:
        return {}
    doc = store.get_doc(runs[-1].id)
    return {c["id"]: {"title": c.get("title", ""), "soc2": c.get("soc2", []), "family": c.get("family", "")}
            for c in doc.get("controls") or []}
