"""The HTML audit report: one self-contained file an auditor can keep.

Everything is inline (CSS, script, an SVG chart): the page makes no request of
any kind, and its Content-Security-Policy forbids every request and every
script but its own (by hash), so even a payload that slipped past escaping
could not run.  Summary sections are rendered here with Jinja2 (autoescape on);
the findings themselves travel as JSON in a ``<script type="application/json">``
block and the page's script renders them lazily, a page at a time, so a report
of 100,000 findings opens quickly.  The script only ever sets ``textContent``.
"""
from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter, defaultdict
from functools import lru_cache

from ..canonical import canonical_json  # noqa: F401 - the canonical form: what the report's SHA-256 is over

FORMAT = "html"
BINARY = False

STATUS_ORDER = ("fail", "unknown", "waived", "pass")
COUNT_KEYS = ("pass", "fail", "unknown", "waived")
FAMILY_NAMES = {"ENC": "Encryption at rest", "TLS": "Encryption in transit", "HA": "High availability",
                "NET": "Network tiering", "TAG": "Tagging", "BAK": "Backups"}
FAMILY_ORDER = ["ENC", "TLS", "HA", "NET", "TAG", "BAK"]
SOURCE_NAMES = {"terraform-plan": "Terraform plan (terraform show -json)", "terraform-source": "Terraform source (.tf)",
                "aws": "Live AWS (read-only API calls)", "azure": "Live Azure (Resource Manager, read-only)",
                "checkov": "Checkov results (supplementary)"}
UNKNOWN_GROUPS_SHOWN = 200   # distinct unknown reasons listed in the limitations section
# coverage entries that say something about the run without narrowing what it read
INFORMATIONAL_COVERAGE = {"source-waivers-ignored"}
ACRONYMS = {"api": "API", "tls": "TLS", "aws": "AWS", "arn": "ARN", "id": "ID"}
RESOURCE_KEYS = {"address", "type", "provider", "source", "name", "file", "line"}
_encode = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def document_sha256(doc: dict) -> str:
    """SHA-256 of the canonical JSON of a results document (printed on the HTML report).

    A reader checks a report against a saved results file with
    ``document_sha256(json.load(open("results.json", encoding="utf-8")))``.
    """
    return hashlib.sha256(canonical_json(doc)).hexdigest()


def render(doc: dict, print_all: bool = False, results_kept: bool = True, **_options) -> str:
    """``results_kept``: whether the run wrote its JSON results beside this report (the hash on the
    report is of that document; without it the report says so)."""
    from jinja2 import Environment, PackageLoader

    env = Environment(loader=PackageLoader("scanner.reports", "templates"), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.globals["plural"] = plural
    env.filters["ticks"] = ticks
    css, js = _asset("report.css"), _asset("report.js")
    ctx = build_context(doc)
    ctx["results_kept"] = results_kept
    if doc.get("history"):   # a run kept in the history store (issue 15)
        from ..store.diff import since_line
        ctx["since"] = since_line(doc)
    if doc.get("baseline"):   # a run with --baseline (issue 20)
        from ..baseline import summary_line
        ctx["since"] = " · ".join(x for x in (ctx.get("since"), summary_line(doc)) if x)
    data = ctx.pop("data")
    return env.get_template("report.html.j2").render(
        **ctx, css=css, js=js, print_all=print_all, data_json=script_json(data),
        csp=f"default-src 'none'; style-src '{_csp_hash(css)}'; script-src '{_csp_hash(js)}'; "
            f"img-src 'none'; base-uri 'none'; form-action 'none'")


@lru_cache(maxsize=None)
def _asset(name: str):
    from importlib import resources
    from markupsafe import Markup
    # our own static files, inserted verbatim inside <style>/<script>
    return Markup(resources.files("scanner.reports").joinpath("templates", name).read_text("utf-8"))


def ticks(text) -> str:
    """Catalogue text with `code` spans as <code>: escaped first, so nothing else becomes markup."""
    from markupsafe import Markup, escape
    parts = str(escape(text or "")).split("`")
    if len(parts) % 2 == 0:          # an unpaired backtick: leave the text as written
        return Markup("`".join(parts))
    return Markup("".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts)))


def _csp_hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(str(text).encode("utf-8")).digest()).decode()


