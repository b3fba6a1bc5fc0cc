"""Azure Database for MySQL (flexible and single server), MariaDB and PostgreSQL single server, live:
deployed from a Terraform plan into the Resource Manager emulator, audited with both listing
strategies, the verdicts equal the plan's, control by control, resource by resource."""
import json

import pytest

import azure_emulator as ae
from planlib import Plan
from scanner.cli import main

SUB = "00000000-0000-0000-0000-00000000db01"
TAGS = {"Environment": "prod", "Project": "standby", "CostCenter": "cc-42", "Owner": "dba@example.com"}
KEY = "https://kv-db.vault.azure.net/keys/db/0123456789abcdef"


def _common(name):
    return {"name": name, "resource_group_name": "rg-db", "location": "eastus2", "tags": dict(TAGS)}


def database_plan() -> Plan:
    """One compliant and one weak server of each type (the weak ones on provider defaults)."""
    p = Plan()
    az = {"provider_key": "azurerm"}
    p.add("azurerm_resource_group", "db", {"name": "rg-db", "location": "eastus2", "tags": dict(TAGS)}, **az)
    p.add("azurerm_mysql_flexible_server", "good", dict(
        _common("mysql-good"), backup_retention_days=35, geo_redundant_backup_enabled=True,
        high_availability=[{"mode": "ZoneRedundant", "standby_availability_zone": "2"}],
        customer_managed_key=[{"key_vault_key_id": KEY}]), **az)
    server = {"server_name": ["azurerm_mysql_flexible_server.good.name", "azurerm_mysql_flexible_server.good"]}
    p.add("azurerm_mysql_flexible_server_configuration", "tls", {"name": "tls_version", "value": "TLSv1.3",
                                                                 "resource_group_name": "rg-db"},
          unknown={"server_name": True}, refs=server, **az)
    p.add("azurerm_mysql_flexible_server", "weak", dict(_common("mysql-weak"), high_availability=[
        {"mode": "SameZone"}]), **az)
    p.add("azurerm_mysql_flexible_server_configuration", "plain", {"name": "require_secure_transport",
                                                                   "value": "OFF", "resource_group_name": "rg-db"},
          unknown={"server_name": True},
          refs={"server_name": ["azurerm_mysql_flexible_server.weak.name", "azurerm_mysql_flexible_server.weak"]},
          **az)
    p.add("azurerm_mysql_server", "good", dict(_common("mysqls-good"), ssl_enforcement_enabled=True,
                                               ssl_minimal_tls_version_enforced="TLS1_2", backup_retention_days=35,
                                               geo_redundant_backup_enabled=True), **az)
    p.add("azurerm_mysql_server_key", "good", {"key_vault_key_id": KEY}, unknown={"server_id": True},
          refs={"server_id": ["azurerm_mysql_server.good.id", "azurerm_mysql_server.good"]}, **az)
    p.add("azurerm_mysql_server", "weak", dict(_common("mysqls-weak"), ssl_enforcement_enabled=False,
                                               ssl_minimal_tls_version_enforced="TLSEnforcementDisabled"), **az)
    p.add("azurerm_mariadb_server", "maria", dict(_common("maria"), ssl_enforcement_enabled=True,
                                                  ssl_minimal_tls_version_enforced="TLS1_1", backup_retention_days=35,
                                                  geo_redundant_backup_enabled=True), **az)
    p.add("azurerm_postgresql_server", "pg", dict(_common("pgs"), ssl_enforcement_enabled=True,
                                                  ssl_minimal_tls_version_enforced="TLS1_2", backup_retention_days=14,
                                                  geo_redundant_backup_enabled=False), **az)
    return p


def plan_verdicts(plan_path, names):
    from scanner.engine import evaluate
    from scanner.link import link
    from scanner.profile import load_profile
    from scanner.sources.terraform.normalize import normalize
    from scanner.sources.terraform.plan import load_plan, read_json
    findings = evaluate(link(normalize(load_plan(str(plan_path), read_json(str(plan_path))))), load_profile(None))
    return {(f.control_id, f.resource.type, names.get(f.resource.address, f.resource.address)): (f.status, f.message)
            for f in findings}


