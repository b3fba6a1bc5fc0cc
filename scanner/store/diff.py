"""What changed between two results documents (``specguard diff``), and the one rule for "new".

Pure functions over results documents: nothing here touches the store, so two files compare
the same way as two stored runs.  Findings are matched by fingerprint (control + resource).
"""
from __future__ import annotations

FAILING = "fail"


def is_new(before: str | None, after: str | None) -> bool:
    """The one definition of a *new* failure (the baseline feature uses it too): failing now,
    and not failing before: absent, pass, unknown or waived (a waiver that expired)."""
    return after == FAILING and before != FAILING


GATING = ("fail", "unknown")   # what a scanning command's --fail-on counts (unknown unless --allow-unknown)


def counts_as_new(before: str | None, after: str | None, allow_unknown: bool = False) -> bool:
    """Whether a change counts for ``diff --fail-on``: the scan's gate applied to what changed.
    A new failure (``is_new``); and, unless unknowns are allowed, a finding unknown now that was
    neither failing nor unknown before (it counted for no gate then and would for the scan's now)."""
    if is_new(before, after):
        return True
    return not allow_unknown and after == "unknown" and before not in GATING


def gate(d: dict, fail_on: str, allow_unknown: bool = False) -> dict:
    """``diff --fail-on SEVERITY``: the changes of a diff document that fail the gate (new at or
    above the severity).  ``fail_on`` is checked by the caller (``parse_fail_on``)."""
    from ..controls import SEVERITIES
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    threshold = rank.get(fail_on)
    hits = [] if threshold is None else [
        i for i in d["changes"]
        if counts_as_new(i["before"], i["after"], allow_unknown) and rank.get(i["severity"], 0) >= threshold]
    return {"fail_on": fail_on, "allow_unknown": allow_unknown, "passed": not hits,
            "new_fail": sum(1 for i in hits if i["after"] == FAILING),
            "new_unknown": sum(1 for i in hits if i["after"] == "unknown"),
            "fingerprints": [i["fingerprint"] for i in hits]}


def parse_fail_on(text: str | None) -> str | None:
    """--fail-on of diff: a severity, ``none``, or not given (None: no gate, exit 0 as before)."""
    if text is None:
        return None
    from ..controls import SEVERITIES
    from ..errors import InputError
    value = text.strip().lower()
    if value != "none" and value not in SEVERITIES:
        raise InputError(f"unknown --fail-on severity {text!r} (expected {', '.join(SEVERITIES)} or none)")
    return value


def gate_line(g: dict) -> str:
    above = f"{g['new_fail']} new fail" + ("" if g["allow_unknown"] else f" and {g['new_unknown']} newly unknown")
    return (f"diff gate {'passed' if g['passed'] else 'failed'}: {above} at or above {g['fail_on']}"
            f"{' (unknown allowed)' if g['allow_unknown'] else ''}")


def is_resolved(before: str | None, after: str | None) -> bool:
    """Failing before, and now passing or gone (a waiver or an unknown is not a fix)."""
    return before == FAILING and after in ("pass", None)


def lost_visibility(before: str | None, after: str | None) -> bool:
    """The scanner could see it before and cannot now (pass -> unknown, also fail -> unknown)."""
    return after == "unknown" and before in ("pass", FAILING)


def _index(doc: dict) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for f in doc.get("findings") or []:
        fp = f.get("fingerprint") or f"{f['control_id']}|{(f.get('resource') or {}).get('address', '')}"
        out.setdefault(fp, f)
    return out


def _item(fp: str, before: dict | None, after: dict | None) -> dict:
    f = after or before
    res = f.get("resource") or {}
    item = {"fingerprint": fp, "control_id": f["control_id"], "severity": f.get("severity", ""),
            "address": res.get("address", ""), "type": res.get("type", ""),
            "before": before["status"] if before else None, "after": after["status"] if after else None,
            "message": f.get("message", "")}
    w = (after or {}).get("waiver") or (before or {}).get("waiver")
    if w and "waived" in (item["before"], item["after"]):
        item["waiver"] = {k: w.get(k) for k in ("reason", "approver", "expires")}
    return item


def _run_ref(doc: dict, label: str | None) -> dict:
    run = doc.get("run") or {}
    return {"id": run.get("id"), "started_at": run.get("started_at"), "label": label or run.get("id")}


def compare(before: dict, after: dict, before_label: str | None = None, after_label: str | None = None) -> dict:
    """The changes from ``before`` to ``after`` (both results documents)."""
    a, b = _index(before), _index(after)
    out = {"kind": "diff", "from": _run_ref(before, before_label), "to": _run_ref(after, after_label),
           "new": [], "resolved": [], "still_failing": [], "changes": [], "waivers_begun": [], "waivers_expired": []}
    for fp in list(a) + [x for x in b if x not in a]:
        fa, fb = a.get(fp), b.get(fp)
        sa, sb = (fa or {}).get("status"), (fb or {}).get("status")
        item = _item(fp, fa, fb)
        if is_new(sa, sb):
            out["new"].append(item)
        elif is_resolved(sa, sb):
            out["resolved"].append(item)
        elif sa == FAILING and sb == FAILING:
            out["still_failing"].append(item)
        if sa != sb:
            item = dict(item, lost_visibility=lost_visibility(sa, sb))
            out["changes"].append(item)
            if sb == "waived":
                out["waivers_begun"].append(item)
            elif sa == "waived" and sb is not None:
                out["waivers_expired"].append(item)
    order = {"critical": 0, "high": 1, "medium-high": 2, "medium": 3, "low": 4, "info": 5}
    for k in ("new", "resolved", "still_failing", "changes", "waivers_begun", "waivers_expired"):
        out[k].sort(key=lambda i: (order.get(i["severity"], 9), i["control_id"], i["address"]))
    out["counts"] = {k: len(out[k]) for k in ("new", "resolved", "still_failing", "changes",
                                              "waivers_begun", "waivers_expired")}
    out["counts"]["lost_visibility"] = sum(1 for i in out["changes"] if i["lost_visibility"])
    return out


def since_line(doc: dict) -> str | None:
    """The sentence a report of a stored run prints, from its ``history`` entry (None without one)."""
    h = doc.get("history")
    if not isinstance(h, dict) or "scope" not in h:
        return None
    prev = h.get("previous_run")
    if not prev:
        return f"the first run of scope {h['scope']} in the history store"
    return (f"since the previous run of this scope ({prev.get('started_at', '?')}): "
            f"{h.get('new', 0)} new, {h.get('resolved', 0)} resolved")