def script_json(value) -> str:
    """JSON safe inside a <script> element: no '<' at all, so no '</script' and no '<!--'."""
    from markupsafe import Markup
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return Markup(text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


# ----------------------------------------------------------------------------- context
def subject(doc: dict) -> str:
    """What was checked, for the cover when no profile names the system: the plan files, the
    .tf directories, the AWS accounts, the Azure subscriptions."""
    plans, dirs, accounts, subs = [], [], [], []
    for s in doc.get("sources", []):
        kind, path = s.get("kind"), s.get("path") or ""
        if kind == "terraform-plan":
            plans.append(path)
        elif kind == "terraform-source":
            dirs.append(path)
        elif kind == "aws":
            accounts.append(s.get("account") or path)
        elif kind == "azure":
            subs.append(path.removeprefix("subscription "))
    parts = []
    for items, one, many in ((plans, "Terraform plan", "Terraform plans"),
                             (dirs, "Terraform configuration", "Terraform configurations"),
                             (accounts, "AWS account", "AWS accounts"),
                             (subs, "Azure subscription", "Azure subscriptions")):
        if items:
            shown = ", ".join(items[:3]) + (f" and {len(items) - 3} more" if len(items) > 3 else "")
            parts.append(f"{one if len(items) == 1 else many} {shown}")
    return "; ".join(parts) or "No source recorded"


def _origin_text(o: dict | None) -> str:
    """Where a user's control (issue 18) or rules record comes from: "acme.yaml:21", "acme-rules 1.4.2"."""
    if not o:
        return ""
    if o.get("kind") == "package":
        return f"{o.get('package') or o.get('name')} {o.get('version') or ''}".strip()
    return f"{o.get('path')}{':' + str(o['line']) if o.get('line') else ''}"


def build_context(doc: dict) -> dict:
    findings = doc.get("findings", [])
    changes = _profile_changes(doc)
    controls = _controls(doc, findings)
    for c in controls:
        c["changes"] = [ch["text"] for ch in changes["overrides"] if ch["control_id"] == c["id"]]
        c["param_list"] = _params(c.get("params"))
        c["origin_text"] = _origin_text(c.get("origin"))
    ceilings = _ceilings(controls)
    by_id = {c["id"]: c for c in controls}
    families = _families(controls)
    criteria = _criteria(controls)
    run = doc.get("run", {})
    addresses = {f["resource"]["address"] for f in findings}
    coverage = _coverage(doc)
    return {
        "doc": doc, "run": run, "tool": doc.get("tool", {}), "subject": subject(doc),
        "results_sha256": document_sha256(doc),
        "sources": [dict(s, label=SOURCE_NAMES.get(s.get("kind"), s.get("kind"))) for s in doc.get("sources", [])],
        "scope": _scope(doc, findings),
        "summary": _summary(doc, findings),
        "resource_count": len(addresses),
        "families": families, "criteria": criteria, "controls": controls,
        "max_family_total": max([f["total"] for f in families] + [1]),
        "max_criterion_total": max([c["total"] for c in criteria] + [1]),
        "profile_changes": changes,
        "user_rules": [dict(r, origin_text=_origin_text(r)) for r in doc.get("rules") or []],
        "waivers": _waivers(doc),
        "coverage": coverage,
        "ceiling_controls": [c["id"] for c in controls if "platform_ceilings" in (c.get("params") or {})],
        "ceilings": ceilings,
        "limitations": sum(len(g["entries"]) for g in coverage if not g["informational"]),
        "unknowns": _unknowns(findings, by_id),
        "supplementary": _supplementary(doc),
        "data": _data(findings, controls),
    }


def _counts() -> dict:
    return {k: 0 for k in COUNT_KEYS}


def _controls(doc: dict, findings: list) -> list[dict]:
    """Every control of the run, counts recomputed from the findings (the document's own)."""
    counts: dict[str, dict] = defaultdict(_counts)
    for f in findings:
        counts[f["control_id"]][f["status"]] += 1
    out, seen = [], set()
    for c in doc.get("controls", []):
        seen.add(c["id"])
        out.append(dict(c, counts=counts[c["id"]], total=sum(counts[c["id"]].values())))
    for cid in sorted(set(counts) - seen):  # findings of a control the document does not list
        out.append({"id": cid, "title": cid, "family": cid.split("-")[0], "severity": "info", "soc2": [],
                    "requirement": "", "status": "unknown", "counts": counts[cid], "total": sum(counts[cid].values())})
    return out


def _add(into: dict, counts: dict) -> None:
    for k in COUNT_KEYS:
        into[k] += counts[k]


def _bar(counts: dict, total: int, scale: int) -> list[dict]:
    """Stacked-bar segments (SVG units out of 300), in the order of the count columns beside them."""
    segs, x = [], 0.0
    for k in COUNT_KEYS:
        w = 300.0 * counts[k] / scale if scale else 0
        if w:
            segs.append({"status": k, "x": round(x, 2), "w": round(w, 2), "n": counts[k]})
        x += w
    return segs


def _families(controls: list[dict]) -> list[dict]:
    fams: dict[str, dict] = {}
    for c in controls:
        # a family the catalogue does not name: a user's (issue 18) says so, else only its id is shown
        name = FAMILY_NAMES.get(c["family"]) or ("the organisation's own" if c.get("origin") else "")
        fam = fams.setdefault(c["family"], {"family": c["family"], "name": name,
                                            "counts": _counts(), "controls": []})
        _add(fam["counts"], c["counts"])
        fam["controls"].append(c["id"])
    out = sorted(fams.values(), key=lambda f: (FAMILY_ORDER.index(f["family"]) if f["family"] in FAMILY_ORDER
                                               else 99, f["family"]))
    for f in out:
        f["total"] = sum(f["counts"].values())
    scale = max([f["total"] for f in out] + [1])
    for f in out:
        f["bar"] = _bar(f["counts"], f["total"], scale)
    return out


def _criteria(controls: list[dict]) -> list[dict]:
    crit: dict[str, dict] = {}
    for c in controls:
        for k in c.get("soc2", []):
            e = crit.setdefault(k, {"criterion": k, "counts": _counts(), "controls": []})
            _add(e["counts"], c["counts"])
            e["controls"].append(c["id"])
    out = sorted(crit.values(), key=lambda e: _crit_key(e["criterion"]))
    for e in out:
        e["total"] = sum(e["counts"].values())
    scale = max([e["total"] for e in out] + [1])
    for e in out:
        e["bar"] = _bar(e["counts"], e["total"], scale)
    return out


def _crit_key(k: str):
    head, _, rest = k.partition(".")
    return (head.rstrip("0123456789"), int(head[len(head.rstrip("0123456789")):] or 0),
            int(rest) if rest.isdigit() else 0, k)


def setting_value(v) -> str:
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)


