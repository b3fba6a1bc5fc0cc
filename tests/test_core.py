"""The value model, the engine and the plan adapter's basics."""
import json

import pytest

from planlib import Plan
from scanner.values import FALSE, TRUE, Origin, Unknown, Value


def test_unknown_compares_to_unknown_and_never_passes():
    u = Unknown("known only after apply", Origin("terraform-plan", "kms_key_id"))
    assert u.eq("x").is_unknown
    assert u.ge(35).is_unknown
    assert (u.eq("x") & TRUE).is_unknown
    assert (u.eq("x") & FALSE).is_false
    with pytest.raises(TypeError):
        bool(u.eq("x"))
    with pytest.raises(TypeError):
        bool(Value(True))


def test_value_comparisons():
    assert Value(35).ge(35).is_true
    assert Value(7).ge(35).is_false
    assert Value("TRUE").truthy().is_true
    assert Value("Enabled").eq("enabled").is_true


def test_enc01_reference_to_plan_kms_key_is_customer_managed():
    p = Plan()
    p.add("aws_kms_key", "db", {"enable_key_rotation": True})
    p.add("aws_db_instance", "good", {"storage_encrypted": True}, unknown={"kms_key_id": True},
          refs={"kms_key_id": ["aws_kms_key.db.arn", "aws_kms_key.db"]})
    p.add("aws_db_instance", "bad", {"storage_encrypted": True, "kms_key_id": "alias/aws/rds"})
    p.add("aws_db_instance", "unseen", {"storage_encrypted": True}, unknown={"kms_key_id": True},
          refs={"kms_key_id": ["data.aws_ssm_parameter.key.value"]})
    v = p.verdicts("ENC-01")
    assert v == {"aws_db_instance.good": "pass", "aws_db_instance.bad": "fail", "aws_db_instance.unseen": "unknown"}


def test_reference_followed_through_module_input():
    p = Plan()
    p.add("aws_kms_key", "db", {})
    p.add("aws_db_instance", "main", {"storage_encrypted": True}, module="module.db",
          unknown={"kms_key_id": True}, refs={"kms_key_id": ["var.kms_key_arn"]})
    p.module_input("module.db", "kms_key_arn", ["aws_kms_key.db.arn", "aws_kms_key.db"])
    assert p.verdicts("ENC-01") == {"module.db.aws_db_instance.main": "pass"}


def test_deleted_resources_are_not_evaluated():
    p = Plan()
    p.add("aws_db_instance", "gone", {"storage_encrypted": False}, actions=("delete",))
    assert p.verdicts("ENC-01") == {}


def test_cli_scan_json_and_exit_status(tmp_path, run_cli):
    p = Plan()
    p.add("aws_db_instance", "bad", {"storage_encrypted": False})
    plan = p.write(tmp_path / "plan.json")
    r = run_cli("scan", plan, "--format", "json", "-o", tmp_path / "out.json")
    assert r.returncode == 1, r.stderr
    doc = json.loads((tmp_path / "out.json").read_text())
    from scanner.results import validate
    validate(doc)
    assert any(f["control_id"] == "ENC-01" and f["status"] == "fail" for f in doc["findings"])


def test_plans_scanned_together_do_not_resolve_into_each_other(tmp_path, run_cli):
    a = Plan()
    a.add("aws_security_group", "app", {"tags": {"Tier": "app"}, "ingress": [], "egress": []})
    b = Plan()
    b.add("aws_security_group", "app", {"tags": {"Tier": "web"}, "ingress": [], "egress": []})
    b.add("aws_security_group", "db", {"tags": {"Tier": "db"}, "egress": []}, unknown={"ingress": True},
          expressions={"ingress": [{"from_port": {"constant_value": 5432}, "to_port": {"constant_value": 5432},
                                    "protocol": {"constant_value": "tcp"},
                                    "security_groups": {"references": ["aws_security_group.app.id",
                                                                       "aws_security_group.app"]}}]})
    pa, pb = a.write(tmp_path / "a.json"), b.write(tmp_path / "b.json")
    for order in ((pa, pb), (pb, pa)):
        doc = json.loads(run_cli("scan", *order, "--format", "json").stdout)
        net3 = [f for f in doc["findings"] if f["control_id"] == "NET-03"]
        assert [(f["resource"]["input"], f["status"]) for f in net3] == [(pb, "fail")]
    doc = json.loads(run_cli("scan", pa, pb, "--format", "json").stdout)
    prints = [f["fingerprint"] for f in doc["findings"]]
    assert len(prints) == len(set(prints))   # same address in two plans: two findings, two fingerprints


def test_errored_plan_is_refused(tmp_path, run_cli):
    p = Plan()
    p.add("aws_db_instance", "db", {"storage_encrypted": True})
    p.doc["errored"] = True
    out = tmp_path / "o.json"
    r = run_cli("scan", p.write(tmp_path / "plan.json"), "--format", "json", "-o", out)
    assert r.returncode == 2 and "$.errored" in r.stderr and not out.exists()


def test_deferred_changes_are_unknown_and_reported(tmp_path, run_cli):
    p = Plan()
    p.add("aws_kms_key", "k", {"enable_key_rotation": True, "tags": {}})
    p.doc["complete"] = False
    p.doc["deferred_changes"] = [{"reason": "resource_config_unknown", "resource_change": {
        "address": "aws_db_instance.later", "mode": "managed", "type": "aws_db_instance", "name": "later",
        "change": {"actions": ["create"], "before": None, "after": {"storage_encrypted": False}}}}]
    r = run_cli("scan", p.write(tmp_path / "plan.json"), "--format", "json")
    doc = json.loads(r.stdout)
    later = {f["control_id"]: f["status"] for f in doc["findings"] if f["resource"]["address"] == "aws_db_instance.later"}
    assert later and set(later.values()) == {"unknown"}, later
    assert {"ENC-01", "HA-01", "BAK-01"} <= set(later)
    kinds = {c["kind"] for c in doc["coverage"]}
    assert {"plan-incomplete", "deferred-change"} <= kinds
    assert r.returncode == 1


def test_non_finite_numbers_answer_no_comparison():
    from scanner.values import Value
    for v in ("inf", float("inf"), "nan", "Infinity", 1e308 * 10):
        assert Value(v).ge(35).is_unknown and Value(v).le(35).is_unknown, v
    assert Value(40).ge(35).is_true and Value("40").ge(35).is_true and Value(None).ge(35).is_false
