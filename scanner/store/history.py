"""``specguard history [--scope S]``: a scope's runs with their counts, the failures each began
and ended, and a per-control trend, from the query tables alone (no results document is read)."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import and_, func, select

from . import schema as t

TREND_RUNS = 30
MARK = {"fail": "F", "unknown": "?", "waived": "W", "pass": ".", "not_applicable": " ", None: " "}


def build(store, scope: str | None, limit: int | None = None) -> dict:
    scope = store.pick_scope(scope)
    with store._read() as conn, conn.begin():
        sid = store.scope_id(conn, scope)
        runs = conn.execute(select(t.runs).where(t.runs.c.scope_id == sid).order_by(t.runs.c.seq)).all()
        began = dict(conn.execute(select(t.intervals.c.from_seq, func.count())
                                  .where(and_(t.intervals.c.scope_id == sid, t.intervals.c.status == "fail"))
                                  .group_by(t.intervals.c.from_seq)).all())
        ended = dict(conn.execute(select(t.intervals.c.to_seq, func.count())
                                  .where(and_(t.intervals.c.scope_id == sid, t.intervals.c.status == "fail",
                                              t.intervals.c.to_seq.is_not(None)))
                                  .group_by(t.intervals.c.to_seq)).all())
        if limit:
            runs = runs[-limit:]
        recent = [r.id for r in runs[-TREND_RUNS:]]
        trend: dict[str, dict[str, str]] = defaultdict(dict)
        if recent:
            for r in conn.execute(select(t.run_controls).where(t.run_controls.c.run_id.in_(recent))):
                trend[r.control_id][r.run_id] = ("fail" if r.n_fail else "unknown" if r.n_unknown else
                                                 "waived" if r.n_waived else "pass" if r.n_pass else "not_applicable")
    return {
        "kind": "history", "scope": scope,
        "runs": [{"id": r.id, "seq": r.seq, "started_at": r.started_at, "command": r.command,
                  "summary": {"pass": r.n_pass, "fail": r.n_fail, "unknown": r.n_unknown, "waived": r.n_waived},
                  "failures_begun": began.get(r.seq, 0), "failures_ended": ended.get(r.seq, 0),
                  "results_sha256": r.results_sha256} for r in runs],
        "trend_runs": recent,
        "controls": [{"id": cid, "trend": [trend[cid].get(rid) for rid in recent]} for cid in sorted(trend)],
    }


def render(h: dict, fmt: str) -> str:
    if fmt == "json":
        from ..results import dumps
        return dumps(h, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if fmt != "table":
        from ..errors import InputError
        raise InputError(f"history is written as table or json, not {fmt!r}")
    from ..terminal import printable
    out = [f"scope {printable(h['scope'])}: {len(h['runs'])} run(s)", "",
           f"{'run':<12} {'started':<20} {'pass':>6} {'fail':>6} {'unknown':>7} {'waived':>6} {'+fail':>6} {'-fail':>6}"]
    for r in h["runs"]:
        s = r["summary"]
        out.append(f"{r['id'][:12]:<12} {r['started_at']:<20} {s['pass']:>6} {s['fail']:>6} {s['unknown']:>7} "
                   f"{s['waived']:>6} {r['failures_begun']:>6} {r['failures_ended']:>6}")
    if h["controls"]:
        out += ["", f"per control, the last {len(h['trend_runs'])} run(s), oldest first "
                    "(F fail, ? unknown, W waived, . pass):"]
        for c in h["controls"]:
            marks = "".join(MARK.get(x, " ") for x in c["trend"])
            fails = sum(1 for x in c["trend"] if x == "fail")
            out.append(f"  {c['id']:<8} {marks}  fail in {fails}/{len(c['trend'])}")
    out.append("")
    out.append("+fail: failures that began with the run; -fail: failures that ended with it")
    return "\n".join(out) + "\n"
