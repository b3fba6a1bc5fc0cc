"""GitLab's security report JSON for SAST (``artifacts: reports: sast:``), format version 15.0.7.

One vulnerability per ``fail`` or ``unknown`` finding (as in SARIF): the primary identifier is the
finding's fingerprint and the control the second (GitLab tracks a vulnerability by its primary
identifier and its location's file and lines, so findings of one control without a line would be
merged into one), the id is a UUID derived from the finding's fingerprint so it is the same in
every pipeline, and the location is the .tf
file and line when known, the plan file otherwise, and for live-cloud findings a stable
pseudo-path naming the scope (as the SARIF renderer does).  Findings a ``--baseline`` accepted are
listed too and say so in their description (the format has no baseline marking).  Coverage
notes become the scan's ``warn`` messages.

What the format requires (GitLab's published schema, security-report-schemas v15.x
``dist/sast-report-format.json``): ``version``, ``scan`` (``analyzer`` and ``scanner`` with
``id``, ``name``, ``version``, ``vendor.name``; ``type`` "sast"; ``start_time``/``end_time`` as
``YYYY-MM-DDTHH:MM:SS``; ``status``), ``vulnerabilities`` (each with ``id``, ``identifiers``
with ``type``, ``name`` and ``value``, and a ``location``); severities are Info, Unknown, Low,
Medium, High or Critical; a name has at most 255 characters, a solution 7,000, and a scan message
at least one (tests/test_render_gitlab_sast.py checks each of these, written from the schema).
"""
from __future__ import annotations

import json
import uuid

from .locations import Locator
from .sarif import _location as sarif_location

FORMAT = "gitlab-sast"
BINARY = False

VERSION = "15.0.7"
SCHEMA_URL = ("https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/"
              f"v{VERSION}/dist/sast-report-format.json")
SEVERITY = {"critical": "Critical", "high": "High", "medium-high": "High", "medium": "Medium", "low": "Low",
            "info": "Info"}
NAMESPACE = uuid.UUID("6a1f2a8e-6a55-4f0b-9a43-5d0c2f7b9e21")   # ids: uuid5(NAMESPACE, fingerprint)
MAX_TEXT = 10000   # characters of a description (GitLab stores and shows it; the JSON report has all)
MAX_NAME = 255     # the format's limits (a user's control may have a long title or requirement)
MAX_SOLUTION = 7000


def render(doc: dict, **_options) -> str:
    return json.dumps(build(doc), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _time(stamp: str) -> str:
    """GitLab's time format: ISO 8601 UTC without the zone letter."""
    return (stamp or "1970-01-01T00:00:00Z").rstrip("Z")[:19]


def build(doc: dict) -> dict:
    tool = doc.get("tool") or {}
    run = doc.get("run") or {}
    version = str(tool.get("version") or "0")
    component = {"id": "specguard", "name": "specguard", "version": version,
                 "vendor": {"name": "specguard"}}
    controls = {c["id"]: c for c in doc.get("controls") or []}
    locate = Locator(doc)
    vulns = [_vulnerability(f, controls.get(f["control_id"], {}), locate, doc)
             for f in doc.get("findings") or [] if f["status"] in ("fail", "unknown")]
    # the format refuses an empty message: a coverage entry without one is said by its kind
    messages = [{"level": "warn",
                 "value": str(c.get("message") or "").strip() or f"coverage: {c.get('kind') or 'note'}"}
                for c in doc.get("coverage") or []]
    return {"version": VERSION, "schema": SCHEMA_URL,
            "scan": {"analyzer": component, "scanner": dict(component),
                     "type": "sast", "status": "success",
                     "start_time": _time(run.get("started_at", "")), "end_time": _time(run.get("finished_at", "")),
                     "messages": messages},
            "vulnerabilities": vulns}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _file(f: dict, locate: Locator) -> tuple[str, int | None]:
    r = f["resource"]
    file, line = locate.file_line(r)
    if file:
        return file, line
    loc = sarif_location(r, locate.plans, locate.bases)["physicalLocation"]["artifactLocation"]["uri"]
    return loc, None


def _vulnerability(f: dict, control: dict, locate: Locator, doc: dict) -> dict:
    r = f["resource"]
    cid = f["control_id"]
    title = control.get("title") or cid
    file, line = _file(f, locate)
    fingerprint = f.get("fingerprint") or f"{cid}|{r['address']}"
    lines = []
    if f.get("baseline"):
        lines.append(f"Accepted in the baseline ({(doc.get('baseline') or {}).get('path', '')}): "
                     "listed, not counted for the gate.")
    if f["status"] == "unknown":
        lines.append("Unknown: the evidence needed could not be obtained (never counted as a pass).")
    lines += [f"{r['address']} ({r.get('type', '')}): {f['message']}"]
    if control.get("requirement"):
        lines.append(f"Requirement: {control['requirement']}")
    if control.get("soc2"):
        lines.append("SOC 2 criteria: " + ", ".join(control["soc2"]))
    if f.get("evidence"):
        lines.append("Evidence: " + json.dumps(f["evidence"], ensure_ascii=False, sort_keys=True, allow_nan=False))
    text = _cut("\n\n".join(lines), MAX_TEXT)
    location = {"file": file}
    extra = {}
    if line:
        location.update(start_line=int(line), end_line=int(line))
        # the location's lines move when lines are added above; a tracking signature that does not
        # (the finding's fingerprint) lets GitLab follow the finding instead of reporting it fixed and new
        extra["tracking"] = {"type": "source", "items": [
            {"file": file, "start_line": int(line), "end_line": int(line),
             "signatures": [{"algorithm": "hash", "value": fingerprint}]}]}
    return {"id": str(uuid.uuid5(NAMESPACE, fingerprint)),
            "name": _cut(f"{cid}: {title}", MAX_NAME),
            "description": text,
            "severity": SEVERITY.get(f.get("severity", ""), "Unknown"),
            "solution": _cut(control.get("requirement") or title, MAX_SOLUTION),
            # GitLab takes two vulnerabilities with the same primary identifier and location (file, start
            # and end line) for one: findings without a line (a plan without its .tf, live resources) of one
            # control would merge, so the primary identifier is the finding (its stable fingerprint) and
            # the control comes second
            "identifiers": [{"type": "specguard_finding", "name": _cut(f"specguard {cid} {r['address']}", MAX_NAME),
                             "value": fingerprint},
                            {"type": "specguard_control", "name": f"specguard {cid}", "value": cid}],
            "location": location, **extra}
