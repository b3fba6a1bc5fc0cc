"""SEC-01 and DR-01 on live Azure (the HTTPS Resource Manager emulator): what the audit reads for them,
and that a failed read of any of them leaves an unknown with a coverage entry, never a pass.

The standby comes from the plan fixture (fixtures/azure-standby/compliant/plan.json) deployed into the
emulator, as in tests/test_azure_standby.py; the verdicts' agreement with the plan is proven there.
"""
import json

import pytest

import azure_emulator as ae
from conftest import FIXTURES
from scanner.cli import main

SUB = "00000000-0000-0000-0000-00000000e0e3"
PLAN = FIXTURES / "azure-standby" / "compliant" / "plan.json"
WATCHED = {("SEC-01", "sql-qts-standby-eus2"), ("SEC-01", "sql-qts-standby-cus"),
           ("SEC-01", "psql-qts-standby-eus2"), ("DR-01", "psql-qts-standby-eus2"), ("DR-01", "Transactions")}


def audit(tmp_path, monkeypatch, *faults, strategy="arm"):
    emu = ae.ArmEmulator(page_size=2).start(tmp_path)
    try:
        for k, v in emu.env().items():
            monkeypatch.setenv(k, v)
        ae.PlanDeployment(emu, PLAN, SUB).deploy()
        for pattern, status in faults:
            emu.fault(pattern, status)
        out = tmp_path / "live.json"
        main(["audit", "azure", "--arm-endpoint", emu.base_url, "--quiet", "--max-retries", "0",
              "--strategy", strategy, "--format", "json", "-o", str(out)])
        doc = json.loads(out.read_text())
        paths = [r["path"].lower() for r in emu.arm_requests()]
    finally:
        emu.stop()
    got = {(f["control_id"], f["resource"]["name"]): f for f in doc["findings"]
           if f["control_id"] in ("SEC-01", "DR-01")}
    return doc, got, paths


@pytest.mark.parametrize("strategy", ["arm", "graph"])
def test_entra_only_servers_and_copies_in_central_us_pass(tmp_path, monkeypatch, strategy):
    doc, got, paths = audit(tmp_path, monkeypatch, strategy=strategy)
    assert {k: f["status"] for k, f in got.items()} == {k: "pass" for k in WATCHED}
    # the replica in Central US is not applicable to either control
    assert not any(name == "psql-qts-standby-cus" for _, name in got)
    ev = got[("DR-01", "Transactions")]["evidence"]
    assert any("centralus" in k for k in ev), ev
    assert any(p.endswith("/administrators/activedirectory") for p in paths)
    assert any(p.endswith("/failovergroups") for p in paths)
    assert any(p.endswith("/replicas") for p in paths)


@pytest.mark.parametrize("pattern,status,hidden", [
    (r"/administrators/activedirectory$", 403, {("SEC-01", "sql-qts-standby-eus2"), ("SEC-01", "sql-qts-standby-cus")}),
    (r"/failovergroups$", 403, {("DR-01", "Transactions")}),
    (r"/replicas$", 500, {("DR-01", "psql-qts-standby-eus2")}),
])
def test_a_failed_read_is_unknown_with_a_coverage_entry(tmp_path, monkeypatch, pattern, status, hidden):
    doc, got, _ = audit(tmp_path, monkeypatch, (pattern, status))
    for key in WATCHED:
        assert got[key]["status"] == ("unknown" if key in hidden else "pass"), (key, got[key]["message"])
    api = {"/administrators": "GET Microsoft.Sql/servers/administrators", "/failovergroups":
           "GET Microsoft.Sql/servers/failoverGroups", "/replicas": "GET Microsoft.DBforPostgreSQL/flexibleServers/replicas"}
    want = next(v for k, v in api.items() if k in pattern)
    assert any(c.get("api") == want and str(status) in c["error"] for c in doc["coverage"]), doc["coverage"]


def test_no_entra_administrator_is_a_fail_not_an_error(tmp_path, monkeypatch):
    doc, got, _ = audit(tmp_path, monkeypatch, (r"/sql-qts-standby-cus/administrators/activedirectory$", 404))
    assert got[("SEC-01", "sql-qts-standby-cus")]["status"] == "fail"
    assert "SQL authentication only" in json.dumps(got[("SEC-01", "sql-qts-standby-cus")]["evidence"])
    assert not [c for c in doc["coverage"] if "administrators" in c.get("api", "")]
