"""A terminal table of the findings that need attention, then the summary (rich).

Past RICH_ROWS rows the table is printed as plain aligned lines instead: laying out
thousands of rows with rich takes seconds, and the gate should answer as fast as it scans.
Control characters from scanned data are shown escaped, never sent to the terminal.
"""
from __future__ import annotations

import io
import re

FORMAT = "table"
BINARY = False
ORDER = {"fail": 0, "unknown": 1, "waived": 2, "pass": 3}
RICH_ROWS = 300
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text) -> str:
    """Scanned names and tags may hold escape sequences: show them, do not obey them."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def render(doc: dict, color: bool = False, show_pass: bool = False, **_options) -> str:
    rows = [f for f in doc["findings"] if show_pass or f["status"] != "pass"]
    rows.sort(key=lambda f: (ORDER.get(f["status"], 9), f["control_id"], f["resource"]["address"]))
    body = _rich(rows, color) if len(rows) <= RICH_ROWS else _plain(rows)
    s = doc["summary"]
    lines = [f"{s['pass']} pass, {s['fail']} fail, {s['unknown']} unknown, {s['waived']} waived "
             f"({len(doc['controls'])} controls, profile {clean(doc['run']['profile'])})"]
    for c in doc.get("coverage", [])[:20]:
        lines.append(f"coverage: {clean(c['message'])}")
    if len(doc.get("coverage", [])) > 20:
        lines.append(f"coverage: ... and {len(doc['coverage']) - 20} more (see the JSON or HTML report)")
    for w in doc.get("waivers", []):
        if w.get("status") in ("expired", "unused"):
            lines.append(f"waiver {w['status']}: {clean(w['control_id'])} {clean(w['resource'])} ({clean(w.get('origin', ''))})")
    return body + "\n".join(lines) + "\n"


def _location(f: dict) -> str:
    loc = clean(f["resource"]["address"])
    if f["resource"].get("file"):
        loc += f"\n{clean(f['resource']['file'])}:{f['resource'].get('line') or ''}"
    return loc


def _rich(rows: list[dict], color: bool) -> str:
    if not rows:
        return ""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    buf = io.StringIO()
    con = Console(file=buf, force_terminal=color, width=160, color_system="standard" if color else None)
    t = Table(title="Findings", show_lines=False, expand=False)
    for col in ("status", "control", "severity", "resource", "message"):
        t.add_column(col, overflow="fold")
    style = {"fail": "red", "unknown": "yellow", "waived": "cyan", "pass": "green"}
    for f in rows:
        t.add_row(f"[{style.get(f['status'], '')}]{f['status']}[/]", f["control_id"], f["severity"],
                  escape(_location(f)), escape(clean(f["message"])))
    con.print(t)
    return buf.getvalue()


def _plain(rows: list[dict]) -> str:
    out = [f"Findings ({len(rows)})"]
    for f in rows:
        where = clean(f["resource"]["address"])
        if f["resource"].get("file"):
            where += f" ({clean(f['resource']['file'])}:{f['resource'].get('line') or ''})"
        out.append(f"{f['status']:<8} {f['control_id']:<7} {f['severity']:<11} {where}: {clean(f['message'])}")
    return "\n".join(out) + "\n"