def _profile_changes(doc: dict) -> dict:
    """What the profile changed from the spec defaults, so a weakened check does not read as the spec's."""
    overrides = []
    for o in doc.get("run", {}).get("profile_overrides") or []:
        name = str(o.get("setting", "")).removeprefix("params.")
        prof, spec = setting_value(o.get("profile")), setting_value(o.get("spec"))
        overrides.append({"control_id": str(o.get("control_id", "")), "setting": name, "profile": prof,
                          "spec": spec, "text": f"{name} = {prof} (spec: {spec})"})
    disabled = [{"id": str(d.get("id", "")), "title": str(d.get("title", ""))}
                for d in doc.get("disabled_controls") or []]
    return {"overrides": overrides, "disabled": disabled, "any": bool(overrides or disabled)}


def _summary(doc: dict, findings: list) -> dict:
    c = Counter(f["status"] for f in findings)
    return {k: c.get(k, 0) for k in COUNT_KEYS} | {"total": len(findings)}


def _scope(doc: dict, findings: list) -> list[tuple[str, list[str]]]:
    """The run's scope, completed by the accounts/subscriptions/regions findings name."""
    scope = {k: list(v) for k, v in (doc.get("scope") or {}).items()}
    names = {"account": "accounts", "subscription": "subscriptions", "region": "regions", "location": "locations"}
    for f in findings:
        r = f["resource"]
        for key, plural in names.items():
            v = r.get(key)
            if isinstance(v, str) and v:
                vals = scope.setdefault(plural, [])
                if v not in vals:
                    vals.append(v)
    return sorted(scope.items())


def _waivers(doc: dict) -> list[dict]:
    import datetime as dt
    finished = (doc.get("run", {}).get("finished_at") or "")[:10]
    try:
        day = dt.date.fromisoformat(finished)
    except ValueError:
        day = None
    out = []
    for w in doc.get("waivers", []):
        soon = False
        if day and w.get("status") == "applied":
            try:
                soon = (dt.date.fromisoformat(w["expires"]) - day).days <= 30
            except ValueError:
                pass
        out.append(dict(w, expiring_soon=soon, matched_count=len(w.get("matched", []))))
    return out


def _coverage(doc: dict) -> list[dict]:
    groups: dict[str, list] = {}
    for c in doc.get("coverage", []):
        details = {k: v for k, v in c.items() if k not in ("kind", "message")}
        groups.setdefault(c["kind"], []).append({"message": c["message"], "details": details})
    return [{"kind": k, "label": label(k), "entries": v, "informational": k in INFORMATIONAL_COVERAGE}
            for k, v in sorted(groups.items())]


def label(kind) -> str:
    """A machine label as words: "module-not-followed" -> "Module not followed"."""
    words = [ACRONYMS.get(w, w) for w in str(kind).replace("_", " ").replace("-", " ").split()]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _params(params) -> list[dict]:
    """A control's effective parameters as (name, text) pairs for the matrix."""
    out = []
    for k, v in sorted((params or {}).items()):
        if isinstance(v, dict):
            text = "; ".join(f"{sk}: {setting_value(sv)}" for sk, sv in sorted(v.items())) or "none"
        elif isinstance(v, list):
            text = ", ".join(setting_value(x) for x in v) or "none"
        else:
            text = setting_value(v)
        out.append({"name": str(k), "text": text})
    return out


