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
