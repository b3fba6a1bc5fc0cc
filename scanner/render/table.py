"""A terminal table of the findings that need attention, then the summary (rich)."""
from __future__ import annotations

import io

FORMAT = "table"
BINARY = False
ORDER = {"fail": 0, "unknown": 1, "waived": 2, "pass": 3}


def render(doc: dict, color: bool = False, show_pass: bool = False, **_options) -> str:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    buf = io.StringIO()
    con = Console(file=buf, force_terminal=color, width=160, color_system="standard" if color else None)
    rows = [f for f in doc["findings"] if show_pass or f["status"] != "pass"]
    rows.sort(key=lambda f: (ORDER.get(f["status"], 9), f["control_id"], f["resource"]["address"]))
    if rows:
        t = Table(title="Findings", show_lines=False, expand=False)
        for col in ("status", "control", "severity", "resource", "message"):
            t.add_column(col, overflow="fold")
        style = {"fail": "red", "unknown": "yellow", "waived": "cyan", "pass": "green"}
        for f in rows:
            loc = f["resource"]["address"]
            if f["resource"].get("file"):
                loc += f"\n{f['resource']['file']}:{f['resource'].get('line') or ''}"
            t.add_row(f"[{style.get(f['status'], '')}]{f['status']}[/]", f["control_id"], f["severity"],
                      escape(loc), escape(f["message"]))
        con.print(t)
    s = doc["summary"]
    con.print(f"{s['pass']} pass, {s['fail']} fail, {s['unknown']} unknown, {s['waived']} waived "
              f"({len(doc['controls'])} controls, profile {escape(doc['run']['profile'])})")
    for c in doc.get("coverage", [])[:20]:
        con.print(f"[yellow]coverage:[/] {escape(c['message'])}")
    return buf.getvalue()