def _ceilings(controls: list[dict]) -> list[dict]:
    """The platform ceilings, said once: the TLS controls share one table (resource type -> highest
    minimum TLS), listed in the Methodology; each control's parameter refers to it.  A profile that
    gives one control other ceilings makes a second table, named after the controls that use it."""
    groups: dict[str, dict] = {}
    for c in controls:
        value = (c.get("params") or {}).get("platform_ceilings")
        if not isinstance(value, dict) or not value:
            continue
        g = groups.get(_encode(value))
        if g is None:
            g = groups[_encode(value)] = {"anchor": f"ceilings-{len(groups) + 1}", "controls": [],
                                          "rows": [{"type": str(t), "version": setting_value(v)}
                                                    for t, v in sorted(value.items())]}
        g["controls"].append(c["id"])
        for p in c["param_list"]:
            if p["name"] == "platform_ceilings":
                p["ref"], p["text"] = g["anchor"], plural(len(value), "resource type")
    return list(groups.values())


def plural(n, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def _unknowns(findings: list, by_id: dict) -> dict:
    """Every unknown, grouped by control and reason (the explorer lists each one)."""
    groups: dict[tuple, dict] = {}
    for f in findings:
        if f["status"] != "unknown":
            continue
        key = (f["control_id"], f["message"])
        g = groups.get(key)
        if g is None:
            g = groups[key] = {"control": f["control_id"], "message": f["message"], "count": 0,
                               "example": f["resource"]["address"]}
        g["count"] += 1
    order = {cid: i for i, cid in enumerate(by_id)}
    rows = sorted(groups.values(), key=lambda g: (order.get(g["control"], 1 << 30), -g["count"], g["message"]))
    return {"total": sum(g["count"] for g in rows), "groups": rows[:UNKNOWN_GROUPS_SHOWN],
            "more": max(0, len(rows) - UNKNOWN_GROUPS_SHOWN)}


def _supplementary(doc: dict) -> list[dict]:
    tally: dict[str, Counter] = defaultdict(Counter)
    for s in doc.get("supplementary", []) or []:
        tally[str(s.get("check_id"))][str(s.get("status"))] += 1
    return [{"check_id": k, "counts": dict(v)} for k, v in sorted(tally.items())]


# ----------------------------------------------------------------------------- data for the script
class _Strings:
    """Interned strings: messages, types and evidence repeat across thousands of findings."""

    def __init__(self):
        self.index: dict[str, int] = {}
        self.items: list[str] = []

    def __call__(self, s) -> int:
        if s is None or s == "":
            return -1
        s = str(s)
        i = self.index.get(s)
        if i is None:
            i = self.index[s] = len(self.items)
            self.items.append(s)
        return i


def _data(findings: list, controls: list[dict]) -> dict:
    """Findings as compact rows, sorted by control, then status (fail first), then address.

    Row: [control, status, address, name, type, source, file, line, message, evidence, context, waiver]
    (strings as indexes into ``strings``; -1 = none).
    """
    S = _Strings()
    ctl_index = {c["id"]: i for i, c in enumerate(controls)}
    st_index = {s: i for i, s in enumerate(STATUS_ORDER)}
    waivers: list[list] = []
    waiver_index: dict[str, int] = {}
    rows = []
    ordered = sorted(findings, key=lambda f: (ctl_index.get(f["control_id"], 1 << 30), st_index.get(f["status"], 9),
                                              f["resource"]["address"]))
    for f in ordered:
        r = f["resource"]
        ctx = "; ".join(f"{k} {v}" for k, v in sorted(r.items()) if k not in RESOURCE_KEYS and v not in (None, ""))
        w = -1
        if f.get("waiver"):
            wd = f["waiver"]
            key = json.dumps(wd, sort_keys=True)
            w = waiver_index.get(key, -1)
            if w < 0:
                w = waiver_index[key] = len(waivers)
                waivers.append([wd.get("reason", ""), wd.get("approver", ""), wd.get("expires", ""),
                                wd.get("resource", ""), wd.get("status", "")])
        name = r.get("name")
        rows.append([ctl_index[f["control_id"]], st_index[f["status"]], r["address"],
                     S(name if name and name != r["address"] else None), S(r.get("type")), S(r.get("source")),
                     S(r.get("file")), r.get("line") or 0,
                     S(("[accepted in baseline] " if f.get("baseline") else "") + str(f.get("message") or "")),
                     S(_encode(f["evidence"])) if f.get("evidence") else -1, S(ctx), w])
    return {"controls": [[c["id"], c["title"], c["severity"], " ".join(c.get("soc2") or [])] for c in controls],
            "statuses": list(STATUS_ORDER),
            "strings": S.items, "findings": rows, "waivers": waivers}
