"""SARIF 2.1.0 for GitHub code scanning (and any SARIF viewer).

One rule per control (help text, ``security-severity``); one result per
``fail`` or ``unknown`` finding.  GitHub rejects a result without a physical
location, so every result has one: the finding's .tf file and line when known
(joined to the input it came from, ``resource.input``, and made relative to the
working directory), the finding's own plan file for a plan finding without
source, and for live-cloud findings a stable pseudo-path naming the cloud scope
(the ARN / resource ID is the result's logical location).
``partialFingerprints`` are the findings' fingerprints (control, address and,
when a run has several inputs, the input), so an alert survives edits that
move lines and the same address in two plans stays two alerts.
"""
from __future__ import annotations

import json
import os
import posixpath

from .locations import bases_of, plan_sources, where

FORMAT = "sarif"
BINARY = False

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
# GitHub reads security-severity as: >= 9 critical, >= 7 high, >= 4 medium, > 0 low.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium-high": "7.0", "medium": "5.5", "low": "3.0",
                     "info": "1.0"}
LEVEL = {"fail": "error", "unknown": "warning"}
FINGERPRINT_KEY = "specguardFinding/v1"
SRCROOT = "%SRCROOT%"   # relative URIs are relative to the directory specguard ran in (the checkout in CI)


