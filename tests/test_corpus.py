"""Every real plan of the shared corpus scans without error and is covered completely.

The table below is CONTROLS.md read independently of the code: for each Terraform type,
the controls that must produce a finding for every such resource in a plan.
"""
import json

import pytest

from conftest import CORPUS

PLANS = sorted((CORPUS / "terraform-plans").glob("*/*.json"))
assert len(PLANS) >= 37, "the corpus copy in tests/corpus is missing"  # an empty list would skip silently

# type -> controls that apply to every resource of that type (TAG-01 is checked separately)
APPLIES = {
    "aws_db_instance": {"ENC-01", "HA-01", "BAK-01", "BAK-02", "NET-04"},
    "aws_rds_cluster": {"ENC-01", "HA-01", "BAK-01", "BAK-02", "NET-04"},
    "aws_s3_bucket": {"ENC-02", "BAK-03"},
    "aws_ebs_volume": {"ENC-03"},
    "aws_efs_file_system": {"ENC-03"},
    "aws_elasticache_replication_group": {"ENC-04", "HA-02", "TLS-03", "BAK-03"},
    "aws_kinesis_stream": {"ENC-04"},
    "aws_sqs_queue": {"ENC-04"},
    "aws_sns_topic": {"ENC-04"},
    "aws_dynamodb_table": {"ENC-04", "BAK-03"},
    "aws_secretsmanager_secret": {"ENC-04"},
    "aws_kms_key": {"ENC-05"},
    "aws_lb_listener": {"TLS-01"},
    "aws_alb_listener": {"TLS-01"},
    "aws_cloudfront_distribution": {"TLS-02"},
    "aws_security_group": {"NET-04"},
    "azurerm_key_vault": {"ENC-05"},
    "azurerm_storage_account": {"ENC-02", "TLS-03"},
    "azurerm_postgresql_server": {"BAK-01", "BAK-02", "TLS-03"},
    "azurerm_redis_cache": {"HA-02", "TLS-03"},
}


def _scan(run_cli, plan, tmp_path):
    out = tmp_path / "r.json"
    r = run_cli("scan", plan, "--format", "json", "-o", out)
    return r, out


@pytest.mark.parametrize("plan", PLANS, ids=[f"{p.parent.name}/{p.name}"[:80] for p in PLANS])
def test_corpus_plan_scans_and_covers_every_applicable_pair(plan, tmp_path, run_cli):
    r, out = _scan(run_cli, plan, tmp_path)
    assert r.returncode in (0, 1), r.stderr
    assert "Traceback" not in r.stderr
    assert "internal error" not in r.stderr, r.stderr
    doc = json.loads(out.read_text())
    from scanner.results import validate
    validate(doc)
    got: dict[str, set[str]] = {}
    for f in doc["findings"]:
        got.setdefault(f["resource"]["address"], set()).add(f["control_id"])
    raw = json.loads(plan.read_text())
    deleted = {rc["address"] for rc in raw.get("resource_changes") or []
               if (rc.get("change") or {}).get("actions") == ["delete"]}
    for res in _planned(raw):
        if res.get("mode", "managed") != "managed" or res["address"] in deleted:
            continue
        want = APPLIES.get(res["type"], set())
        if res["type"] == "aws_security_group":
            want = set()  # NET-04 applies only to untiered groups; NET-01..03 to tiered ones
        vals = res.get("values") or {}
        if res["type"] in ("aws_lb_listener", "aws_alb_listener") and \
                str(vals.get("protocol", "HTTP")).upper() in ("TCP", "UDP", "TCP_UDP"):
            want = set()  # a pass-through listener terminates no TLS and serves no HTTP
        missing = want - got.get(res["address"], set())
        assert not missing, f"{res['address']}: no finding for {sorted(missing)}"
        if "tags" in vals or "tags_all" in vals:
            assert "TAG-01" in got.get(res["address"], set()), f"{res['address']}: no TAG-01 finding"


def _planned(raw):
    def walk(m):
        yield from m.get("resources") or []
        for c in m.get("child_modules") or []:
            yield from walk(c)
    return list(walk((raw.get("planned_values") or {}).get("root_module") or {}))


def test_every_security_group_gets_a_tier_finding(tmp_path, run_cli):
    """A web/app/db group gets NET-01..03 by tier, an untiered one NET-04: never nothing.

    (The catalogue gives the monitoring tier no ingress rule of its own, so a
    monitoring-tier group may have no NET finding.)"""
    seen = 0
    for plan in PLANS:
        raw = json.loads(plan.read_text())
        groups = [r["address"] for r in _planned(raw) if r["type"] == "aws_security_group"
                  and str(((r.get("values") or {}).get("tags") or {}).get("Tier", "")).lower() != "monitoring"]
        if not groups:
            continue
        r, out = _scan(run_cli, plan, tmp_path)
        doc = json.loads(out.read_text())
        net = {f["resource"]["address"] for f in doc["findings"] if f["control_id"].startswith("NET-")}
        for g in groups:
            seen += 1
            assert g in net, f"{plan.name}: {g} has no NET finding"
    assert seen > 5
