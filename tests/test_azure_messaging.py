"""MSG-01 and SEC-02 live on Azure (the HTTPS Resource Manager emulator, the standby deployed from its plan):
Service Bus queues and subscriptions, Key Vault secrets and keys read under their parents through the
management plane only; a failed listing is unknown with a coverage entry, never a pass or a silence."""
from __future__ import annotations

import json

import pytest

import azure_emulator as ae
from conftest import FIXTURES
from scanner.cli import main

SUB = "00000000-0000-0000-0000-00000000e0e3"
MINE = ("MSG-01", "SEC-02")


def _audit(tmp_path, monkeypatch, variant, *faults, strategy="arm"):
    emu = ae.ArmEmulator(page_size=2).start(tmp_path)
    try:
        for k, v in emu.env().items():
            monkeypatch.setenv(k, v)
        ae.PlanDeployment(emu, FIXTURES / "azure-standby" / variant / "plan.json", SUB).deploy()
        for pattern in faults:
            emu.fault(pattern, 403)
        out = tmp_path / "live.json"
        main(["audit", "azure", "--arm-endpoint", emu.base_url, "--quiet", "--strategy", strategy,
              "--format", "json", "-o", str(out)])
        requests = emu.arm_requests()
    finally:
        emu.stop()
    return json.loads(out.read_text()), requests


def _mine(doc):
    return {(f["control_id"], f["resource"]["type"], f["resource"]["name"]): f for f in doc["findings"]
            if f["control_id"] in MINE}


@pytest.mark.parametrize("strategy", ["arm", "graph"])   # namespaces and vaults found either way
def test_violating_standby_live(strategy, tmp_path, monkeypatch):
    doc, requests = _audit(tmp_path, monkeypatch, "violating", strategy=strategy)
    got = {k: f["status"] for k, f in _mine(doc).items()}
    assert got == {
        ("MSG-01", "azurerm_servicebus_queue", "orders"): "fail",
        ("MSG-01", "azurerm_servicebus_subscription", "risk-engine"): "fail",
        ("SEC-02", "azurerm_key_vault_key", "cmk-postgres"): "fail",
        ("SEC-02", "azurerm_key_vault_key", "cmk-postgres-geo"): "fail",
        ("SEC-02", "azurerm_key_vault_key", "cmk-sql-tde"): "fail",
        ("SEC-02", "azurerm_key_vault_secret", "data-identity-client-id"): "fail",
        # its plan cannot know the expiry (timeadd(timestamp(), ...)); the vault shows it 89 days ahead
        ("SEC-02", "azurerm_key_vault_secret", "gateway-identity-client-id"): "pass",
    }, got
    key = _mine(doc)[("SEC-02", "azurerm_key_vault_key", "cmk-postgres")]
    assert "335 days" in key["message"]
    assert any("GET Microsoft.KeyVault/vaults/keys" in a for a in key["evidence"]["observed_via"])
    # the management plane only: no request ever goes to a vault's data plane, nor asks for a secret's value
    paths = [r["path"].lower() for r in requests]
    assert any(p.endswith("/secrets") for p in paths) and not any("/secrets/" in p for p in paths)
    assert not any("vault.azure.net" in json.dumps(r) for r in requests)


def test_compliant_standby_live(tmp_path, monkeypatch):
    doc, _ = _audit(tmp_path, monkeypatch, "compliant")
    got = _mine(doc)
    assert got and all(f["status"] == "pass" for f in got.values()), {k: f["message"] for k, f in got.items()}
    assert {k[1] for k in got} == {"azurerm_servicebus_queue", "azurerm_servicebus_subscription",
                                   "azurerm_key_vault_key", "azurerm_key_vault_secret"}
    q = got[("MSG-01", "azurerm_servicebus_queue", "orders")]
    assert q["evidence"]["properties.deadLetteringOnMessageExpiration"] is True


@pytest.mark.parametrize("fault,control,rtype", [
    (r"/namespaces/[^/]+/queues$", "MSG-01", "azurerm_servicebus_queue"),
    (r"/namespaces/[^/]+/topics$", "MSG-01", "azurerm_servicebus_subscription"),
    (r"/topics/[^/]+/subscriptions$", "MSG-01", "azurerm_servicebus_subscription"),
    (r"/vaults/[^/]+/secrets$", "SEC-02", "azurerm_key_vault_secret"),
    (r"/vaults/[^/]+/keys$", "SEC-02", "azurerm_key_vault_key"),
    (r"/subscriptions/[^/]+/resources$", "MSG-01", "azurerm_servicebus_queue"),
])
def test_a_failed_listing_is_unknown_with_coverage(fault, control, rtype, tmp_path, monkeypatch):
    doc, _ = _audit(tmp_path, monkeypatch, "compliant", fault)
    of_type = [f for f in doc["findings"] if f["control_id"] == control and f["resource"]["type"] == rtype]
    assert of_type and all(f["status"] == "unknown" for f in of_type), \
        [(f["resource"]["name"], f["status"]) for f in of_type]
    assert any(c["kind"] == "api-error" and "403" in c["message"] for c in doc["coverage"]), doc["coverage"]


def test_least_role_reads_what_the_audit_reads_and_no_secret_value():
    from scanner.sources.azure.cli import role_text
    role = json.loads(role_text())
    actions = {a.lower() for a in role["Actions"]}
    for needed in ("Microsoft.ServiceBus/namespaces/queues/read", "Microsoft.ServiceBus/namespaces/topics/read",
                   "Microsoft.ServiceBus/namespaces/topics/subscriptions/read", "Microsoft.KeyVault/vaults/keys/read",
                   "Microsoft.KeyVault/vaults/secrets/read"):
        assert needed.lower() in actions
    # management-plane reads show a secret's attributes; its value is a data action, never granted
    assert role["DataActions"] == [] and not any("getsecret" in a or "/secrets/readsecret" in a for a in actions)