@pytest.mark.parametrize("strategy", ["arm", "graph"])
def test_mysql_mariadb_live_verdicts_equal_the_plan(strategy, tmp_path, monkeypatch):
    plan = database_plan().write(tmp_path / "plan.json")
    emu = ae.ArmEmulator(page_size=2).start(tmp_path)
    try:
        for k, v in emu.env().items():
            monkeypatch.setenv(k, v)
        dep = ae.PlanDeployment(emu, plan, SUB).deploy()
        out = tmp_path / "live.json"
        rc = main(["audit", "azure", "--arm-endpoint", emu.base_url, "--strategy", strategy, "--quiet",
                   "--format", "json", "-o", str(out)])
        doc = json.loads(out.read_text())
        paths = {r["path"].lower() for r in emu.arm_requests()}
    finally:
        emu.stop()
    assert rc == 1
    assert [c for c in doc["coverage"] if c["kind"] != "not-checkable"] == []   # LOG-02 is said once per run
    live = {(f["control_id"], f["resource"]["type"], f["resource"]["name"]): (f["status"], f["message"])
            for f in doc["findings"]}
    planned = plan_verdicts(plan, dep.names)
    assert set(live) == set(planned), {"only live": sorted(set(live) - set(planned)),
                                       "only plan": sorted(set(planned) - set(live))}
    diffs = {k: {"plan": planned[k], "live": live[k]} for k in planned
             if planned[k][0] != "unknown" and planned[k][0] != live[k][0]}
    assert not diffs, json.dumps({" / ".join(k): v for k, v in diffs.items()}, indent=1)
    assert not [k for k in live if live[k][0] == "unknown"]
    status = {k: v[0] for k, v in live.items()}
    # what the catalogue says of each server, seen live
    assert status[("ENC-01", "azurerm_mysql_flexible_server", "mysql-good")] == "pass"
    assert status[("TLS-03", "azurerm_mysql_flexible_server", "mysql-good")] == "pass"
    assert status[("HA-01", "azurerm_mysql_flexible_server", "mysql-good")] == "pass"
    assert status[("BAK-01", "azurerm_mysql_flexible_server", "mysql-good")] == "pass"
    assert status[("BAK-02", "azurerm_mysql_flexible_server", "mysql-good")] == "pass"
    for cid in ("ENC-01", "TLS-03", "HA-01", "BAK-01", "BAK-02"):
        assert status[(cid, "azurerm_mysql_flexible_server", "mysql-weak")] == "fail", cid
        assert status[(cid, "azurerm_mysql_server", "mysqls-weak")] == "fail", cid
    assert status[("ENC-01", "azurerm_mysql_server", "mysqls-good")] == "pass"
    assert status[("TLS-03", "azurerm_mysql_server", "mysqls-good")] == "pass"   # TLS 1.2 is the ceiling
    assert status[("HA-01", "azurerm_mysql_server", "mysqls-good")] == "fail"    # one zone
    assert status[("ENC-01", "azurerm_mariadb_server", "maria")] == "fail"       # no customer key possible
    assert status[("TLS-03", "azurerm_mariadb_server", "maria")] == "fail"       # TLS 1.1
    assert status[("BAK-01", "azurerm_postgresql_server", "pgs")] == "fail"
    # the server parameters were read by ID, not assumed
    assert any(p.endswith("/flexibleservers/mysql-good/configurations/tls_version") for p in paths)
    if strategy == "arm":   # listed by a plain GET (no SDK for these types); Resource Graph lists every type
        assert any(p.endswith("/providers/microsoft.dbformariadb/servers") for p in paths)


def test_mysql_configuration_read_failure_is_unknown_not_pass(tmp_path, monkeypatch):
    emu = ae.ArmEmulator().start(tmp_path)
    try:
        for k, v in emu.env().items():
            monkeypatch.setenv(k, v)
        emu.add_subscription(SUB)
        emu.add_resource_group(SUB, "rg-db", tags=TAGS)
        s = emu.put(ae.mysql_flexible_server(SUB, "rg-db", "mysql-x", tags=TAGS, cmk_key_uri=KEY))
        emu.put(ae.mysql_config(s["id"], "require_secure_transport", "ON"))
        emu.put(ae.mysql_config(s["id"], "tls_version", "TLSv1.2,TLSv1.3"))
        emu.fault(r"/configurations/tls_version$", 403)
        out = tmp_path / "live.json"
        main(["audit", "azure", "--arm-endpoint", emu.base_url, "--quiet", "--format", "json", "-o", str(out)])
        doc = json.loads(out.read_text())
    finally:
        emu.stop()
    [f] = [f for f in doc["findings"] if f["control_id"] == "TLS-03"]
    assert f["status"] == "unknown" and "403" in f["message"]
    assert [c["api"] for c in doc["coverage"] if c["kind"] != "not-checkable"] == ["GET Microsoft.DBforMySQL/flexibleServers/configurations"]


