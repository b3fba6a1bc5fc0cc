"""A short Markdown summary for a pull-request comment or a CI job summary.

Counts first, then the failing findings (fail, then unknown), then what the
waivers did.  The result never exceeds ``LIMIT`` characters (GitHub's limit
for a comment body); when findings are left out it says how many.  Every value
from the results is escaped, so HTML in a resource name shows as text.
"""
from __future__ import annotations

FORMAT = "markdown"
BINARY = False

LIMIT = 65536
CELL = 300            # longest message shown in one table cell
ORDER = {"fail": 0, "unknown": 1}
SEV_RANK = {"critical": 0, "high": 1, "medium-high": 2, "medium": 3, "low": 4, "info": 5}


def esc(text) -> str:
    """Text for a Markdown table cell: HTML specials as entities, Markdown punctuation escaped."""
    out = []
    for ch in str(text):
        if ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ch in "\\`*_{}[]()#+!|~":
            out.append("\\" + ch)
        elif ch in "\r\n\t":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def render(doc: dict, limit: int = LIMIT, **_options) -> str:
    s = doc.get("summary", {})
    run = doc.get("run", {})
    findings = doc.get("findings", [])
    bad = [f for f in findings if f["status"] in ORDER]
    bad.sort(key=lambda f: (ORDER[f["status"]], SEV_RANK.get(f["severity"], 9), f["control_id"],
                            f["resource"]["address"]))
    failing_controls = [c for c in doc.get("controls", []) if c.get("status") in ("fail", "unknown")]
    verdict = ("❌ failing" if s.get("fail") else "⚠️ unknown evidence" if s.get("unknown") else "✅ passing")
    head = [f"## specguard: {verdict}", ""]
    who = " · ".join(esc(x) for x in (run.get("organisation"), run.get("system")) if x)
    if who:
        head += [who, ""]
    head += ["| fail | unknown | waived | pass | total |", "|---:|---:|---:|---:|---:|",
             f"| {s.get('fail', 0)} | {s.get('unknown', 0)} | {s.get('waived', 0)} | {s.get('pass', 0)} | "
             f"{s.get('total', len(findings))} |", "",
             f"{len(doc.get('controls', []))} controls, {len(failing_controls)} failing or unknown · profile "
             f"`{esc(run.get('profile', ''))}` · specguard {esc(doc.get('tool', {}).get('version', ''))} · "
             f"run {esc(run.get('finished_at', ''))}", ""]
    tail = _waiver_lines(doc) + _coverage_lines(doc)
    body: list[str] = []
    if bad:
        body += ["### Failing findings", "", "| status | control | severity | resource | message |",
                 "|---|---|---|---|---|"]
    used = sum(len(x) + 1 for x in head + body + tail)
    note_room = 200  # the "N more" line
    shown = 0
    for f in bad:
        r = f["resource"]
        where = esc(_cut(r["address"], CELL))
        if r.get("file"):
            where += f"<br>{esc(_cut(r['file'], 200))}" + (f":{r['line']}" if r.get("line") else "")
        line = (f"| {f['status']} | {esc(f['control_id'])} | {esc(f['severity'])} | {where} | "
                f"{esc(_cut(f['message'], CELL))} |")
        if used + len(line) + 1 + note_room > limit:
            break
        body.append(line)
        used += len(line) + 1
        shown += 1
    if shown < len(bad):
        left = bad[shown:]
        nf = sum(1 for f in left if f["status"] == "fail")
        body += ["", f"_{len(left)} more failing findings not shown ({nf} fail, {len(left) - nf} unknown): "
                     f"see the full report._"]
    if not bad:
        body += ["No failing or unknown finding."]
    text = "\n".join(head + body + [""] + tail).rstrip("\n") + "\n"
    if len(text) > limit:  # only when the fixed parts alone are huge (thousands of waivers)
        text = text[: limit - 80].rsplit("\n", 1)[0] + "\n\n_Summary truncated at the size limit._\n"
    return text


def _waiver_lines(doc: dict) -> list[str]:
    ws = doc.get("waivers", [])
    if not ws:
        return []
    by = {k: [w for w in ws if w.get("status") == k] for k in ("applied", "expired", "unused")}
    lines = ["### Waivers", "",
             f"{len(by['applied'])} applied, {len(by['expired'])} expired, {len(by['unused'])} unused.", ""]
    flagged = by["expired"] + by["unused"]
    for w in flagged[:20]:
        lines.append(f"- **{w['status']}**: {esc(w['control_id'])} on {esc(_cut(w['resource'], 200))} "
                     f"(expires {esc(w['expires'])}, approved by {esc(_cut(w['approver'], 100))})")
    if len(flagged) > 20:
        lines.append(f"- _{len(flagged) - 20} more expired or unused waivers not shown._")
    return lines + [""]


def _coverage_lines(doc: dict) -> list[str]:
    cov = doc.get("coverage", [])
    if not cov:
        return []
    lines = ["### Coverage", ""]
    for c in cov[:10]:
        lines.append(f"- {esc(_cut(c.get('message', ''), CELL))}")
    if len(cov) > 10:
        lines.append(f"- _{len(cov) - 10} more coverage notes in the full report._")
    return lines
