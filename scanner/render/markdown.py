"""A short Markdown summary for a pull-request comment or a CI job summary.

Counts first, then what the profile changed from the spec, then the failing
findings (fail, then unknown), then what the waivers did.  The result never
exceeds ``LIMIT`` characters (GitHub's limit for a comment body); when findings
are left out it says how many.  Every value from the results is escaped, so
HTML in a resource name shows as text, and a control character (an ANSI escape
in a tag value) shows as ``\x1b``: CI logs and PR comments must not interpret it.
"""
from __future__ import annotations

import json
import re
import unicodedata

from .locations import Locator

FORMAT = "markdown"
BINARY = False

LIMIT = 65536
CELL = 300            # longest message shown in one table cell
PROFILE_LINES = 30    # profile changes listed before "N more"
ORDER = {"fail": 0, "unknown": 1}
SEV_RANK = {"critical": 0, "high": 1, "medium-high": 2, "medium": 3, "low": 4, "info": 5}

# bidirectional overrides reorder what a reader sees ("Trojan Source"): shown escaped like controls
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _is_control(ch: str) -> bool:
    return ch in _BIDI or unicodedata.category(ch) in ("Cc", "Zl", "Zp")


def visible(ch: str) -> str:
    """A control character written out: \\x1b, \\u202e."""
    n = ord(ch)
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


# GitHub links `@name`, `@org/team` (which notify those people), `#123` and `GH-123` (which add a
# "mentioned this" event to that issue) in comments; a backslash does not stop it, because the
# linking is done on the rendered text.  An invisible WORD JOINER after the `@`, `#` or `GH`
# breaks the reference and keeps the text as it reads.
# (an @ after a letter is an e-mail address, which GitHub leaves alone, and so do we)
_REFERENCE = re.compile(r"((?<!\w)@(?=[-\w])|#(?=\d)|\bGH(?=-\d))", re.IGNORECASE)
JOINER = "\u2060"


def unlinked(text: str) -> str:
    """``text`` with nothing GitHub would turn into a mention or an issue reference."""
    return _REFERENCE.sub(lambda m: m.group(1) + JOINER, text)


def esc(text) -> str:
    """Text for Markdown (table cells too): HTML specials as entities, Markdown punctuation
    escaped, newlines and tabs as spaces, other control characters shown as \\x1b, and no
    @mention or #123 reference (see ``unlinked``)."""
    out = []
    for ch in unlinked(str(text)):
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
        elif _is_control(ch):
            out.append("\\" + visible(ch))     # its backslash escaped, so Markdown shows \x1b
        else:
            out.append(ch)
    return "".join(out)


def code(text) -> str:
    """A code span (not for table cells).  Its content is shown literally and is HTML-escaped
    by the renderer, so nothing is entity- or backslash-escaped here; newlines and tabs become
    spaces, other control characters are written out (\\x1b), and backticks in the text are
    kept, inside a fence longer than their longest run.  Empty text gives ""."""
    t = "".join(" " if ch in "\r\n\t" else visible(ch) if _is_control(ch) else ch for ch in str(text))
    if not t.strip():
        return ""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", t)), default=0) + 1)
    if t[0] == "`" or t[-1] == "`" or (t[0] == " " and t[-1] == " "):
        t = f" {t} "   # the renderer strips one space from each side
    return f"{fence}{t}{fence}"


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def render(doc: dict, limit: int = LIMIT, **_options) -> str:
    s = doc.get("summary", {})
    run = doc.get("run", {})
    findings = doc.get("findings", [])
    bad = [f for f in findings if f["status"] in ORDER]
    bad.sort(key=lambda f: (bool(f.get("baseline")), ORDER[f["status"]], SEV_RANK.get(f["severity"], 9), f["control_id"],
                            f["resource"]["address"]))
    failing_controls = [c for c in doc.get("controls", []) if c.get("status") in ("fail", "unknown")]
    verdict = ("❌ failing" if s.get("fail") else "⚠️ unknown evidence" if s.get("unknown") else "✅ passing")
    if doc.get("baseline"):   # --baseline (issue 20): what the baseline accepted does not make the run fail
        open_ = [f for f in bad if not f.get("baseline")]
        verdict = ("❌ failing" if any(f["status"] == "fail" for f in open_) else
                   "⚠️ unknown evidence" if open_ else "✅ no new findings (baseline)")
    head = [f"## specguard: {verdict}", ""]
    who = " · ".join(esc(x) for x in (run.get("organisation"), run.get("system")) if x)
    if who:
        head += [who, ""]
    head += ["| fail | unknown | waived | pass | total |", "|---:|---:|---:|---:|---:|",
             f"| {s.get('fail', 0)} | {s.get('unknown', 0)} | {s.get('waived', 0)} | {s.get('pass', 0)} | "
             f"{s.get('total', len(findings))} |", "",
             f"{len(doc.get('controls', []))} controls, {len(failing_controls)} failing or unknown · profile "
             f"{code(run.get('profile', '')) or '(none)'} · specguard {esc(doc.get('tool', {}).get('version', ''))} · "
             f"run {esc(run.get('finished_at', ''))}", ""]
    if doc.get("history"):   # a run kept in the history store (issue 15)
        from ..store.diff import since_line
        head += [esc(since_line(doc) or ""), ""]
    if doc.get("baseline"):
        from ..baseline import summary_line
        head += [esc(summary_line(doc) or ""), ""]
    head += _profile_lines(doc)
    tail = _waiver_lines(doc) + _coverage_lines(doc)
    body: list[str] = []
    if bad:
        body += ["### Failing findings", "", "| status | control | severity | resource | message |",
                 "|---|---|---|---|---|"]
    used = sum(len(x) + 1 for x in head + body + tail)
    note_room = 200  # the "N more" line
    shown = 0
    locate = Locator(doc)
    for f in bad:
        r = f["resource"]
        where = esc(_cut(r["address"], CELL))
        file, fline = locate.file_line(r) if r.get("file") else (None, None)
        if file:
            where += f"<br>{esc(_cut(file, 200))}" + (f":{fline}" if fline else "")
        status = f["status"] + (" (baseline)" if f.get("baseline") else "")
        line = (f"| {status} | {esc(f['control_id'])} | {esc(f['severity'])} | {where} | "
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


def setting_value(v) -> str:
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)


def _profile_lines(doc: dict) -> list[str]:
    """One line per change the profile made to the spec: a weakened check must not read as meeting it."""
    overrides = doc.get("run", {}).get("profile_overrides") or []
    disabled = doc.get("disabled_controls") or []
    if not overrides and not disabled:
        return []
    lines = [f"**⚠️ Profile changes from the spec defaults:** {len(overrides)} setting(s) changed, "
             f"{len(disabled)} control(s) disabled.", ""]
    for o in overrides[:PROFILE_LINES]:
        name = str(o.get("setting", "")).removeprefix("params.")
        lines.append(f"- {esc(o.get('control_id', ''))}: {code(_cut(name, 100))} = "
                     f"{code(_cut(setting_value(o.get('profile')), 200)) or '(empty)'} "
                     f"(spec: {code(_cut(setting_value(o.get('spec')), 200)) or '(empty)'})")
    for d in disabled[:max(0, PROFILE_LINES - len(overrides))]:
        lines.append(f"- {esc(d.get('id', ''))}: disabled by profile ({esc(_cut(str(d.get('title', '')), 200))})")
    more = len(overrides) + len(disabled) - (len(lines) - 2)
    if more > 0:
        lines.append(f"- _{more} more profile changes in the full report._")
    return lines + [""]


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
