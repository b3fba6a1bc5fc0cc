"""SARIF 2.1.0: schema-valid, one rule per control, fail/unknown results, stable fingerprints."""
import json

import jsonschema
import pytest

import reportlib
from conftest import CORPUS
from reportlib import XSS
from scanner.render import sarif

SCHEMA_PATH = CORPUS / "schemas" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema)


def check(validator, doc) -> dict:
    out = json.loads(sarif.render(doc))
    validator.validate(out)
    return out


def test_synthetic_document_is_valid_sarif_with_one_rule_per_control(validator):
    doc = reportlib.synthetic(500, xss=True)
    out = check(validator, doc)
    run = out["runs"][0]
    assert out["version"] == "2.1.0"
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [c["id"] for c in doc["controls"]]
    for r in rules:
        sev = float(r["properties"]["security-severity"])
        assert 0 < sev <= 10
        assert r["help"]["text"] and r["shortDescription"]["text"]
    assert float(rules[0]["properties"]["security-severity"]) >= 7.0     # ENC-01 high -> GitHub "high"
    tag = next(r for r in rules if r["id"] == "TAG-01")
    assert float(tag["properties"]["security-severity"]) < 4.0            # low
    expected = [f for f in doc["findings"] if f["status"] in ("fail", "unknown")]
    assert len(run["results"]) == len(expected)
    assert {r["level"] for r in run["results"]} == {"error", "warning"}
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    # payloads stay data: JSON strings, nothing else
    assert any(XSS[0] in r["message"]["text"] for r in run["results"])


def test_locations_file_line_plan_file_and_live_pseudo_path(validator):
    doc = reportlib.synthetic(400)
    out = check(validator, doc)
    by_source = {}
    for r in out["runs"][0]["results"]:
        by_source.setdefault(r["properties"]["source"], r)
    tf = by_source["terraform-source"]["locations"][0]["physicalLocation"]
    assert tf["artifactLocation"]["uri"].startswith("infra/storage") and tf["region"]["startLine"] >= 1
    plan = by_source["terraform-plan"]["locations"][0]["physicalLocation"]
    assert plan["artifactLocation"]["uri"] == "plan.json" and "region" not in plan
    live = by_source["aws"]["locations"][0]
    assert live["physicalLocation"]["artifactLocation"]["uri"].startswith("cloud/aws/111122223333/us-")
    assert live["logicalLocations"][0]["fullyQualifiedName"].startswith("arn:aws:rds:")
    az = by_source["azure"]["locations"][0]
    assert az["logicalLocations"][0]["fullyQualifiedName"].startswith("/subscriptions/")


def test_fingerprints_are_stable_and_distinct(validator):
    a = check(validator, reportlib.synthetic(300, seed=1))
    b = check(validator, reportlib.synthetic(300, seed=1, finished="2025-04-01T00:00:00Z"))
    fa = [r["partialFingerprints"] for r in a["runs"][0]["results"]]
    fb = [r["partialFingerprints"] for r in b["runs"][0]["results"]]
    assert fa == fb
    keys = [(r["ruleId"], json.dumps(r["partialFingerprints"])) for r in a["runs"][0]["results"]]
    assert len(set(keys)) == len(keys)


def test_real_tf_scan_points_at_repository_relative_file_and_line(tmp_path, validator, run_cli):
    infra = tmp_path / "infra"
    infra.mkdir()
    (infra / "main.tf").write_text(
        'resource "aws_db_instance" "bad" {\n  storage_encrypted = false\n}\n', encoding="utf-8")
    r = run_cli("scan", "infra", "--format", "json", "-o", "r.json", "--format", "sarif", "-o", "r.sarif",
                cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    doc = json.loads((tmp_path / "r.json").read_text())
    from scanner.results import validate
    validate(doc)
    out = json.loads((tmp_path / "r.sarif").read_text())
    validator.validate(out)
    enc = next(x for x in out["runs"][0]["results"] if x["ruleId"] == "ENC-01")
    loc = enc["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "infra/main.tf"
    assert loc["region"]["startLine"] in (1, 2)


def test_real_plan_scan_without_source_points_at_the_plan(tmp_path, validator):
    sub = tmp_path / "plans"
    sub.mkdir()
    doc = reportlib.scan_doc(sub, reportlib.xss_plan())
    # scan_doc writes the plan at an absolute path; SARIF makes it relative to the working directory
    import os
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        out = check(validator, doc)
    finally:
        os.chdir(cwd)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in out["runs"][0]["results"]}
    assert uris == {"plans/plan.json"}
    statuses = {r["properties"]["status"] for r in out["runs"][0]["results"]}
    assert statuses <= {"fail", "unknown"} and "fail" in statuses


def test_report_command_writes_sarif(tmp_path, validator, run_cli):
    saved = tmp_path / "r.json"
    saved.write_text(json.dumps(reportlib.synthetic(50)), encoding="utf-8")
    r = run_cli("report", saved, "--format", "sarif", "-o", tmp_path / "out.sarif")
    assert r.returncode == 0, r.stderr
    validator.validate(json.loads((tmp_path / "out.sarif").read_text()))


def test_imported_checkov_checks_are_a_run_of_their_own(validator):
    doc = reportlib.synthetic(40)
    doc["supplementary"] = [
        {"tool": "checkov", "check_id": "CKV_AWS_16", "title": "RDS encrypted", "status": "fail", "severity": "high",
         "soc2": ["CC6.1"], "framework": "terraform", "resource": {"address": "aws_db_instance.a", "file": "/main.tf",
                                                                   "line": 3}, "guideline": "https://example.com/g"},
        {"tool": "checkov", "check_id": "CKV_AWS_157", "title": "RDS multi-AZ", "status": "pass", "severity": None,
         "soc2": [], "framework": "terraform_plan", "resource": {"address": "aws_db_instance.a"}},
        {"tool": "checkov", "check_id": "CKV_AWS_7", "title": "KMS rotation", "status": "skipped", "severity": None,
         "soc2": [], "framework": "terraform_plan", "resource": {"address": "aws_kms_key.k"}, "skip_reason": "lab"},
    ]
    from scanner.results import validate
    validate(doc)
    out = check(validator, doc)
    own, imported = out["runs"]
    assert own["tool"]["driver"]["name"] == "specguard" and imported["tool"]["driver"]["name"] == "checkov"
    assert [r["id"] for r in imported["tool"]["driver"]["rules"]] == ["CKV_AWS_16", "CKV_AWS_157", "CKV_AWS_7"]
    fail, skipped = imported["results"]
    assert fail["locations"][0]["physicalLocation"] == {"artifactLocation": {"uri": "main.tf"},
                                                        "region": {"startLine": 3}}
    assert skipped["suppressions"][0]["justification"] == "lab"
    assert skipped["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "plan.json"
