"""--format gitlab-sast: GitLab's security report JSON (SAST, format 15.0.7), checked against what
GitLab's published schema requires.

REQUIRED below is written here from GitLab's schema (gitlab-org/security-products/security-report-schemas,
dist/sast-report-format.json of the v15 releases, whose required fields and enumerations were read
through classes generated from it, logchange/eir src/main/java/dev/logchange/eir/report/gitlab/v15/):
the schema file itself is not shipped (the stored copies reachable here had no copy of it to record).
"""
import json
import subprocess
import sys
import uuid

import jsonschema
import pytest

import reportlib
from planlib import Plan
from scanner.render import gitlab_sast, render

_text = {"type": "string", "minLength": 1}
_component = {"type": "object", "required": ["id", "name", "version", "vendor"],
              "properties": {"id": _text, "name": _text, "version": _text,
                             "vendor": {"type": "object", "required": ["name"], "properties": {"name": _text}}}}
REQUIRED = {
    "type": "object",
    "required": ["version", "scan", "vulnerabilities"],
    "properties": {
        "version": {"type": "string", "pattern": r"^15\.\d+\.\d+$"},
        "schema": {"type": "string"},
        "scan": {"type": "object",
                 "required": ["analyzer", "scanner", "start_time", "end_time", "status", "type"],
                 "properties": {
                     "analyzer": _component, "scanner": _component,
                     "start_time": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"},
                     "end_time": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"},
                     "status": {"enum": ["success", "failure"]},
                     "type": {"const": "sast"},
                     "messages": {"type": "array", "items": {
                         "type": "object", "required": ["level", "value"],
                         "properties": {"level": {"enum": ["info", "warn", "fatal"]}, "value": {"type": "string"}}}}}},
        "vulnerabilities": {"type": "array", "items": {
            "type": "object",
            "required": ["id", "identifiers", "location"],
            "properties": {
                "id": _text,
                "name": {"type": "string"}, "description": {"type": "string"}, "solution": {"type": "string"},
                "severity": {"enum": ["Info", "Unknown", "Low", "Medium", "High", "Critical"]},
                "identifiers": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["type", "name", "value"],
                    "properties": {"type": _text, "name": _text, "value": _text}}},
                "location": {"type": "object", "properties": {
                    "file": _text, "start_line": {"type": "integer", "minimum": 1},
                    "end_line": {"type": "integer", "minimum": 1}}}}}},
    },
}


def check(doc) -> dict:
    out = json.loads(render(doc, "gitlab-sast"))
    jsonschema.Draft7Validator(REQUIRED).validate(out)
    return out


def test_synthetic_document_one_vulnerability_per_fail_or_unknown():
    doc = reportlib.synthetic(400, xss=True)
    out = check(doc)
    bad = [f for f in doc["findings"] if f["status"] in ("fail", "unknown")]
    assert len(out["vulnerabilities"]) == len(bad) > 0
    ids = [v["id"] for v in out["vulnerabilities"]]
    assert len(set(ids)) == len(ids)
    assert ids[0] == str(uuid.uuid5(gitlab_sast.NAMESPACE, bad[0]["fingerprint"]))   # stable across pipelines
    assert [v["identifiers"][0]["value"] for v in out["vulnerabilities"]] == [f["control_id"] for f in bad]
    sev = {"critical": "Critical", "high": "High", "medium-high": "High", "medium": "Medium", "low": "Low",
           "info": "Info"}
    assert [v["severity"] for v in out["vulnerabilities"]] == [sev[f["severity"]] for f in bad]
    unknown = next(v for v, f in zip(out["vulnerabilities"], bad) if f["status"] == "unknown")
    assert unknown["description"].startswith("Unknown:")
    assert out["scan"]["start_time"] == doc["run"]["started_at"].rstrip("Z")
    assert len(out["scan"]["messages"]) == len(doc.get("coverage", []))


def test_tf_findings_locate_their_file_and_line_and_live_ones_a_scope_path(tmp_path):
    doc = reportlib.synthetic(200)
    out = check(doc)
    for v, f in zip(out["vulnerabilities"], [f for f in doc["findings"] if f["status"] in ("fail", "unknown")]):
        r = f["resource"]
        if r["source"] in ("aws", "azure"):
            assert v["location"]["file"].startswith(f"cloud/{r['provider']}/") and "start_line" not in v["location"]
        elif r.get("file") and r.get("line"):
            assert v["location"]["start_line"] == r["line"] and v["location"]["file"].endswith(r["file"])


def test_cli_writes_gitlab_sast_from_a_plan(tmp_path):
    p = Plan()
    p.add("aws_db_instance", "a", {"storage_encrypted": False})
    p.write(tmp_path / "plan.json")
    r = subprocess.run([sys.executable, "-m", "scanner", "scan", "plan.json", "--format", "gitlab-sast", "-o",
                        "gl-sast-report.json", "--fail-on", "none"], cwd=tmp_path, capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads((tmp_path / "gl-sast-report.json").read_text())
    jsonschema.Draft7Validator(REQUIRED).validate(out)
    enc = [v for v in out["vulnerabilities"] if v["identifiers"][0]["value"] == "ENC-01"]
    assert len(enc) == 1 and enc[0]["location"]["file"] == "plan.json" and "aws_db_instance.a" in enc[0]["description"]


def test_required_schema_catches_what_gitlab_would_refuse():
    """The check above is not vacuous: a report missing what GitLab requires fails it."""
    out = json.loads(render(reportlib.synthetic(50), "gitlab-sast"))
    for breakage in (lambda o: o["scan"].pop("analyzer"), lambda o: o["vulnerabilities"][0].pop("identifiers"),
                     lambda o: o["scan"].update(start_time="2025-03-01T10:00:00Z"),
                     lambda o: o["vulnerabilities"][0].update(severity="high")):
        broken = json.loads(json.dumps(out))
        breakage(broken)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.Draft7Validator(REQUIRED).validate(broken)
