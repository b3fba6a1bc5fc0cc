"""``scan --checkov-results FILE``: Checkov's findings as supplementary checks.

Reads Checkov's ``-o json`` output (one report object, or a list of them when
several frameworks ran) and returns one entry per Checkov result for the
results document's ``supplementary`` list.  They keep Checkov's own ids and
severities and never change the status of specguard's controls or the gate.

An optional YAML mapping file gives SOC 2 criteria (and, optionally, a
severity) per Checkov check id:

    CKV_AWS_16: [CC6.1]
    CKV_AWS_157:
      soc2: [A1.2]
      severity: medium

Entry shape (schema ``#/properties/supplementary``):

    {"tool": "checkov", "check_id": "CKV_AWS_16", "title": "...", "status": "pass"|"fail"|"skipped",
     "severity": "high"|null, "soc2": ["CC6.1"], "framework": "terraform_plan",
     "resource": {"address": "...", "type": "aws_db_instance", "provider": "aws", "file": "...", "line": 3},
     "message": "...", "guideline": "https://...", "skip_reason": "..."}
"""
from __future__ import annotations

import re
from typing import Any

from ..errors import InputError
from ..results import Run, sha256_file

STATUS = {"passed_checks": "pass", "failed_checks": "fail", "skipped_checks": "skipped"}
SEVERITY = {"critical": "critical", "high": "high", "medium": "medium", "moderate": "medium",
            "low": "low", "info": "info", "important": "high"}
_TYPE = re.compile(r"(?:^|\.)((?:data\.)?[a-z][a-z0-9]*_[a-z0-9_]+)\.[^.]+$")


def load(path: str, mapping_path: str | None, run: Run) -> list[dict[str, Any]]:
    mapping = load_mapping(mapping_path) if mapping_path else {}
    doc = _read(path)
    reports = doc if isinstance(doc, list) else [doc]
    out: list[dict[str, Any]] = []
    for i, rep in enumerate(reports):
        where = f"$[{i}]" if isinstance(doc, list) else "$"
        if not isinstance(rep, dict):
            raise InputError("not Checkov JSON output: a report is not an object", path, where)
        if "results" not in rep:
            if "passed" in rep and "failed" in rep:  # Checkov prints only a summary when nothing was scanned
                continue
            raise InputError("not Checkov JSON output (no 'results'; run checkov with -o json)", path, where)
        framework = str(rep.get("check_type") or "")
        results = rep["results"]
        if not isinstance(results, dict):
            raise InputError("malformed Checkov output: 'results' is not an object", path, f"{where}.results")
        for key, status in STATUS.items():
            records = results.get(key) or []
            if not isinstance(records, list):
                raise InputError(f"malformed Checkov output: '{key}' is not a list", path, f"{where}.results.{key}")
            for j, rec in enumerate(records):
                if not isinstance(rec, dict) or not rec.get("check_id"):
                    raise InputError("malformed Checkov output: a result without check_id", path,
                                     f"{where}.results.{key}[{j}]")
                out.append(_entry(rec, status, framework, mapping))
        for err in results.get("parsing_errors") or []:
            run.add_coverage("checkov-parsing-error", f"Checkov could not parse {err}", path=str(err))
    run.sources.append({"kind": "checkov", "path": path, "sha256": sha256_file(path)})
    out.sort(key=lambda e: ({"fail": 0, "skipped": 1, "pass": 2}.get(e["status"], 3), e["check_id"],
                            e["resource"]["address"]))
    return out


def _read(path: str) -> Any:
    from ..sources.terraform.plan import read_json
    return read_json(path)


def _entry(rec: dict, status: str, framework: str, mapping: dict[str, dict]) -> dict[str, Any]:
    cid = str(rec["check_id"])
    m = mapping.get(cid, {})
    address = str(rec.get("resource_address") or rec.get("resource") or "")
    res: dict[str, Any] = {"address": address}
    typ = _type_of(address)
    if typ:
        res["type"] = typ
        res["provider"] = "azure" if typ.startswith(("azurerm_", "azuread_")) else typ.split("_", 1)[0]
    file = rec.get("file_path") or rec.get("repo_file_path")
    if file:
        res["file"] = str(file)
    lines = rec.get("file_line_range")
    if isinstance(lines, list) and lines and isinstance(lines[0], int) and lines[0] > 0:
        res["line"] = lines[0]
    sev = m.get("severity") or SEVERITY.get(str(rec.get("severity") or "").lower())
    entry = {"tool": "checkov", "check_id": cid, "title": str(rec.get("check_name") or cid), "status": status,
             "severity": sev, "soc2": list(m.get("soc2") or []), "framework": framework, "resource": res}
    details = [str(d) for d in (rec.get("details") or []) if d]
    if details:
        entry["message"] = "; ".join(details)
    if rec.get("guideline"):
        entry["guideline"] = str(rec["guideline"])
    if status == "skipped":
        entry["skip_reason"] = str((rec.get("check_result") or {}).get("suppress_comment") or "")
    return entry


def _type_of(address: str) -> str | None:
    base = re.sub(r'\[[^\]]*\]', "", address)
    m = _TYPE.search(base)
    return m.group(1).removeprefix("data.") if m else None


def load_mapping(path: str) -> dict[str, dict[str, Any]]:
    """Checkov id -> {"soc2": [...], "severity": ...}; input errors name the file and the key."""
    from ..controls import SEVERITIES
    from ..yamlfile import read_yaml   # the bounded reader profiles and waivers use
    data = read_yaml(path, "mapping").data
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError("a Checkov mapping must be a YAML mapping of check id to SOC 2 criteria", path)
    out: dict[str, dict[str, Any]] = {}
    for cid, val in data.items():
        if isinstance(val, (list, str)):
            val = {"soc2": val}
        if not isinstance(val, dict):
            raise InputError("expected a list of SOC 2 criteria or {soc2, severity}", path, str(cid))
        extra = set(val) - {"soc2", "severity"}
        if extra:
            raise InputError(f"unknown key {sorted(extra)[0]!r} (expected soc2, severity)", path, f"{cid}.{sorted(extra)[0]}")
        soc2 = val.get("soc2") or []
        if isinstance(soc2, str):
            soc2 = [soc2]
        if not isinstance(soc2, list) or not all(isinstance(x, str) for x in soc2):
            raise InputError("soc2 must be a list of criteria such as CC6.1", path, f"{cid}.soc2")
        sev = val.get("severity")
        if sev is not None and str(sev).lower() not in SEVERITIES:
            raise InputError(f"unknown severity {sev!r} (expected {', '.join(SEVERITIES)})", path, f"{cid}.severity")
        out[str(cid)] = {"soc2": soc2, "severity": str(sev).lower() if sev is not None else None}
    return out
