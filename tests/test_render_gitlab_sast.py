"""--format gitlab-sast: GitLab's security report JSON (SAST, format 15.0.7), checked against the constraints
GitLab's published schema puts on every field we write.

SCHEMA below is written here, field by field, from GitLab's schema for the version we declare
(security-report-schemas v15.0.7, dist/sast-report-format.json, Draft 7, as GitLab's own application kept a
copy of it under lib/gitlab/ci/parsers/security/validators/schemas/15.0.7/): every required property,
enumeration, pattern, minLength and maxLength of the parts of the format we fill in (scan, analyzer/scanner,
messages, vulnerabilities with name, description, severity, solution, identifiers and location).  The parts we
never write (details, flags, cvss_vectors, links, remediations, options, primary_identifiers) are not
transcribed, and ``test_we_write_only_what_the_transcription_covers`` fails if we start writing one.

The schema file itself is not in the repository (third-party files are not committed) and no package on the
registries the project installs from (PyPI, npm, Debian) ships it: GitLab publishes it only on gitlab.com and in
its Ruby gem ``gitlab-security_report_schemas``.  To check a report by hand against the real file, save it and
run ``python -m jsonschema -i gl-sast-report.json sast-report-format.json``.
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
_time = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"}
_vendor = {"type": "object", "required": ["name"], "properties": {"name": _text}}
_analyzer = {"type": "object", "required": ["id", "name", "version", "vendor"],
             "properties": {"id": _text, "name": _text, "version": _text, "vendor": _vendor,
                            "url": {"type": "string", "pattern": "^https?://.+"}}}
_scanner = {"type": "object", "required": ["id", "name", "version", "vendor"],
            "properties": {"id": _text, "name": _text, "version": _text, "vendor": _vendor, "url": {"type": "string"}}}
_identifier = {"type": "object", "required": ["type", "name", "value"],
               "properties": {"type": _text, "name": _text, "value": _text,
                              "url": {"type": "string", "pattern": "^(https?|ftp)://.+"}}}
SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["scan", "version", "vulnerabilities"],
    "additionalProperties": True,
    "properties": {
        "schema": {"type": "string", "pattern": "^https?://.+"},
        "version": {"type": "string", "pattern": r"^[0-9]+\.[0-9]+\.[0-9]+$"},
        "scan": {"type": "object",
                 "required": ["analyzer", "end_time", "scanner", "start_time", "status", "type"],
                 "properties": {
                     "analyzer": _analyzer, "scanner": _scanner, "start_time": _time, "end_time": _time,
                     "status": {"type": "string", "enum": ["success", "failure"]},
                     "type": {"type": "string", "enum": ["sast"]},
                     "messages": {"type": "array", "items": {
                         "type": "object", "required": ["level", "value"],
                         "properties": {"level": {"type": "string", "enum": ["info", "warn", "fatal"]},
                                        "value": {"type": "string", "minLength": 1}}}}}},
        "vulnerabilities": {"type": "array", "items": {
            "type": "object",
            "required": ["id", "identifiers", "location"],
            "properties": {
                "id": _text,
                "name": {"type": "string", "maxLength": 255},
                "description": {"type": "string", "maxLength": 1048576},
                "severity": {"type": "string", "enum": ["Info", "Unknown", "Low", "Medium", "High", "Critical"]},
                "solution": {"type": "string", "maxLength": 7000},
                "identifiers": {"type": "array", "minItems": 1, "items": _identifier},
                "tracking": {
                    "type": "object",
                    "oneOf": [{"required": ["items"], "properties": {
                        "type": {"const": "source"},
                        "items": {"type": "array", "items": {
                            "type": "object", "required": ["signatures"],
                            "properties": {
                                "file": {"type": "string"}, "start_line": {"type": "number"},
                                "end_line": {"type": "number"},
                                "signatures": {"type": "array", "minItems": 1, "items": {
                                    "type": "object", "required": ["algorithm", "value"],
                                    "properties": {"algorithm": {"type": "string"},
                                                   "value": {"type": "string"}}}}}}}}}],
                    "properties": {"type": {"type": "string"}}},
                "location": {"type": "object", "properties": {
                    "file": {"type": "string"}, "start_line": {"type": "number"}, "end_line": {"type": "number"},
                    "class": {"type": "string"}, "method": {"type": "string"}}}}}},
    },
}
# what the transcription covers: any other key we write is a part of the format not checked here
COVERED = {"": {"schema", "version", "scan", "vulnerabilities"},
           "scan": {"analyzer", "scanner", "start_time", "end_time", "status", "type", "messages"},
           "vulnerability": {"id", "name", "description", "severity", "solution", "identifiers", "location",
                             "tracking"}}
# GitLab ingests only the versions it supports (15.0.0 to 15.2.x at the time of writing); we declare 15.0.7


def validate(out: dict) -> None:
    """GitLab's constraints, and no key outside what they were transcribed for."""
    jsonschema.Draft7Validator(SCHEMA).validate(out)
    assert set(out) <= COVERED[""], set(out) - COVERED[""]
    assert set(out["scan"]) <= COVERED["scan"], set(out["scan"]) - COVERED["scan"]
    for v in out["vulnerabilities"]:
        assert set(v) <= COVERED["vulnerability"], set(v) - COVERED["vulnerability"]
    assert out["version"] == gitlab_sast.VERSION == "15.0.7"
    assert out["schema"].endswith(f"/v{gitlab_sast.VERSION}/dist/sast-report-format.json")


