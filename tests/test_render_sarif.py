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
    assert fail["locations"][0]["physicalLocation"] == {"artifactLocation": {"uri": "main.tf", "uriBaseId": "%SRCROOT%"},
                                                        "region": {"startLine": 3}}
    assert skipped["suppressions"][0]["justification"] == "lab"
    assert skipped["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "plan.json"


# ---------------------------------------------------------------- several inputs in one run
DB_BAD = {"storage_encrypted": False, "kms_key_id": None}


def _bad_db_plan(module: str = ""):
    from planlib import Plan
    p = Plan()
    p.add("aws_db_instance", "db", dict(DB_BAD), module=module)
    return p


def _sarif_scan(run_cli, cwd, *args) -> tuple[dict, dict]:
    """`specguard scan ARGS` in ``cwd`` with JSON and SARIF out: (results document, SARIF log)."""
    r = run_cli("scan", *args, "--format", "json", "-o", "r.json", "--format", "sarif", "-o", "r.sarif", cwd=cwd)
    assert r.returncode == 1, r.stderr
    return json.loads((cwd / "r.json").read_text()), json.loads((cwd / "r.sarif").read_text())


def _enc01(out: dict) -> list[dict]:
    return [x for x in out["runs"][0]["results"] if x["ruleId"] == "ENC-01"]


def _loc(result: dict) -> dict:
    return result["locations"][0]["physicalLocation"]


def test_two_plans_point_at_their_own_plan_with_distinct_stable_fingerprints(tmp_path, validator, run_cli):
    for name in ("a", "b"):
        (tmp_path / "plans" / name).mkdir(parents=True)
        _bad_db_plan().write(tmp_path / "plans" / name / "plan.json")
    args = ("plans/a/plan.json", "plans/b/plan.json")
    doc, out = _sarif_scan(run_cli, tmp_path, *args)
    validator.validate(out)
    enc = _enc01(out)
    assert len(enc) == 2
    by_input = {x["properties"]["input"]: x for x in enc}
    assert set(by_input) == set(args)
    for inp, res in by_input.items():
        assert _loc(res)["artifactLocation"] == {"uri": inp, "uriBaseId": "%SRCROOT%"}
        assert "region" not in _loc(res)
    # the same address in two plans: two alerts, each with the finding's own fingerprint
    prints = [x["partialFingerprints"]["specguardFinding/v1"] for x in enc]
    assert prints[0] != prints[1]
    assert sorted(prints) == sorted(f["fingerprint"] for f in doc["findings"] if f["control_id"] == "ENC-01")
    _doc2, again = _sarif_scan(run_cli, tmp_path, *args)
    assert [x["partialFingerprints"] for x in _enc01(again)] == [x["partialFingerprints"] for x in enc]


def _stack(root, lines_before: int = 0) -> None:
    """A root module with one database (after ``lines_before`` comment lines) and a child module.

    A finding's line is the line of the attribute it is about (storage_encrypted: the block's + 1)."""
    (root / "modules" / "db").mkdir(parents=True)
    (root / "main.tf").write_text("# comment\n" * lines_before +
                                  'resource "aws_db_instance" "db" {\n  storage_encrypted = false\n}\n\n'
                                  'module "data" {\n  source = "./modules/db"\n}\n', encoding="utf-8")
    (root / "modules" / "db" / "main.tf").write_text(
        '\n\nresource "aws_db_instance" "inner" {\n  storage_encrypted = false\n}\n', encoding="utf-8")


def _stack_plan():
    p = _bad_db_plan()
    p.add("aws_db_instance", "inner", dict(DB_BAD), module="module.data")
    return p


def test_plan_with_its_tf_sources_points_at_the_tf_files(tmp_path, validator, run_cli):
    _stack(tmp_path / "stack", lines_before=3)
    _stack_plan().write(tmp_path / "stack" / "plan.json")
    _stack(tmp_path / "stack2")         # a second plan with its sources, its lines differ
    _stack_plan().write(tmp_path / "stack2" / "plan.json")
    _stack(tmp_path / "other", lines_before=1)    # and a .tf directory in the same run
    _doc, out = _sarif_scan(run_cli, tmp_path, "stack/plan.json", str(tmp_path / "stack2" / "plan.json"),
                            "other")
    validator.validate(out)
    got = {(x["properties"]["input"].rsplit("/", 2)[-2] if x["properties"]["input"] != "other" else "other",
            x["properties"]["resourceAddress"]):
           (_loc(x)["artifactLocation"]["uri"], _loc(x)["region"]["startLine"]) for x in _enc01(out)}
    assert got == {
        ("stack", "aws_db_instance.db"): ("stack/main.tf", 5),
        ("stack", "module.data.aws_db_instance.inner"): ("stack/modules/db/main.tf", 4),
        ("stack2", "aws_db_instance.db"): ("stack2/main.tf", 2),
        ("stack2", "module.data.aws_db_instance.inner"): ("stack2/modules/db/main.tf", 4),
        ("other", "aws_db_instance.db"): ("other/main.tf", 3),
        ("other", "module.data.aws_db_instance.inner"): ("other/modules/db/main.tf", 4),
    }


def test_plan_with_source_dir_elsewhere_points_at_the_tf_file(tmp_path, validator, run_cli):
    # The results record the --source-dir of each plan, so the location is the .tf file itself.
    _stack(tmp_path / "infra", lines_before=1)
    (tmp_path / "build").mkdir()
    _stack_plan().write(tmp_path / "build" / "plan.json")
    doc, out = _sarif_scan(run_cli, tmp_path, "build/plan.json", "--source-dir", "infra")
    validator.validate(out)
    assert [s.get("source_dir") for s in doc["sources"]] == ["infra"]
    got = {x["properties"]["resourceAddress"]: _loc(x) for x in _enc01(out)}
    assert got["aws_db_instance.db"] == {"artifactLocation": {"uri": "infra/main.tf", "uriBaseId": "%SRCROOT%"},
                                         "region": {"startLine": 3}}
    assert got["module.data.aws_db_instance.inner"]["artifactLocation"]["uri"] == "infra/modules/db/main.tf"


def test_older_results_without_source_dir_point_at_the_plan_and_name_the_tf_file(tmp_path, validator, run_cli):
    # Results written before plans recorded their --source-dir: never a guessed path
    # (build/main.tf does not exist), but the plan, with the .tf place as a note.
    import json as _json
    from scanner.render import sarif
    _stack(tmp_path / "infra", lines_before=1)
    (tmp_path / "build").mkdir()
    _stack_plan().write(tmp_path / "build" / "plan.json")
    doc, _out = _sarif_scan(run_cli, tmp_path, "build/plan.json", "--source-dir", "infra")
    for s in doc["sources"]:
        s.pop("source_dir", None)
    import os
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        out = _json.loads(sarif.render(doc))
    finally:
        os.chdir(cwd)
    validator.validate(out)
    enc = {x["properties"]["resourceAddress"]: x["locations"][0] for x in _enc01(out)}
    top = enc["aws_db_instance.db"]
    assert top["physicalLocation"] == {"artifactLocation": {"uri": "build/plan.json", "uriBaseId": "%SRCROOT%"}}
    assert top["message"]["text"] == "defined in main.tf line 3 of the --source-dir directory given to the scan"


def test_plan_with_source_dir_of_its_own_folder(tmp_path, validator, run_cli):
    _stack(tmp_path / "stack")
    _stack_plan().write(tmp_path / "stack" / "plan.json")
    _doc, out = _sarif_scan(run_cli, tmp_path / "stack", "plan.json", "--source-dir", ".")
    validator.validate(out)
    got = {x["properties"]["resourceAddress"]: _loc(x) for x in _enc01(out)}
    assert got["aws_db_instance.db"] == {"artifactLocation": {"uri": "main.tf", "uriBaseId": "%SRCROOT%"},
                                         "region": {"startLine": 2}}
    assert got["module.data.aws_db_instance.inner"]["artifactLocation"]["uri"] == "modules/db/main.tf"


def test_two_tf_directories_point_at_their_own_files(tmp_path, validator, run_cli):
    _stack(tmp_path / "infra" / "prod", lines_before=5)
    _stack(tmp_path / "infra" / "dev", lines_before=2)
    # one relative and one absolute input; both come out relative to the working directory
    _doc, out = _sarif_scan(run_cli, tmp_path, "infra/prod", str(tmp_path / "infra" / "dev"))
    validator.validate(out)
    got = {(x["properties"]["input"].endswith("dev"), x["properties"]["resourceAddress"]):
           (_loc(x)["artifactLocation"]["uri"], _loc(x)["region"]["startLine"]) for x in _enc01(out)}
    assert got == {
        (False, "aws_db_instance.db"): ("infra/prod/main.tf", 7),
        (False, "module.data.aws_db_instance.inner"): ("infra/prod/modules/db/main.tf", 4),
        (True, "aws_db_instance.db"): ("infra/dev/main.tf", 4),
        (True, "module.data.aws_db_instance.inner"): ("infra/dev/modules/db/main.tf", 4),
    }
    prints = [x["partialFingerprints"]["specguardFinding/v1"] for x in _enc01(out)]
    assert len(set(prints)) == 4
