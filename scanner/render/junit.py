"""JUnit XML for CI test views: one test suite per control, one test case per resource.

``fail`` and ``unknown`` are failures (unknown is not a pass), ``waived`` is
skipped with the waiver's reason, ``pass`` passes.  Text that XML 1.0 cannot
carry (control characters) is replaced, so the file always parses.
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from .locations import Locator

FORMAT = "junit"
BINARY = False

# characters XML 1.0 forbids even as references
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _x(text) -> str:
    return _BAD_XML.sub("\ufffd", str(text))


def render(doc: dict, **_options) -> str:
    by_control: dict[str, list] = {}
    for f in doc.get("findings", []):
        by_control.setdefault(f["control_id"], []).append(f)
    titles = {c["id"]: c for c in doc.get("controls", [])}
    order = [c["id"] for c in doc.get("controls", [])] + sorted(set(by_control) - set(titles))
    run = doc.get("run", {})
    root = ET.Element("testsuites", name="specguard")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    locate = Locator(doc)
    for cid in order:
        findings = by_control.get(cid, [])
        c = titles.get(cid, {"title": cid, "severity": "", "soc2": []})
        suite = ET.SubElement(root, "testsuite", name=_x(f"{cid} {c.get('title', '')}".strip()),
                              timestamp=_x(run.get("started_at", "")).rstrip("Z"), time="0", errors="0")
        props = ET.SubElement(suite, "properties")
        for k, v in (("control", cid), ("severity", c.get("severity", "")), ("soc2", ", ".join(c.get("soc2", []))),
                     ("requirement", c.get("requirement", "")), ("profile", run.get("profile", ""))):
            ET.SubElement(props, "property", name=k, value=_x(v))
        failures = skipped = 0
        for f in sorted(findings, key=lambda f: f["resource"]["address"]):
            r = f["resource"]
            case = ET.SubElement(suite, "testcase", classname=_x(cid), name=_x(r["address"]), time="0")
            file, line = locate.file_line(r) if r.get("file") else (None, None)
            if file:
                # the same path SARIF gives: from where specguard ran (the repository root in CI)
                case.set("file", _x(file))
                if line:
                    case.set("line", str(line))
            detail = _detail(f, file, line)
            if f["status"] in ("fail", "unknown") and f.get("baseline"):
                skipped += 1
                el = ET.SubElement(case, "skipped", message=_x(
                    f"[{f['status']}, accepted in baseline] {f['message']}"))
                el.text = detail
            elif f["status"] in ("fail", "unknown"):
                failures += 1
                el = ET.SubElement(case, "failure", message=_x(f"[{f['status']}] {f['message']}"),
                                   type=_x(f"{f['status']}:{f['severity']}"))
                el.text = detail
            elif f["status"] == "waived":
                skipped += 1
                w = f.get("waiver") or {}
                el = ET.SubElement(case, "skipped", message=_x(
                    f"waived: {w.get('reason', '')} (approved by {w.get('approver', '')}, "
                    f"expires {w.get('expires', '')})"))
                el.text = detail
            else:
                ET.SubElement(case, "system-out").text = detail
        suite.set("tests", str(len(findings)))
        suite.set("failures", str(failures))
        suite.set("skipped", str(skipped))
        totals["tests"] += len(findings)
        totals["failures"] += failures
        totals["skipped"] += skipped
    for k, v in totals.items():
        root.set(k, str(v))
    root.set("errors", "0")
    root.set("time", "0")
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _detail(f: dict, file: str | None, line) -> str:
    r = f["resource"]
    lines = [f"status: {f['status']}" + (" (accepted in baseline)" if f.get("baseline") else ""), f"severity: {f['severity']}", f"resource: {r['address']}",
             f"type: {r.get('type', '')}", f"source: {r.get('source', '')}"]
    if file:
        lines.append(f"file: {file}" + (f":{line}" if line else ""))
    lines.append(f"message: {f['message']}")
    if f.get("evidence"):
        lines.append("evidence: " + json.dumps(f["evidence"], ensure_ascii=False, sort_keys=True))
    return _x("\n".join(lines))