def render(doc: dict, **_options) -> str:
    return json.dumps(build(doc), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def build(doc: dict) -> dict:
    controls = list(doc.get("controls", []))
    known = {c["id"] for c in controls}
    for f in doc.get("findings", []):  # a finding of a control the document does not list still needs a rule
        if f["control_id"] not in known:
            known.add(f["control_id"])
            controls.append({"id": f["control_id"], "title": f["control_id"], "family": "", "severity": f["severity"],
                             "soc2": []})
    rule_index = {c["id"]: i for i, c in enumerate(controls)}
    plan_paths, bases = plan_sources(doc), bases_of(doc)
    with_baseline = isinstance(doc.get("baseline"), dict)
    results = [_result(f, rule_index, plan_paths, bases, with_baseline) for f in doc.get("findings", [])
               if f["status"] in LEVEL]
    tool = doc.get("tool", {})
    run_info = doc.get("run", {})
    sarif_run = {
        "tool": {"driver": {"name": "specguard", "version": str(tool.get("version", "")),
                            "semanticVersion": str(tool.get("version", "")),
                            "rules": [_rule(c) for c in controls]}},
        "automationDetails": {"id": f"specguard/{run_info.get('profile', 'spec')}/"},
        "invocations": [_invocation(doc)],
        "results": results,
        "columnKind": "utf16CodeUnits",
        "properties": {"profile": run_info.get("profile", ""), "profileSha256": run_info.get("profile_sha256", ""),
                       "summary": doc.get("summary", {}),
                       **({"baseline": doc["baseline"]} if with_baseline else {})},
    }
    runs = [sarif_run]
    if doc.get("supplementary"):
        runs.append(_supplementary_run(doc["supplementary"], plan_paths))
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": runs}


def _supplementary_run(entries: list[dict], plan_paths: list[str]) -> dict:
    """Imported checks (Checkov) as a run of their own tool: they are not specguard controls.

    One rule per check id (passing ones too, so the report shows what was checked); results for
    fail, and for skipped as suppressed results (Checkov's skip comments live in the source)."""
    rules: dict[str, dict] = {}
    results = []
    tool = "checkov"
    for e in entries:
        cid = str(e.get("check_id"))
        tool = str(e.get("tool") or tool)
        if cid not in rules:
            rule = {"id": cid, "shortDescription": {"text": str(e.get("title") or cid)},
                    "properties": {"tags": ["supplementary", *(f"soc2/{k}" for k in e.get("soc2") or [])]}}
            if e.get("severity") in SECURITY_SEVERITY:
                rule["properties"]["security-severity"] = SECURITY_SEVERITY[e["severity"]]
            if e.get("guideline"):
                rule["helpUri"] = str(e["guideline"])
            rules[cid] = rule
        if e.get("status") not in ("fail", "skipped"):
            continue
        r = dict(e.get("resource") or {})
        if r.get("file"):   # Checkov writes files relative to its root with a leading slash
            r["file"] = str(r["file"]).lstrip("/") or str(r["file"])
        r.setdefault("address", "")
        text = f"{r['address']}: {e.get('title') or cid}" + (f" ({e['message']})" if e.get("message") else "")
        res = {"ruleId": cid, "level": "error", "message": {"text": text},
               "locations": [_location(dict(r, source="terraform-plan" if not r.get("file") else ""),
                                       plan_paths, {})],
               "partialFingerprints": {"supplementaryFinding/v1": _fingerprint(
                   {"control_id": cid, "resource": {"address": r["address"]}})}}
        if e.get("status") == "skipped":
            res["suppressions"] = [{"kind": "inSource", "justification": str(e.get("skip_reason") or "")}]
        results.append(res)
    index = {cid: i for i, cid in enumerate(rules)}
    for res in results:
        res["ruleIndex"] = index[res["ruleId"]]
    return {"tool": {"driver": {"name": tool, "rules": list(rules.values()),
                                "properties": {"importedBy": "specguard"}}},
            "results": results, "columnKind": "utf16CodeUnits"}


def _rule(c: dict) -> dict:
    sev = c.get("severity", "info")
    requirement = c.get("requirement") or c.get("title") or c["id"]
    criteria = ", ".join(c.get("soc2", [])) or "none"
    text = (f"{c['id']}: {requirement}\n\nSOC 2 criteria: {criteria}. Severity: {sev}.\n"
            f"A finding is 'fail' when the requirement is definitely not met and 'unknown' when the evidence "
            f"needed could not be obtained (specguard never reports what it could not see as a pass).")
    md = (f"**{_md(c['id'])}**: {_md(requirement)}\n\n* SOC 2 criteria: {_md(criteria)}\n* Severity: {_md(sev)}\n\n"
          f"`fail`: the requirement is definitely not met. `unknown`: the evidence needed could not be obtained "
          f"(never counted as a pass).")
    rule = {"id": c["id"], "name": _pascal(c.get("title") or c["id"]),
            "shortDescription": {"text": c.get("title") or c["id"]},
            "fullDescription": {"text": requirement},
            "help": {"text": text, "markdown": md},
            "defaultConfiguration": {"level": "error"},
            "properties": {"security-severity": SECURITY_SEVERITY.get(sev, "5.0"), "precision": "high",
                           "tags": ["security", "compliance", *(f"soc2/{k}" for k in c.get("soc2", [])),
                                    *([f"family/{c['family']}"] if c.get("family") else [])]}}
    origin = c.get("origin")
    if origin:   # a user's control (issue 18): where it was defined, as the results record it
        o = origin
        where = (f"{o.get('package')} {o.get('version') or ''}".strip() if o.get("kind") == "package" else
                 f"{o.get('path')}{':' + str(o['line']) if o.get('line') else ''}")
        rule["help"]["text"] += f"\nThe organisation's own control ({o.get('kind')}: {where})."
        rule["help"]["markdown"] += f"\n\nThe organisation's own control ({_md(str(o.get('kind')))}: {_md(where)})."
        rule["properties"]["origin"] = origin
        rule["properties"]["tags"].append("custom")
    return rule


def _pascal(text: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in "".join(ch if ch.isalnum() else " " for ch in text).split())


def _md(text: str) -> str:
    """Markdown help text is rendered by GitHub: keep it text."""
    out = []
    for ch in str(text):
        if ch in "&<>":
            out.append({"&": "&amp;", "<": "&lt;", ">": "&gt;"}[ch])
        elif ch in "\\`*_{}[]()#+-!|~":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _result(f: dict, rule_index: dict, plan_paths: list[str], bases: dict[str, str], baseline: bool = False) -> dict:
    r = f["resource"]
    status = f["status"]
    prefix = "" if status == "fail" else "[unknown] "
    text = f"{prefix}{r['address']}: {f['message']}"
    result = {
        "ruleId": f["control_id"], "ruleIndex": rule_index[f["control_id"]],
        "level": LEVEL[status],
        "message": {"text": text},
        "locations": [_location(r, plan_paths, bases)],
        "partialFingerprints": {FINGERPRINT_KEY: _fingerprint(f)},
        "properties": {"status": status, "severity": f["severity"], "resourceAddress": r["address"],
                       "resourceType": r.get("type", ""), "source": r.get("source", ""),
                       "evidence": f.get("evidence", {})},
    }
    if r.get("input"):
        result["properties"]["input"] = str(r["input"])
    if baseline:   # --baseline (issue 20): SARIF 2.1.0's own marking, 3.27.24
        result["baselineState"] = "unchanged" if f.get("baseline") else "new"
        result["properties"]["baseline"] = bool(f.get("baseline"))
    return result


def _fingerprint(f: dict) -> str:
    """The finding's own fingerprint: the results document salts it with the input when one run
    scans several, so the same address in two plans gives two alerts, each stable across runs."""
    import hashlib
    return f.get("fingerprint") or hashlib.sha256(
        f"{f['control_id']}|{f['resource']['address']}".encode()).hexdigest()[:32]


def _location(r: dict, plan_paths: list[str], bases: dict[str, str]) -> dict:
    logical = [{"fullyQualifiedName": r["address"], "kind": "resource"}]
    file, line, note = where(r, plan_paths, bases)
    if file:
        phys = {"artifactLocation": _artifact(file)}
        if line:
            phys["region"] = {"startLine": int(line)}
        loc = {"physicalLocation": phys, "logicalLocations": logical}
        if note:
            loc["message"] = {"text": note}
        return loc
    # live cloud: no file in the repository; a stable pseudo-path names the scope
    parts = [r.get("provider") or r.get("source") or "cloud"]
    for key in ("account", "subscription", "region", "location"):
        if r.get(key):
            parts.append(_segment(str(r[key])))
    parts.append(_segment(r.get("type") or "resource"))
    return {"physicalLocation": {"artifactLocation": {"uri": "cloud/" + "/".join(parts),
                                                      "description": {"text": f"live resource {r['address']}"}}},
            "logicalLocations": logical}


def _segment(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text) or "_"


def _artifact(path: str) -> dict:
    """A relative URI (GitHub reads it from the repository root) when the path is relative or under the
    working directory, else a file URI (the upload action relativises those against the checkout)."""
    p = path.replace("\\", "/")
    if os.path.isabs(path):
        cwd = os.getcwd()
        try:
            rel = os.path.relpath(path, cwd)
        except ValueError:
            rel = None
        if rel and not rel.startswith(".."):
            p = rel.replace("\\", "/")
        else:
            from pathlib import Path
            return {"uri": Path(path).as_uri()}
    p = posixpath.normpath(p)
    from urllib.parse import quote
    return {"uri": quote(p, safe="/-_.~"), "uriBaseId": SRCROOT}


def _invocation(doc: dict) -> dict:
    notes = []
    for c in doc.get("coverage", []):
        notes.append({"level": "warning", "message": {"text": c.get("message", "")},
                      "descriptor": {"id": str(c.get("kind", "coverage"))}})
    run = doc.get("run", {})
    inv = {"executionSuccessful": True, "toolExecutionNotifications": notes}
    if run.get("started_at"):
        inv["startTimeUtc"] = run["started_at"]
    if run.get("finished_at"):
        inv["endTimeUtc"] = run["finished_at"]
    return inv
