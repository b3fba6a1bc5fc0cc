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
