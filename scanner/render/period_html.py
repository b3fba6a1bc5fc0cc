"""The audit-period report as HTML, Markdown or JSON (from the period document, store/period.py).

The HTML is the run report's house style (report.css, plus history.css): one self-contained
file, every value escaped by Jinja2's autoescape, no script at all and a Content-Security-Policy
that allows only its own style, a per-control chart of the status in each run as inline SVG,
and print rules for A4.
"""
from __future__ import annotations

import json

from .html import _asset, _csp_hash, plural

FORMATS = ("json", "html", "markdown", "pdf")
CHART_WIDTH = 600


def render(doc: dict, fmt: str) -> str | bytes:
    if fmt == "json":
        from ..results import dumps
        return dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if fmt == "html":
        return html(doc)
    if fmt == "markdown":
        return markdown(doc)
    if fmt == "pdf":
        return pdf(doc)
    from ..errors import InputError
    raise InputError(f"the period report is written as {', '.join(FORMATS)}, not {fmt!r}")


def segments(trend: list[str], runs: list[dict], width: int = CHART_WIDTH) -> list[dict]:
    """Consecutive runs with one status drawn as one rectangle (a year of nights stays small)."""
    out: list[dict] = []
    n = len(trend)
    if not n:
        return out
    step = width / n
    i = 0
    while i < n:
        j = i
        while j + 1 < n and trend[j + 1] == trend[i]:
            j += 1
        out.append({"status": trend[i], "x": round(i * step, 3), "w": round((j - i + 1) * step, 3), "n": j - i + 1,
                    "first": runs[i]["started_at"] if i < len(runs) else "", "last": runs[j]["started_at"] if j < len(runs) else ""})
        i = j + 1
    return out


def html(doc: dict) -> str:
    from jinja2 import Environment, PackageLoader
    from markupsafe import Markup

    from .. import __version__

    env = Environment(loader=PackageLoader("scanner.reports", "templates"), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.globals["plural"] = plural
    css = Markup(str(_asset("report.css")) + "\n" + str(_asset("history.css")))
    controls = [dict(c, segments=segments(c.get("trend") or [], doc["runs"])) for c in doc["controls"]]
    return env.get_template("period.html.j2").render(
        doc=doc, controls=controls, css=css, width=CHART_WIDTH, version=__version__,
        csp=f"default-src 'none'; style-src '{_csp_hash(css)}'; img-src 'none'; base-uri 'none'; form-action 'none'")


def pdf(doc: dict, timeout: int = 300) -> bytes:
    """The HTML printed to A4 by headless Chromium, as the run report's PDF is (render/pdf.py),
    with the scope, the period and page N of M on every page."""
    import html as _html
    import os
    import tempfile

    from ..errors import ScanError
    from . import pdf as printer

    browser = printer.find_browser()
    if not browser:
        raise ScanError(printer.HOW_TO_INSTALL)
    text = f"specguard audit period report · {doc['scope']} · {doc['period']['start']} to {doc['period']['end']}"
    footer = ('<div style="font:8px/1.25 system-ui,sans-serif;color:#444;width:100%;box-sizing:border-box;'
              'padding:0 12mm;display:flex;justify-content:space-between;gap:12px">'
              f'<span style="overflow-wrap:anywhere">{_html.escape(text)}</span>'
              '<span style="white-space:nowrap">page <span class="pageNumber"></span> of '
              '<span class="totalPages"></span></span></div>')
    with tempfile.TemporaryDirectory(prefix="specguard-pdf-") as tmp:
        page = os.path.join(tmp, "period.html")
        with open(page, "w", encoding="utf-8") as fh:
            fh.write(html(doc))
        try:
            return printer._print_devtools(browser, page, tmp, timeout, footer)
        except printer._Protocol:
            return printer._print_cli(browser, page, tmp, timeout)


def _cell(text) -> str:
    from .markdown import esc
    return esc(text)


def markdown(doc: dict) -> str:
    p = doc["period"]
    missing = sum(g.get("missing", 1) for g in doc["gaps"])
    lines = [f"# Audit period report: {_cell(doc['scope'])}", "",
             f"{p['start']} to {p['end']} · {len(doc['runs'])} runs · {missing} missing ({doc.get('expect', 'daily')}) · "
             f"hash chain {'intact' if doc['integrity']['chain_ok'] else '**BROKEN**'}", "",
             "## Controls", "", "| Control | Severity | Runs | Runs without a fail | Pass | Fail | Unknown | Waived |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for c in doc["controls"]:
        lines.append(f"| {_cell(c['id'])} {_cell(c.get('title', ''))} | {_cell(c.get('severity', ''))} | {c['runs']} | "
                     f"{c['runs_without_fail']} | {c['pass']} | {c['fail']} | {c['unknown']} | {c['waived']} |")
    lines += ["", "## Gaps", ""]
    lines += [f"- {g['from']} to {g['to']} ({g.get('missing', 1)} missing)" for g in doc["gaps"]] or ["None."]
    lines += ["", "## Failures during the period", ""]
    if doc["findings"]:
        lines += ["| Control | Severity | Resource | First failed | Resolved | Days open | At the end |",
                  "|---|---|---|---|---|---:|---|"]
        for f in doc["findings"]:
            lines.append(f"| {_cell(f['control_id'])} | {_cell(f.get('severity', ''))} | {_cell(f['address'])} | "
                         f"{f['first_failed']} | {f['resolved_at'] or 'open'} | {f['days_open']} | {f['status_at_end']} |")
    else:
        lines.append("None.")
    lines += ["", "## Time to remediate", ""]
    for sev, r in doc["remediation"].items():
        lines.append(f"- {sev}: {r['resolved']} resolved, mean {r['mean_days']} days, max {r['max_days']} days, "
                     f"{r.get('open_at_end', 0)} open at the end")
    lines += ["", "## Exceptions in force", ""]
    lines += [f"- {_cell(w['control_id'])} {_cell(w['resource'])}: {_cell(w['reason'])} (approved by "
              f"{_cell(w['approver'])}, expires {_cell(w['expires'])})" for w in doc["exceptions"]] or ["None."]
    lines += ["", "## Integrity", ""]
    lines += ([f"Hash chain intact ({doc['integrity'].get('runs_checked', 0)} stored runs checked)."]
              if doc["integrity"]["chain_ok"] else [f"- {_cell(x)}" for x in doc["integrity"]["problems"]])
    late = doc["integrity"].get("stored_out_of_order") or []
    lines += (["", "Stored out of time order (imported after later runs; each keeps its place in time, the chain "
                   "records when it was stored):", ""] + [f"- {_cell(x)}" for x in late]) if late else []
    return "\n".join(lines) + "\n"
