"""WAF-01, LOG-01, NET-05 on the live Azure audit: the standby deployed into the emulator, each new read
failing in turn. A read that fails leaves the verdict it feeds unknown (never pass) and says so under
coverage; LOG-02 is said once per run."""
from __future__ import annotations

import json

import pytest

import azure_emulator as ae
from conftest import FIXTURES
from scanner.cli import main

SUB = "00000000-0000-0000-0000-00000000e0e3"
PLAN = FIXTURES / "azure-standby" / "compliant" / "plan.json"


@pytest.fixture
def emu(tmp_path, monkeypatch):
    e = ae.ArmEmulator(page_size=2).start(tmp_path)
    for k, v in e.env().items():
        monkeypatch.setenv(k, v)
    ae.PlanDeployment(e, PLAN, SUB).deploy()
    yield e
    e.stop()


def audit(emu, tmp_path, *extra):
    out = tmp_path / "live.json"
    main(["audit", "azure", "--arm-endpoint", emu.base_url, "--quiet", "--max-retries", "0", "--timeout", "5",
          "--format", "json", "-o", str(out), *extra])
    doc = json.loads(out.read_text())
    return doc, {(f["control_id"], f["resource"]["type"]): f for f in doc["findings"]
                 if f["control_id"] in ("WAF-01", "LOG-01", "NET-05")}


@pytest.mark.parametrize("strategy", ["arm", "graph"])
def test_clean_standby_passes_and_log02_is_said_once(emu, tmp_path, strategy):
    doc, got = audit(emu, tmp_path, "--strategy", strategy)
    assert {k: f["status"] for k, f in got.items()} == {
        ("WAF-01", "azurerm_application_gateway"): "pass", ("WAF-01", "azurerm_cdn_frontdoor_endpoint"): "pass",
        ("LOG-01", "azurerm_virtual_network"): "pass", ("NET-05", "azurerm_postgresql_flexible_server"): "pass",
        ("NET-05", "azurerm_mssql_server"): "pass", ("NET-05", "azurerm_redis_cache"): "pass"}
    assert [c["control"] for c in doc["coverage"] if c["kind"] == "not-checkable"] == ["LOG-02", "IAM-02"]
    gw = got[("WAF-01", "azurerm_application_gateway")]["evidence"]
    assert any(k.startswith("firewallPolicy: properties.policySettings.mode") and v == "Prevention" for k, v in gw.items())


@pytest.mark.parametrize("fault, control, rtype", [
    (r"/networkwatchers/[^/]+/flowlogs$", "LOG-01", "azurerm_virtual_network"),
    (r"/applicationgatewaywebapplicationfirewallpolicies/[^/]+$", "WAF-01", "azurerm_application_gateway"),
    (r"/profiles/[^/]+/securitypolicies$", "WAF-01", "azurerm_cdn_frontdoor_endpoint"),
    (r"/frontdoorwebapplicationfirewallpolicies/[^/]+$", "WAF-01", "azurerm_cdn_frontdoor_endpoint"),
])
def test_a_failed_read_leaves_the_verdict_unknown(emu, tmp_path, fault, control, rtype):
    emu.fault(fault, 403)
    doc, got = audit(emu, tmp_path)
    f = got[(control, rtype)]
    assert f["status"] == "unknown" and "403" in f["message"], f
    assert any("403" in c["message"] for c in doc["coverage"] if c["kind"] == "api-error")


def test_failed_endpoint_and_network_listings_are_placeholders(emu, tmp_path):
    emu.fault(r"/profiles/[^/]+/afdendpoints$", 403)
    emu.fault(r"/providers/microsoft\.network/virtualnetworks$", 403)
    doc, _ = audit(emu, tmp_path)
    status = {(f["control_id"], f["resource"]["type"]): f["status"] for f in doc["findings"]}
    assert status[("WAF-01", "azurerm_cdn_frontdoor_endpoint")] == "unknown"
    assert status[("LOG-01", "azurerm_virtual_network")] == "unknown"


def test_detection_mode_and_public_access_fail(emu, tmp_path):
    gw = next(b for k, b in emu.store.items() if k.endswith("/applicationgateways/agw-qts-standby-eus2"))
    gw["properties"].pop("firewallPolicy")
    gw["properties"]["webApplicationFirewallConfiguration"] = {"enabled": True, "firewallMode": "Detection",
                                                               "ruleSetType": "OWASP", "ruleSetVersion": "3.2"}
    redis = next(b for k, b in emu.store.items() if k.endswith("/redis/redis-qts-standby-eus2"))
    redis["properties"]["publicNetworkAccess"] = "Enabled"
    _, got = audit(emu, tmp_path)
    assert got[("WAF-01", "azurerm_application_gateway")]["status"] == "fail"
    assert "Detection" in got[("WAF-01", "azurerm_application_gateway")]["message"]
    assert got[("NET-05", "azurerm_redis_cache")]["status"] == "fail"
