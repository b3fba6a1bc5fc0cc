"""Users' own controls in the nightly audits: the example rules (examples/rules) through a profile's
``rules:``, against moto's server (AWS) and the Resource Manager emulator (Azure), reading the
API items and ARM JSON the collectors already had (no new calls)."""
from __future__ import annotations

from pathlib import Path

import pytest

from aws_support import servers  # noqa: F401 (a fixture)
from test_aws_audit import audit, platform  # noqa: F401 (a fixture)
from test_azure_audit import emu, inventory, run_audit  # noqa: F401 (a fixture)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "rules"


def profile(tmp_path) -> Path:
    p = tmp_path / "profile.yaml"
    p.write_text(f"rules: ['{EXAMPLES}']\n")
    return p


def acme(doc):
    return {(f["control_id"], f["resource"]["name"]): f for f in doc["findings"] if f["control_id"].startswith("ACME")}


def test_aws_audit_judges_user_controls_from_the_api_items(platform, servers, monkeypatch, tmp_path):  # noqa: F811
    server, proxy = servers
    proxy.rules.clear()
    rc, doc = audit(monkeypatch, proxy, tmp_path, "--profile", str(profile(tmp_path)))
    got = acme(doc)
    db = got[("ACME-DB-01", "qts-prod-reporting")]
    assert db["status"] == "fail" and db["message"] == "deletion protection is off"
    assert db["evidence"]["DeletionProtection"] is False
    assert db["evidence"]["observed_via"] == ["rds:DescribeDBInstances"] and db["evidence"]["region"] == "us-east-1"
    assert got[("ACME-DB-01", "qts-prod-aurora")]["evidence"]["observed_via"] == ["rds:DescribeDBClusters"]
    for (cid, name), f in got.items():
        if cid == "ACME-S3-01":
            assert f["status"] == "fail" and f["evidence"]["Name"] == name   # qts-prod-..., not acme-
            assert f["evidence"]["observed_via"] == ["s3:ListBuckets"]
    cache = got[("ACME-CACHE-01", "qts-prod-sessions")]
    # moto's DescribeReplicationGroups item carries no EngineVersion: unknown with the reason, never pass
    assert cache["status"] == "unknown"
    assert cache["message"] == "the Redis version is not known: EngineVersion is not in the aws record"
    assert {r["kind"] for r in doc["rules"]} == {"yaml", "python"} and all(r["via"] == "profile" for r in doc["rules"])


@pytest.mark.parametrize("strategy", ["arm", "graph"])
def test_azure_audit_judges_user_controls_from_the_arm_json(tmp_path, emu, strategy):  # noqa: F811
    inventory(emu)
    redis = next(b for b in emu.store.values() if b.get("type") == "Microsoft.Cache/Redis")
    redis["properties"]["redisVersion"] = "6.0"
    rc, doc = run_audit(tmp_path, emu, "--profile", str(profile(tmp_path)), "--strategy", strategy)
    got = acme(doc)
    st = got[("ACME-S3-01", "ststandby")]
    assert st["status"] == "fail" and st["evidence"]["name"] == "ststandby"
    cache = got[("ACME-CACHE-01", "redis-standby")]
    assert cache["status"] == "fail" and cache["evidence"]["properties.redisVersion"] == "6.0"
    assert cache["evidence"]["observed_via"] == [{"arm": "GET Microsoft.Cache/Redis",
                                                  "graph": "POST Microsoft.ResourceGraph/resources"}[strategy]]
    # ACME-DB-01 has no azure path: no finding on Azure databases, one coverage line per type
    assert not [k for k in got if k[0] == "ACME-DB-01"]
    cov = [c for c in doc["coverage"] if c["kind"] == "rule-not-applicable"]
    assert cov and all(c["source"] == "azure" and c["control_id"] == "ACME-DB-01" for c in cov)
    assert len({c["type"] for c in cov}) == len(cov) and "azurerm_mssql_server" in {c["type"] for c in cov}
