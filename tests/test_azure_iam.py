"""IAM-01 on Azure live (custom role definitions) and IAM-02's missing Azure column, through the
HTTPS Resource Manager emulator (tests/azure_emulator.py) with the standby plan fixtures deployed."""
from __future__ import annotations

import json

import pytest

import azure_emulator as ae
from conftest import FIXTURES
from scanner.cli import main

SUB = "00000000-0000-0000-0000-00000000e0e2"


def _audit(tmp_path, variant, monkeypatch, *extra, fault=None):
    emu = ae.ArmEmulator(page_size=2).start(tmp_path)
    try:
        for k, v in emu.env().items():
            monkeypatch.setenv(k, v)
        ae.PlanDeployment(emu, FIXTURES / "azure-standby" / variant / "plan.json", SUB).deploy()
        # a second custom role, scoped, and a second page of the listing (page size 2 with Reader)
        emu.put(ae.role_definition(SUB, "qts-standby-reader", ["*/read"]))
        if fault:
            emu.fault(fault, 403, "AuthorizationFailed")
        out = tmp_path / f"{variant}.json"
        rc = main(["audit", "azure", "--arm-endpoint", emu.base_url, "--quiet", "--format", "json", "-o", str(out),
                   *extra])
        return rc, json.loads(out.read_text()), emu.arm_requests()
    finally:
        emu.stop()


def _roles(doc) -> dict[str, tuple[str, str]]:
    return {f["resource"]["name"]: (f["status"], f["message"]) for f in doc["findings"]
            if f["control_id"] == "IAM-01"}


@pytest.mark.parametrize("strategy", ["arm", "graph"])
@pytest.mark.parametrize("variant,status", [("compliant", "pass"), ("violating", "fail")])
def test_custom_roles_give_the_plan_verdict(tmp_path, monkeypatch, variant, status, strategy):
    _, doc, requests = _audit(tmp_path, variant, monkeypatch, "--strategy", strategy)
    roles = _roles(doc)
    # the built-in Reader the emulator's listing also returns is Microsoft's: not checked
    assert set(roles) == {"qts-standby-operator", "qts-standby-reader"}, roles
    assert roles["qts-standby-operator"][0] == status and roles["qts-standby-reader"][0] == "pass"
    if status == "fail":
        assert "Action *" in roles["qts-standby-operator"][1]
    f = next(f for f in doc["findings"] if f["resource"]["name"] == "qts-standby-operator")
    assert f["resource"]["type"] == "azurerm_role_definition" and f["severity"] == "high"
    assert f["evidence"]["observed_via"] == ["GET Microsoft.Authorization/roleDefinitions"]
    assert not [x for x in doc["findings"] if x["resource"]["type"] == "azurerm_role_definition"
                and x["control_id"] != "IAM-01"]   # no tags: TAG-01 does not apply, as in a plan
    listed = [r for r in requests if r["path"].lower().endswith("/providers/microsoft.authorization/roledefinitions")]
    assert listed and all(r["query"].get("$filter") == "type eq 'CustomRole'" for r in listed)
    assert {r["method"] for r in requests} <= {"GET", "POST"}
    # IAM-02 has no Azure column: said once, with why
    said = [c for c in doc["coverage"] if c.get("control") == "IAM-02"]
    assert len(said) == 1 and said[0]["kind"] == "not-checkable" and "conditional access" in said[0]["message"]


def test_a_failed_role_listing_is_unknown_with_a_coverage_entry(tmp_path, monkeypatch):
    _, doc, _ = _audit(tmp_path, "violating", monkeypatch, fault=r"/providers/microsoft\.authorization/roledefinitions")
    roles = {f["resource"]["address"]: f for f in doc["findings"] if f["control_id"] == "IAM-01"}
    assert [f["status"] for f in roles.values()] == ["unknown"], roles
    assert list(roles) == [f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions"]
    entry = [c for c in doc["coverage"] if c["kind"] == "api-error" and "roleDefinitions" in c["message"]]
    assert len(entry) == 1 and "403" in entry[0]["error"]


def test_print_role_grants_the_role_definition_listing():
    from scanner.sources.azure.cli import role_text
    role = json.loads(role_text())
    assert "Microsoft.Authorization/roleDefinitions/read" in role["Actions"]
    assert all(a.endswith("/read") for a in role["Actions"])
