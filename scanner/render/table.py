"""A terminal table of the findings that need attention, then the summary (rich).

Past RICH_ROWS rows the table is printed as plain aligned lines instead: laying out
thousands of rows with rich takes seconds, and the gate should answer as fast as it scans.
Every value from the results is shown through ``terminal.printable``: an escape sequence is
written out, never obeyed, and a newline in a resource name cannot start a forged row.
rich wraps a cell in time that grows with the square of its length, so a cell shows at
most CELL characters (the JSON and HTML reports carry the whole text).
"""
from __future__ import annotations

import io

from ..terminal import printable

FORMAT = "table"
BINARY = False
ORDER = {"fail": 0, "unknown": 1, "waived": 2, "pass": 3}
RICH_ROWS = 300
CELL = 400       # characters of one table cell, past which it is cut (rich folds long words quadratically)
LINE = 4000      # characters of one value on a plain line


def clean(text) -> str:
    """Scanned names and tags may hold escape sequences: show them, do not obey them."""
    return printable(text)


def cut(text, n: int) -> str:
    """At most ``n`` characters, saying how many were left out (before escaping, so linear)."""
    text = str(text)
    if len(text) <= n:
        return clean(text)
    return clean(text[:n]) + f"… ({len(text) - n} more characters)"


def render(doc: dict, color: bool = False, show_pass: bool = False, width: int = 160, plain: bool = False,
           **_options) -> str:
    """``width``: the terminal's columns (the command line gives the real terminal's, or COLUMNS);
    ``plain``: aligned lines without borders, for a pipe or a file, where no width is known."""
    rows = [f for f in doc["findings"] if show_pass or f["status"] != "pass"]
    # what a --baseline accepted comes after what gates, so a new failure is not lost among old ones
    rows.sort(key=lambda f: (bool(f.get("baseline")), ORDER.get(f["status"], 9), f["control_id"],
                             f["resource"]["address"]))
    body = _rich(rows, color, width) if len(rows) <= RICH_ROWS and not plain else _plain(rows)
    s = doc["summary"]
    lines = [f"{s['pass']} pass, {s['fail']} fail, {s['unknown']} unknown, {s['waived']} waived "
             f"({len(doc['controls'])} controls, profile {cut(doc['run']['profile'], 200)})"]
    if doc.get("history"):   # a run kept in the history store (issue 15)
        from ..store.diff import since_line
        lines.append(cut(since_line(doc) or "", LINE))
    if doc.get("baseline"):   # --baseline (issue 20): accepted findings are listed, marked, and do not gate
        from ..baseline import summary_line
        lines.append(cut(summary_line(doc) or "", LINE))
    for c in doc.get("coverage", [])[:20]:
        lines.append(f"coverage: {cut(c['message'], LINE)}")
    if len(doc.get("coverage", [])) > 20:
        lines.append(f"coverage: ... and {len(doc['coverage']) - 20} more (see the JSON or HTML report)")
    for w in doc.get("waivers", []):
        if w.get("status") in ("expired", "unused"):
            lines.append(f"waiver {w['status']}: {cut(w['control_id'], 40)} {cut(w['resource'], LINE)} "
                         f"({cut(w.get('origin', ''), LINE)})")
    return body + "\n".join(lines) + "\n"


def _location(f: dict, n: int) -> str:
    loc = cut(f["resource"]["address"], n)
    if f["resource"].get("file"):
        loc += f"\n{cut(f['resource']['file'], n)}:{cut(f['resource'].get('line') or '', 20)}"
    return loc


def _rich(rows: list[dict], color: bool, width: int = 160) -> str:
    if not rows:
        return ""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    buf = io.StringIO()
    con = Console(file=buf, force_terminal=color, width=max(40, width), color_system="standard" if color else None)
    t = Table(title="Findings", show_lines=False, expand=False)
    for col in ("status", "control", "severity", "resource", "message"):
        t.add_column(col, overflow="fold")
    style = {"fail": "red", "unknown": "yellow", "waived": "cyan", "pass": "green"}
    for f in rows:
        status = cut(f["status"], 20) + (" (baseline)" if f.get("baseline") else "")
        t.add_row(f"[{style.get(f['status'], '')}]{escape(status)}[/]", escape(cut(f["control_id"], 40)),
                  escape(cut(f["severity"], 20)), escape(_location(f, CELL)), escape(cut(f["message"], CELL)))
    con.print(t)
    return buf.getvalue()


def _plain(rows: list[dict]) -> str:
    out = [f"Findings ({len(rows)})"]
    width = 17 if any(f.get("baseline") for f in rows) else 8   # "unknown·baseline" with --baseline
    for f in rows:
        where = cut(f["resource"]["address"], LINE)
        if f["resource"].get("file"):
            where += f" ({cut(f['resource']['file'], LINE)}:{cut(f['resource'].get('line') or '', 20)})"
        status = cut(f["status"], 20) + ("·baseline" if f.get("baseline") else "")
        out.append(f"{status:<{width}} {cut(f['control_id'], 40):<7} {cut(f['severity'], 20):<11} "
                   f"{where}: {cut(f['message'], LINE)}")
    return "\n".join(out) + "\n"
