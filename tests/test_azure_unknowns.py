"""A failed Azure listing never lets a control go quiet: its placeholder makes every control of its kind unknown.

The controls that decide from a field whether they apply (NET-01..03 look at a
group's tier) said nothing at all for a placeholder, whose tier is unknown: with the
NSG listing denied, a failing web-tier group vanished and NET-01 read not applicable.
"""
from __future__ import annotations

import json

import pytest

import azure_emulator as ae
from scanner.cli import main

SUB = "00000000-0000-0000-0000-0000000000a1"
TAGS = {"Environment": "prod", "Project": "standby", "CostCenter": "cc-42", "Owner": "dba@example.com"}


@pytest.fixture
def emu(tmp_path, monkeypatch):
    e = ae.ArmEmulator(page_size=2).start(tmp_path)
    for k, v in e.env().items():
        monkeypatch.setenv(k, v)
    for k in ("AZURE_SDK_CLOUD_CONF", "AZURE_USERNAME", "AZURE_CLIENT_CERTIFICATE_PATH"):
        monkeypatch.delenv(k, raising=False)
    e.add_subscription(SUB, "standby")
    e.add_resource_group(SUB, "rg", tags={"Environment": "prod"})
    internet_ssh = {"name": "ssh", "destinationPortRange": "22", "sourceAddressPrefix": "Internet"}
    for tier in ("web", "app", "db"):
        e.put(ae.nsg(SUB, "rg", f"nsg-{tier}", tags=dict(TAGS, Tier=tier), rules=[internet_ssh]))
    yield e
    e.stop()


def run(emu, tmp_path, name):
    out = tmp_path / name
    main(["audit", "azure", "--arm-endpoint", emu.base_url, "--quiet", "--max-retries", "0", "--timeout", "5",
          "--format", "json", "-o", str(out)])
    return json.loads(out.read_text())


def controls(doc):
    return {c["id"]: c["status"] for c in doc["controls"]}


def test_a_denied_nsg_listing_leaves_every_net_control_unknown(emu, tmp_path):
    clean = run(emu, tmp_path, "clean.json")
    was = controls(clean)
    assert [was[c] for c in ("NET-01", "NET-02", "NET-03")] == ["fail", "fail", "fail"]   # ssh from the internet
    emu.fault(r"/providers/microsoft\.network/networksecuritygroups$", 403)
    doc = run(emu, tmp_path, "denied.json")
    now = controls(doc)
    for c in ("NET-01", "NET-02", "NET-03", "NET-04"):
        assert now[c] == "unknown", (c, now[c])
        [f] = [f for f in doc["findings"] if f["control_id"] == c]
        assert f["resource"]["address"] == f"/subscriptions/{SUB}/providers/Microsoft.Network/networkSecurityGroups"
        assert "403" in f["message"], f["message"]
    assert any("networkSecurityGroups" in e["message"] and "403" in e["message"] for e in doc["coverage"])
