"""``specguard diff`` written as table (terminal), json, markdown (a job summary or PR comment)
or html (the run report's house style), from the comparison store/diff.py builds."""
from __future__ import annotations

FORMATS = ("table", "json", "markdown", "html")
SECTIONS = (("new", "New failures"), ("resolved", "Resolved"), ("lost", "Lost visibility (now unknown)"),
            ("waivers_begun", "Waivers begun"), ("waivers_expired", "Waivers expired"),
            ("changes", "Other status changes"), ("still_failing", "Still failing"))


def sections(d: dict) -> list[tuple[str, str, list[dict]]]:
    lost = [i for i in d["changes"] if i["lost_visibility"]]
    named = {(i["fingerprint"]) for k in ("new", "resolved", "waivers_begun", "waivers_expired") for i in d[k]}
    named |= {i["fingerprint"] for i in lost}
    other = [i for i in d["changes"] if i["fingerprint"] not in named]
    parts = {"new": d["new"], "resolved": d["resolved"], "lost": lost, "waivers_begun": d["waivers_begun"],
             "waivers_expired": d["waivers_expired"], "changes": other, "still_failing": d["still_failing"]}
    return [(k, title, parts[k]) for k, title in SECTIONS]


def headline(d: dict) -> str:
    c = d["counts"]
    return (f"{c['new']} new, {c['resolved']} resolved, {c['still_failing']} still failing, "
            f"{c['lost_visibility']} lost visibility, {c['waivers_begun']} waivers begun, "
            f"{c['waivers_expired']} waivers expired")


def _status(s) -> str:
    return s if s is not None else "absent"


def render(d: dict, fmt: str) -> str:
    if fmt == "json":
        from ..results import dumps
        return dumps(d, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if fmt == "table":
        return table(d)
    if fmt == "markdown":
        return markdown(d)
    if fmt == "html":
        return html(d)
    from ..errors import InputError
    raise InputError(f"diff is written as {', '.join(FORMATS)}, not {fmt!r}")


def table(d: dict) -> str:
    from ..terminal import printable
    a, b = d["from"], d["to"]
    out = [f"{printable(a['label'])} ({a['started_at']}) -> {printable(b['label'])} ({b['started_at']})",
           headline(d)]
    for key, title, items in sections(d):
        if not items or key == "still_failing":
            continue
        out += ["", f"{title} ({len(items)}):"]
        for i in items:
            out.append(f"  {i['control_id']:<7} {i['severity']:<11} {_status(i['before']):>7} -> {_status(i['after']):<7} "
                       f"{printable(i['address'])}")
    return "\n".join(out) + "\n"


def markdown(d: dict) -> str:
    from .markdown import esc
    a, b = d["from"], d["to"]
    out = [f"### What changed: {esc(a['started_at'])} → {esc(b['started_at'])}", "", f"**{headline(d)}**"]
    for key, title, items in sections(d):
        if not items:
            continue
        out += ["", f"#### {title} ({len(items)})", "", "| Control | Severity | Before | After | Resource |",
                "|---|---|---|---|---|"]
        for i in items[:500]:
            out.append(f"| {esc(i['control_id'])} | {esc(i['severity'])} | {_status(i['before'])} | "
                       f"{_status(i['after'])} | {esc(i['address'])} |")
        if len(items) > 500:
            out.append(f"| … | | | | {len(items) - 500} more |")
    return "\n".join(out) + "\n"


def html(d: dict) -> str:
    from jinja2 import Environment, PackageLoader
    from markupsafe import Markup

    from .. import __version__
    from .html import _asset, _csp_hash, plural

    env = Environment(loader=PackageLoader("scanner.reports", "templates"), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.globals["plural"] = plural
    css = Markup(str(_asset("report.css")) + "\n" + str(_asset("history.css")))
    return env.get_template("diff.html.j2").render(
        d=d, parts=sections(d), headline=headline(d), css=css, version=__version__, status=_status,
        csp=f"default-src 'none'; style-src '{_csp_hash(css)}'; img-src 'none'; base-uri 'none'; form-action 'none'")