def test_accepted_tls_versions_list_counts_its_lowest(tmp_path, monkeypatch):
    """tls_version is a set ("TLSv1.2,TLSv1.3"): the server accepts TLS 1.2, below the required 1.3."""
    emu = ae.ArmEmulator().start(tmp_path)
    try:
        for k, v in emu.env().items():
            monkeypatch.setenv(k, v)
        emu.add_subscription(SUB)
        emu.add_resource_group(SUB, "rg-db", tags=TAGS)
        s = emu.put(ae.mysql_flexible_server(SUB, "rg-db", "mysql-y", tags=TAGS))
        emu.put(ae.mysql_config(s["id"], "require_secure_transport", "ON"))
        emu.put(ae.mysql_config(s["id"], "tls_version", "TLSv1.2,TLSv1.3"))
        out = tmp_path / "live.json"
        main(["audit", "azure", "--arm-endpoint", emu.base_url, "--quiet", "--format", "json", "-o", str(out)])
        doc = json.loads(out.read_text())
    finally:
        emu.stop()
    [f] = [f for f in doc["findings"] if f["control_id"] == "TLS-03"]
    assert f["status"] == "fail" and "1.2" in f["message"]


@pytest.mark.parametrize("strategy", ["arm", "graph"])
def test_unmapped_database_and_cache_types_are_listed_under_coverage(strategy, tmp_path, monkeypatch):
    emu = ae.ArmEmulator(page_size=1).start(tmp_path)
    try:
        for k, v in emu.env().items():
            monkeypatch.setenv(k, v)
        emu.add_subscription(SUB)
        emu.add_resource_group(SUB, "rg-db", tags=TAGS)
        mi = emu.put(ae.tracked_resource(SUB, "rg-db", "Microsoft.Sql/managedInstances", "mi-1", tags=TAGS))
        emu.put(ae.tracked_resource(SUB, "rg-db", "Microsoft.Cache/redisEnterprise", "re-1", tags={}))
        emu.put(ae.tracked_resource(SUB, "rg-db", "Microsoft.Network/virtualNetworks", "vnet", tags=TAGS))
        out = tmp_path / "live.json"
        main(["audit", "azure", "--arm-endpoint", emu.base_url, "--strategy", strategy, "--quiet", "--format", "json",
              "-o", str(out)])
        doc = json.loads(out.read_text())
    finally:
        emu.stop()
    cov = {c["type"]: c for c in doc["coverage"] if c["kind"] == "type-not-mapped"}
    assert set(cov) == {"azurerm_mssql_managed_instance", "azurerm_redis_enterprise_cluster"}
    assert cov["azurerm_mssql_managed_instance"]["resources"] == [mi["id"]]
    assert "ENC-01, TLS-03, HA-01, BAK-01 and BAK-02 controls are not checked" in \
        cov["azurerm_mssql_managed_instance"]["message"]
    assert cov["azurerm_redis_enterprise_cluster"]["family"] == "cache"
    # still tagged-checked, under their Terraform-equivalent types
    tag = {f["resource"]["type"]: f["status"] for f in doc["findings"] if f["control_id"] == "TAG-01"}
    assert tag["azurerm_mssql_managed_instance"] == "pass" and tag["azurerm_redis_enterprise_cluster"] == "fail"


def test_a_failed_single_server_listing_is_unknown_for_every_database_control(tmp_path, monkeypatch):
    emu = ae.ArmEmulator().start(tmp_path)
    try:
        for k, v in emu.env().items():
            monkeypatch.setenv(k, v)
        emu.add_subscription(SUB)
        emu.add_resource_group(SUB, "rg-db", tags=TAGS)
        emu.put(ae.single_server("mariadb", SUB, "rg-db", "maria", tags=TAGS))
        emu.fault(r"/providers/microsoft\.dbformariadb/servers$", 403)
        out = tmp_path / "live.json"
        main(["audit", "azure", "--arm-endpoint", emu.base_url, "--quiet", "--format", "json", "-o", str(out)])
        doc = json.loads(out.read_text())
    finally:
        emu.stop()
    maria = {f["control_id"]: f["status"] for f in doc["findings"] if f["resource"]["type"] == "azurerm_mariadb_server"}
    assert maria == {c: "unknown" for c in ("ENC-01", "TLS-03", "HA-01", "BAK-01", "BAK-02", "TAG-01")}
    assert any(c["kind"] == "api-error" and c["api"] == "GET Microsoft.DBforMariaDB/servers" for c in doc["coverage"])
