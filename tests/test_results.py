"""The results document: live findings say where they were observed."""
from scanner.engine import evaluate
from scanner.model import Resource
from scanner.profile import spec_profile
from scanner.results import Run, build_document, validate
from scanner.values import Origin, Value


def test_live_finding_evidence_carries_its_scope():
    r = Resource(kind="kms_key", type="aws_kms_key", provider="aws", source="aws",
                 address="arn:aws:kms:eu-west-1:111122223333:key/abc",
                 context={"account": "111122223333", "region": "eu-west-1"})
    r.set("rotation_enabled", Value(False, Origin("aws", "KeyRotationEnabled", api="kms:GetKeyRotationStatus")))
    prof = spec_profile()
    doc = build_document(evaluate([r], prof), prof, Run())
    validate(doc)
    f = next(f for f in doc["findings"] if f["control_id"] == "ENC-05")
    assert f["status"] == "fail"
    assert f["evidence"]["account"] == "111122223333" and f["evidence"]["region"] == "eu-west-1"
    assert f["evidence"]["KeyRotationEnabled"] is False
    assert f["evidence"]["observed_via"] == ["kms:GetKeyRotationStatus"]


def test_json_file_hash_is_the_hash_printed_on_the_html_report(tmp_path, run_cli):
    import hashlib
    import re

    from planlib import Plan
    plan = Plan()
    plan.add("aws_db_instance", "db", {"storage_encrypted": False, "tags": {"Name": "café <b>"}})
    path = plan.write(tmp_path / "plan.json")
    r = run_cli("scan", path, "--format", "json", "-o", tmp_path / "r.json", "--format", "html", "-o", tmp_path / "r.html")
    assert r.returncode == 1, r.stderr
    digest = hashlib.sha256((tmp_path / "r.json").read_bytes()).hexdigest()
    html = (tmp_path / "r.html").read_text()
    assert re.search(r'name="specguard-results-sha256" content="([0-9a-f]{64})"', html).group(1) == digest
    # re-rendering the saved results prints the same hash
    r = run_cli("report", tmp_path / "r.json", "--format", "html", "-o", tmp_path / "again.html")
    assert r.returncode == 0, r.stderr
    assert digest in (tmp_path / "again.html").read_text()


def _tree_digest(files) -> str:
    import hashlib
    return hashlib.sha256("".join(f"{f['path']}\0{f['sha256']}\n" for f in files).encode()).hexdigest()


def test_a_tf_tree_is_recorded_file_by_file_with_the_variables_given(tmp_path, run_cli):
    """An auditor can check every input with sha256sum; a --var that changes a verdict is on record."""
    import hashlib
    import json
    import shutil

    from conftest import FIXTURES
    tree = tmp_path / "tree"
    shutil.copytree(FIXTURES / "aws-platform" / "compliant", tree, ignore=shutil.ignore_patterns("plan.json", "*.yaml"))
    (tmp_path / "prod.tfvars").write_text('domain_name = "example.org"\n')
    r = run_cli("scan", tree, "--var-file", tmp_path / "prod.tfvars", "--var", "domain_name=prod-secret-ish.example",
                "--format", "json", "-o", tmp_path / "r.json")
    assert r.returncode in (0, 1), r.stderr
    doc = json.loads((tmp_path / "r.json").read_text())
    validate(doc)
    src = doc["sources"][0]
    paths = [f["path"] for f in src["files"]]
    assert "main.tf" in paths and "../prod.tfvars" in paths and any(p.startswith("modules/") for p in paths)
    for f in src["files"]:
        assert hashlib.sha256((tree / f["path"]).read_bytes()).hexdigest() == f["sha256"]
    assert src["sha256"] == _tree_digest(src["files"])
    assert src["variables"] == [{"name": "domain_name",
                                 "value_sha256": hashlib.sha256(b"prod-secret-ish.example").hexdigest()}]
    assert "prod-secret-ish.example" not in (tmp_path / "r.json").read_text()


def test_a_plan_records_the_sources_its_lines_and_waivers_come_from(tmp_path, run_cli):
    import json
    import shutil

    from conftest import FIXTURES
    work = tmp_path / "w"
    shutil.copytree(FIXTURES / "aws-platform" / "violating", work)

    def scan():
        r = run_cli("scan", work / "plan.json", "--format", "json", "-o", tmp_path / "r.json")
        assert r.returncode == 1, r.stderr
        doc = json.loads((tmp_path / "r.json").read_text())
        validate(doc)
        return doc["sources"][0]

    before = scan()
    assert before["source_dir"] and before["source_sha256"] == _tree_digest(before["source_files"])
    assert "kms.tf" in [f["path"] for f in before["source_files"]]
    # a waive comment added to the sources changes what the plan's verdicts are: it must change the record
    text = (work / "kms.tf").read_text()
    (work / "kms.tf").write_text(text + "\n# a comment\n")
    after = scan()
    assert after["sha256"] == before["sha256"] and after["source_sha256"] != before["source_sha256"]


def test_iac_scope_lists_the_regions_and_subscriptions_the_configuration_declares(run_cli):
    import json

    from conftest import FIXTURES
    scope = lambda *a: json.loads(run_cli("scan", *a, "--format", "json", "-q").stdout)["scope"]  # noqa: E731
    assert scope(FIXTURES / "aws-platform" / "violating" / "plan.json") == {"regions": ["us-east-1", "us-west-2"]}
    assert scope(FIXTURES / "aws-platform" / "violating") == {"regions": ["us-east-1", "us-west-2"]}
    tf = scope(FIXTURES / "azure-standby" / "violating")
    assert tf["regions"] == ["centralus", "eastus2"] and len(tf["subscriptions"]) == 1


def test_a_region_the_configuration_does_not_state_is_not_guessed(tmp_path, run_cli):
    import json
    (tmp_path / "main.tf").write_text('variable "r" {}\nprovider "aws" { region = var.r }\n'
                                      'resource "aws_sqs_queue" "q" { name = "q" }\n')
    r = run_cli("scan", tmp_path, "--format", "json", "-q")
    assert r.returncode in (0, 1), r.stderr
    assert json.loads(r.stdout)["scope"] == {}