def check(doc) -> dict:
    out = json.loads(render(doc, "gitlab-sast"))
    validate(out)
    return out


def test_synthetic_document_one_vulnerability_per_fail_or_unknown():
    doc = reportlib.synthetic(400, xss=True)
    out = check(doc)
    bad = [f for f in doc["findings"] if f["status"] in ("fail", "unknown")]
    assert len(out["vulnerabilities"]) == len(bad) > 0
    ids = [v["id"] for v in out["vulnerabilities"]]
    assert len(set(ids)) == len(ids)
    assert ids[0] == str(uuid.uuid5(gitlab_sast.NAMESPACE, bad[0]["fingerprint"]))   # stable across pipelines
    assert [v["identifiers"][1]["value"] for v in out["vulnerabilities"]] == [f["control_id"] for f in bad]
    assert [v["identifiers"][0]["value"] for v in out["vulnerabilities"]] == [f["fingerprint"] for f in bad]
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
    validate(out)
    enc = [v for v in out["vulnerabilities"] if v["identifiers"][1]["value"] == "ENC-01"]
    assert len(enc) == 1 and enc[0]["location"]["file"] == "plan.json" and "aws_db_instance.a" in enc[0]["description"]


def test_required_schema_catches_what_gitlab_would_refuse():
    """The check above is not vacuous: a report missing what GitLab requires fails it."""
    out = json.loads(render(reportlib.synthetic(50), "gitlab-sast"))
    jsonschema.Draft7Validator(SCHEMA).validate(out)
    for breakage in (lambda o: o["scan"].pop("analyzer"), lambda o: o["vulnerabilities"][0].pop("identifiers"),
                     lambda o: o["scan"].update(start_time="2025-03-01T10:00:00Z"),
                     lambda o: o["vulnerabilities"][0].update(severity="high"),
                     lambda o: o["vulnerabilities"][0].update(name="x" * 256),
                     lambda o: o["vulnerabilities"][0].update(solution="x" * 7001),
                     lambda o: o["scan"].update(messages=[{"level": "warn", "value": ""}]),
                     lambda o: o.update(version="15.0"),
                     lambda o: o["vulnerabilities"][0].update(
                         tracking={"type": "source", "items": [{"signatures": []}]})):
        broken = json.loads(json.dumps(out))
        breakage(broken)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.Draft7Validator(SCHEMA).validate(broken)


def test_long_titles_requirements_and_empty_coverage_messages_stay_within_the_format():
    """A user's own control can have a long title or requirement, and a coverage entry an empty message:
    GitLab refuses a name over 255 characters, a solution over 7,000 and an empty message."""
    doc = reportlib.synthetic(60)
    for c in doc["controls"]:
        c["title"] = "T" * 400
        c["requirement"] = "R" * 9000
    doc.setdefault("coverage", []).extend([{"message": ""}, {"message": "   "}, {"message": "kept"}])
    out = check(doc)
    assert out["vulnerabilities"]
    for v in out["vulnerabilities"]:
        assert len(v["name"]) == 255 and v["name"].endswith("…")
        assert len(v["solution"]) == 7000 and v["solution"].endswith("…")
        assert "R" * 9000 in v["description"] or len(v["description"]) == gitlab_sast.MAX_TEXT
    values = [m["value"] for m in out["scan"]["messages"]]
    assert "kept" in values and all(v.strip() for v in values)


def test_no_two_vulnerabilities_are_one_for_gitlab():
    """GitLab identifies a vulnerability by its primary identifier (type and value) and its location's file,
    start and end line: live findings and plan findings without .tf have no line, so with the control as
    primary identifier every resource failing one control would have been merged into one."""
    doc = reportlib.synthetic(2000)
    out = check(doc)
    keys = [(v["identifiers"][0]["type"], v["identifiers"][0]["value"], v["location"]["file"],
             v["location"].get("start_line"), v["location"].get("end_line")) for v in out["vulnerabilities"]]
    assert len(keys) > 100 and len(set(keys)) == len(keys)
    lineless = [v for v in out["vulnerabilities"] if "start_line" not in v["location"]]
    assert len({v["identifiers"][1]["value"] for v in lineless}) < len(lineless)   # the case that merged


def test_findings_with_a_line_carry_a_tracking_signature_that_does_not_move_with_it():
    doc = reportlib.synthetic(300)
    out = check(doc)
    bad = [f for f in doc["findings"] if f["status"] in ("fail", "unknown")]
    with_line = [(v, f) for v, f in zip(out["vulnerabilities"], bad) if "start_line" in v["location"]]
    assert with_line
    for v, f in with_line:
        item = v["tracking"]["items"][0]
        assert v["tracking"]["type"] == "source" and item["signatures"] == [{"algorithm": "hash",
                                                                             "value": f["fingerprint"]}]
        assert (item["file"], item["start_line"]) == (v["location"]["file"], v["location"]["start_line"])
    moved = json.loads(json.dumps(doc))
    for f in moved["findings"]:
        if f["resource"].get("line"):
            f["resource"]["line"] += 7
    again = check(moved)
    sigs = lambda o: [v["tracking"]["items"][0]["signatures"] for v in o["vulnerabilities"] if "tracking" in v]
    assert sigs(again) == sigs(out)
    assert all("tracking" not in v for v in out["vulnerabilities"] if "start_line" not in v["location"])
