"""`specguard audit azure` against the HTTPS Resource Manager emulator (tests/azure_emulator.py).

The production code reaches the emulator only through configuration: the
credential environment (service principal, AZURE_AUTHORITY_HOST), the CA bundle
(REQUESTS_CA_BUNDLE) and --arm-endpoint.
"""
import json

import pytest

import azure_emulator as ae
from scanner.cli import main

SUB = "00000000-0000-0000-0000-0000000000a1"
SUB2 = "00000000-0000-0000-0000-0000000000b2"
TAGS = {"Environment": "prod", "Project": "standby", "CostCenter": "cc-42", "Owner": "dba@example.com"}
KEY = "https://kv-standby.vault.azure.net/keys/db/0123456789abcdef"


@pytest.fixture
def emu(tmp_path, monkeypatch):
    e = ae.ArmEmulator(page_size=1).start(tmp_path)
    for k, v in e.env().items():
        monkeypatch.setenv(k, v)
    for k in ("AZURE_SDK_CLOUD_CONF", "AZURE_USERNAME", "AZURE_CLIENT_CERTIFICATE_PATH"):
        monkeypatch.delenv(k, raising=False)
    yield e
    e.stop()


def inventory(emu, sub=SUB, rg="rg-standby"):
    """One resource of every audited type, compliant with the spec profile where it can be."""
    emu.add_subscription(sub, "standby")
    emu.add_resource_group(sub, rg, tags={"Environment": "prod"})
    pg = emu.put(ae.postgres_server(sub, rg, "pg-standby", tags=TAGS, cmk_key_uri=KEY))
    emu.put(ae.postgres_config(pg["id"], "require_secure_transport", "on"))
    emu.put(ae.postgres_config(pg["id"], "ssl_min_protocol_version", "TLSv1.3"))
    sql = emu.put(ae.sql_server(sub, rg, "sql-standby", tags=TAGS, min_tls="1.3"))
    emu.put(ae.sql_encryption_protector(sql["id"], KEY))
    for name in ("transactions", "analytics"):
        db = emu.put(ae.sql_database(sql["id"], name, tags=TAGS))
        emu.put(ae.sql_retention(db["id"], 35))
    master = emu.put(ae.sql_database(sql["id"], "master", tags={}))
    master["kind"] = "v12.0,system"
    emu.put(ae.storage_account(sub, rg, "ststandby", tags=TAGS, min_tls="TLS1_2"))
    emu.put(ae.redis_cache(sub, rg, "redis-standby", tags=TAGS, zones=("1", "2", "3")))
    emu.put(ae.app_gateway(sub, rg, "agw-standby", tags=TAGS,
                           ssl_policy={"policyType": "CustomV2", "minProtocolVersion": "TLSv1_3"}))
    emu.put(ae.key_vault(sub, rg, "kv-standby", tags=TAGS))
    web = emu.put(ae.asg(sub, rg, "asg-web", tags=dict(TAGS, Tier="web")))
    emu.put(ae.nsg(sub, rg, "nsg-app", tags=dict(TAGS, Tier="app"), rules=[
        {"name": "app-from-web", "destinationPortRange": "8080", "sourceAddressPrefix": None,
         "sourceApplicationSecurityGroups": [{"id": web["id"]}]},
        {"name": "deny-internet", "protocol": "*", "destinationPortRange": "*", "sourceAddressPrefix": "Internet",
         "access": "Deny", "priority": 4000}]))
    return pg, sql


def run_audit(tmp_path, emu, *extra, name="out.json"):
    out = tmp_path / name
    rc = main(["audit", "azure", "--arm-endpoint", emu.base_url, "--quiet", "--max-retries", "1",
               "--timeout", "5", "--format", "json", "-o", str(out), *map(str, extra)])
    doc = json.loads(out.read_text()) if out.exists() else None
    return rc, doc


def verdicts(doc):
    return {(f["control_id"], f["resource"]["type"], f["resource"]["name"]): f["status"] for f in doc["findings"]}


def test_audit_end_to_end(tmp_path, emu):
    pg, sql = inventory(emu)
    rc, doc = run_audit(tmp_path, emu)
    from scanner.results import validate
    validate(doc)
    v = verdicts(doc)
    assert v[("ENC-01", "azurerm_postgresql_flexible_server", "pg-standby")] == "pass"
    assert v[("ENC-01", "azurerm_mssql_server", "sql-standby")] == "pass"
    assert v[("TLS-03", "azurerm_postgresql_flexible_server", "pg-standby")] == "pass"
    assert v[("TLS-01", "azurerm_application_gateway", "agw-standby")] == "pass"
    assert v[("ENC-05", "azurerm_key_vault", "kv-standby")] == "pass"
    assert v[("TAG-01", "azurerm_mssql_database", "transactions")] == "pass"
    # the system database "master" is not the user's: not audited
    assert not any(f["resource"]["name"] == "master" for f in doc["findings"])
    # address = ARM resource ID; context = subscription, resource group, location
    f = next(f for f in doc["findings"] if f["control_id"] == "ENC-01" and f["resource"]["name"] == "pg-standby")
    assert f["resource"]["address"] == pg["id"]
    assert f["resource"]["source"] == "azure"
    assert (f["resource"]["subscription"], f["resource"]["resource_group"], f["resource"]["location"]) == \
        (SUB, "rg-standby", "eastus2")
    assert "GET Microsoft.DBforPostgreSQL/flexibleServers" in f["evidence"]["observed_via"]
    assert "properties.dataEncryption.type" in f["evidence"]
    tls = next(f for f in doc["findings"] if f["control_id"] == "TLS-03" and f["resource"]["name"] == "pg-standby")
    assert "GET Microsoft.DBforPostgreSQL/flexibleServers/configurations" in tls["evidence"]["observed_via"]
    assert doc["scope"]["subscriptions"] == [SUB] and doc["scope"]["locations"] == ["eastus2"]
    assert doc["sources"] == [{"kind": "azure", "path": f"subscription {SUB}"}]
    assert [c for c in doc["coverage"] if c["kind"] != "not-checkable"] == []   # LOG-02 is said once per run
    # paging: page size 1, so every listing with more than one item followed nextLink
    skips = [r for r in emu.arm_requests() if "$skiptoken" in r["query"]]
    assert any("databases" in r["path"] for r in skips)
    # the token was asked for the configured Resource Manager, not the public cloud
    assert set(emu.token_scopes) == {emu.base_url + "/.default"}


def test_two_runs_write_the_same_findings_in_the_same_order(tmp_path, emu):
    """The reads complete in any order (threads); the document does not depend on it: resources, and
    so each control's findings, by subscription, type and ID; failed reads by subscription and message."""
    inventory(emu)
    emu.fault(r"/encryptionprotector/current$", 403, "AuthorizationFailed")   # failed reads: coverage entries
    emu.fault(r"/configurations/ssl_min_protocol_version$", 404, "ResourceNotFound")
    docs = [run_audit(tmp_path, emu, "--concurrency", n, name=f"run{n}.json")[1] for n in (1, 16)]
    keys = [[(f["control_id"], f["resource"]["address"]) for f in d["findings"]] for d in docs]
    assert keys[0] == keys[1] and len(keys[0]) > 10
    for cid in {c for c, _ in keys[0]}:
        rows = [f["resource"] for f in docs[0]["findings"] if f["control_id"] == cid]
        order = [(r["subscription"].lower(), r["type"], r["address"].lower()) for r in rows]
        assert order == sorted(order), cid
    assert [c["message"] for c in docs[0]["coverage"]] == [c["message"] for c in docs[1]["coverage"]]
    assert docs[0]["scope"] == docs[1]["scope"]


def test_violations_fail(tmp_path, emu):
    emu.add_subscription(SUB)
    emu.add_resource_group(SUB, "rg")
    pg = emu.put(ae.postgres_server(SUB, "rg", "pg-weak", tags=TAGS, ha_mode="Disabled", backup_days=7,
                                    geo_backup="Disabled"))
    emu.put(ae.postgres_config(pg["id"], "require_secure_transport", "off"))
    emu.put(ae.postgres_config(pg["id"], "ssl_min_protocol_version", "TLSv1.2"))
    emu.put(ae.key_vault(SUB, "rg", "kv-weak", tags=TAGS, purge_protection=False))
    emu.put(ae.app_gateway(SUB, "rg", "agw-weak", tags={"Environment": "qa"}, ssl_policy=None, http_redirect=False))
    emu.put(ae.redis_cache(SUB, "rg", "redis-weak", tags=TAGS, non_ssl_port=True, zones=()))
    emu.put(ae.tracked_resource(SUB, "rg", "Microsoft.Network/virtualNetworks", "vnet-untagged"))
    emu.put(ae.tracked_resource(SUB, "rg", "Microsoft.ManagedIdentity/userAssignedIdentities", "id-ok", tags=TAGS))
    rc, doc = run_audit(tmp_path, emu)
    assert rc == 1
    v = verdicts(doc)
    for key in [("ENC-01", "azurerm_postgresql_flexible_server", "pg-weak"),
                ("HA-01", "azurerm_postgresql_flexible_server", "pg-weak"),
                ("BAK-01", "azurerm_postgresql_flexible_server", "pg-weak"),
                ("BAK-02", "azurerm_postgresql_flexible_server", "pg-weak"),
                ("TLS-03", "azurerm_postgresql_flexible_server", "pg-weak"),
                ("ENC-05", "azurerm_key_vault", "kv-weak"),
                ("TLS-01", "azurerm_application_gateway", "agw-weak"),
                ("TAG-01", "azurerm_application_gateway", "agw-weak"),
                ("TLS-03", "azurerm_redis_cache", "redis-weak"),
                ("HA-02", "azurerm_redis_cache", "redis-weak"),
                # every taggable resource, from the generic listing, and the resource group itself
                ("TAG-01", "azurerm_virtual_network", "vnet-untagged"),
                ("TAG-01", "azurerm_resource_group", "rg")]:
        assert v.get(key) == "fail", (key, v.get(key))
    assert v[("TAG-01", "azurerm_user_assigned_identity", "id-ok")] == "pass"


# ----------------------------------------------------------------------------- failures
def test_faults_become_unknown_with_coverage_and_the_audit_finishes(tmp_path, emu):
    pg, sql = inventory(emu)
    emu.fault(r"/encryptionprotector/current$", 403, "AuthorizationFailed")
    emu.fault(r"/configurations/ssl_min_protocol_version$", 404, "ResourceNotFound")
    emu.fault(r"/databases/analytics/backupshorttermretentionpolicies/default$", 500)
    emu.fault(r"/providers/microsoft\.storage/storageaccounts$", 429)            # throttled past the retries
    emu.fault(r"/providers/microsoft\.keyvault/vaults$", delay=4.5)              # past --timeout 3
    rc, doc = run_audit(tmp_path, emu, "--timeout", "3")
    assert rc == 1 and doc is not None   # finished, wrote its results
    v = verdicts(doc)
    assert v[("ENC-01", "azurerm_mssql_server", "sql-standby")] == "unknown"
    assert v[("TLS-03", "azurerm_postgresql_flexible_server", "pg-standby")] == "unknown"
    assert v[("BAK-01", "azurerm_mssql_database", "analytics")] == "unknown"
    assert v[("BAK-01", "azurerm_mssql_database", "transactions")] == "pass"     # its own read worked
    assert v[("ENC-01", "azurerm_postgresql_flexible_server", "pg-standby")] == "pass"
    # a failed listing stands for every resource of the type in the subscription: unknown, not nothing
    st = [f for f in doc["findings"] if f["resource"]["type"] == "azurerm_storage_account"]
    assert st and {f["status"] for f in st} == {"unknown"}
    assert st[0]["resource"]["address"] == f"/subscriptions/{SUB}/providers/Microsoft.Storage/storageAccounts"
    kv = [f for f in doc["findings"] if f["resource"]["type"] == "azurerm_key_vault"]
    assert kv and {f["status"] for f in kv} == {"unknown"}
    assert not any(f["status"] == "pass" for f in st + kv)
    msgs = [c["message"] for c in doc["coverage"]]
    assert any("Microsoft.Sql/servers/encryptionProtector" in m and "403 AuthorizationFailed" in m
               and SUB in m for m in msgs), msgs
    assert any("configurations" in m and "404" in m for m in msgs)
    assert any("backupShortTermRetentionPolicies" in m and "500" in m for m in msgs)
    assert any("Microsoft.Storage/storageAccounts (list)" in m and "429" in m for m in msgs)
    assert any("Microsoft.KeyVault/vaults (list)" in m and "timeout" in m for m in msgs)
    enc = next(f for f in doc["findings"] if f["control_id"] == "ENC-01" and f["resource"]["name"] == "sql-standby")
    assert "403" in enc["message"]
    # the SDK retried the throttled listing before giving up (--max-retries 1)
    listing = [r for r in emu.arm_requests() if r["path"].lower().endswith("/microsoft.storage/storageaccounts")]
    assert len(listing) == 2 and {r["status"] for r in listing} == {429}


def test_throttling_that_clears_within_the_retries_is_not_a_failure(tmp_path, emu):
    inventory(emu)
    emu.fault(r"/providers/microsoft\.cache/redis$", 429, times=1)
    emu.fault(r"/encryptionprotector/current$", 503, times=1)
    rc, doc = run_audit(tmp_path, emu)
    assert [c for c in doc["coverage"] if c["kind"] != "not-checkable"] == []   # LOG-02 is said once per run
    v = verdicts(doc)
    assert v[("ENC-01", "azurerm_mssql_server", "sql-standby")] == "pass"
    assert v[("HA-02", "azurerm_redis_cache", "redis-standby")] == "pass"


def test_resource_group_tags_count_when_the_profile_says_so(tmp_path, emu):
    emu.add_subscription(SUB)
    emu.add_resource_group(SUB, "rg-tagged", tags={"Project": "standby", "CostCenter": "cc-42", "Owner": "ops"})
    emu.put(ae.key_vault(SUB, "rg-tagged", "kv-inherits", tags={"Environment": "prod"}, purge_protection=True))
    profile = tmp_path / "profile.yaml"
    profile.write_text("name: rg-tags\ncontrols:\n  TAG-01:\n    params:\n      count_resource_group_tags: true\n")
    rc, spec = run_audit(tmp_path, emu, name="spec.json")
    assert verdicts(spec)[("TAG-01", "azurerm_key_vault", "kv-inherits")] == "fail"    # own tags only
    rc, doc = run_audit(tmp_path, emu, "--profile", profile, name="rg.json")
    assert verdicts(doc)[("TAG-01", "azurerm_key_vault", "kv-inherits")] == "pass"
    # the resource groups could not be read: what they would add is unknown, not a fail and not a pass
    emu.fault(r"/resourcegroups$", 403)
    rc, denied = run_audit(tmp_path, emu, "--profile", profile, name="denied.json")
    assert verdicts(denied)[("TAG-01", "azurerm_key_vault", "kv-inherits")] == "unknown"
    assert any("Microsoft.Resources/resourceGroups (list)" in c["message"] and "403" in c["message"]
               for c in denied["coverage"])


# ----------------------------------------------------------------------------- read-only
def test_only_reads_leave_the_process(tmp_path, emu):
    inventory(emu)
    run_audit(tmp_path, emu)
    run_audit(tmp_path, emu, "--strategy", "graph", name="graph.json")
    arm = emu.arm_requests()
    assert arm
    for r in arm:
        assert r["method"] == "GET" or (r["method"] == "POST" and
                                        r["path"].lower() == "/providers/microsoft.resourcegraph/resources"), r
    assert any(r["method"] == "POST" for r in arm)   # the graph run did query


def test_read_only_guard_refuses_writes_before_sending(tmp_path, emu):
    """The guard sits in every client's pipeline: a write never reaches the wire."""
    from scanner.sources.azure.session import (ReadOnlyViolation, Session, make_credential,
                                               resolve_endpoints)
    inventory(emu)
    ep = resolve_endpoints(None, emu.base_url, None)
    s = Session(make_credential(ep, None), ep, max_retries=0)
    try:
        rg = s.client("resources", SUB)
        with pytest.raises(ReadOnlyViolation):
            rg.resource_groups.create_or_update("rg-new", {"location": "eastus2"})
        with pytest.raises(ReadOnlyViolation):
            s.client("redis", SUB).redis.list_keys("rg-standby", "redis-standby")   # a POST that returns secrets
        assert [r["method"] for r in emu.arm_requests()] == []
        assert len(list(rg.resource_groups.list())) == 1                           # reads still work
    finally:
        s.close()


# ----------------------------------------------------------------------------- scope and options
def test_subscription_discovery_and_filters(tmp_path, emu):
    inventory(emu, SUB)
    inventory(emu, SUB2, rg="rg-other")
    emu.add_subscription("00000000-0000-0000-0000-0000000000c3", "old", state="Disabled")
    emu.add_subscription("00000000-0000-0000-0000-0000000000d4", "elsewhere", tenant="other-tenant")
    rc, doc = run_audit(tmp_path, emu)
    assert doc["scope"]["subscriptions"] == [SUB, SUB2, "00000000-0000-0000-0000-0000000000d4"]
    assert any(c["kind"] == "scope" and "Disabled" in c["message"] for c in doc["coverage"])
    rc, doc = run_audit(tmp_path, emu, "--subscription", SUB2, name="one.json")
    assert doc["scope"]["subscriptions"] == [SUB2]
    assert {f["resource"]["subscription"] for f in doc["findings"]} == {SUB2}
    rc, doc = run_audit(tmp_path, emu, "--tenant", ae.TENANT, name="tenant.json")
    assert doc["scope"]["subscriptions"] == [SUB, SUB2]


def test_graph_strategy_gives_the_same_verdicts_with_fewer_listings(tmp_path, emu):
    inventory(emu, SUB)
    inventory(emu, SUB2, rg="rg-other")
    emu.graph_page_size = 3   # force $skipToken paging
    rc_a, arm = run_audit(tmp_path, emu, name="arm.json")
    n_arm = len(emu.arm_requests())
    emu.requests.clear()
    rc_g, graph = run_audit(tmp_path, emu, "--strategy", "graph", name="graph.json")
    assert verdicts(graph) == verdicts(arm) and rc_a == rc_g
    posts = [r for r in emu.arm_requests() if r["method"] == "POST"]
    assert len(posts) > 2   # paged
    assert len(emu.arm_requests()) < n_arm


def test_graph_failure_falls_back_to_listings(tmp_path, emu):
    inventory(emu)
    emu.fault(r"/providers/microsoft\.resourcegraph/resources$", 403)
    rc, doc = run_audit(tmp_path, emu, "--strategy", "graph")
    assert any("Microsoft.ResourceGraph" in c["message"] for c in doc["coverage"])
    assert verdicts(doc)[("ENC-01", "azurerm_mssql_server", "sql-standby")] == "pass"


def test_progress_bar_only_on_a_terminal(monkeypatch, capsys):
    from scanner.sources.azure import audit
    with audit._progress(False, 3) as p:
        assert p is None                      # pytest's stderr is not a TTY
    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    with audit._progress(True, 3) as p:
        assert p is None                      # --quiet
    with audit._progress(False, 3) as p:
        p(5, 10)                              # a terminal: a live bar
        assert callable(p)


def test_cloud_endpoints(monkeypatch):
    from scanner.errors import InputError
    from scanner.sources.azure.session import resolve_endpoints
    monkeypatch.delenv("AZURE_AUTHORITY_HOST", raising=False)
    monkeypatch.delenv("AZURE_SDK_CLOUD_CONF", raising=False)
    pub = resolve_endpoints(None, None, None)
    assert (pub.arm, pub.authority, pub.scope) == ("https://management.azure.com", "https://login.microsoftonline.com",
                                                   "https://management.azure.com/.default")
    gov = resolve_endpoints("usgov", None, None)
    assert gov.scope == "https://management.core.usgovcloudapi.net/.default"
    assert gov.authority == "https://login.microsoftonline.us" and gov.known_authority
    monkeypatch.setenv("AZURE_SDK_CLOUD_CONF", "AZURE_CHINA_CLOUD")
    cn = resolve_endpoints(None, None, None)
    assert cn.arm == "https://management.chinacloudapi.cn" and cn.authority == "https://login.chinacloudapi.cn"
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", "https://login.example.internal/")
    private = resolve_endpoints(None, "arm.example.internal", None)
    assert private.arm == "https://arm.example.internal" and private.scope == "https://arm.example.internal/.default"
    assert private.authority == "https://login.example.internal" and not private.known_authority
    with pytest.raises(InputError):
        resolve_endpoints(None, "http://arm.example.internal", None)


def test_print_role_is_least_privilege_reads(run_cli):
    r = run_cli("audit", "azure", "--print-role", env={"AZURE_CLIENT_ID": "", "AZURE_CLIENT_SECRET": ""})
    assert r.returncode == 0, r.stderr
    role = json.loads(r.stdout)
    assert role["Actions"] and all(a.endswith("/read") for a in role["Actions"])
    assert role["DataActions"] == [] and role["NotActions"] == []
    from scanner.sources.azure.inventory import LISTINGS
    provider_types = {a.rsplit("/", 1)[0].lower() for a in role["Actions"]}
    assert {t.lower() for t in LISTINGS} <= provider_types


def test_no_credentials_is_exit_3(tmp_path):
    import os
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AZURE_", "IDENTITY_", "MSI_")) and k not in ("HOME", "PATH")}
    env.update({"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "AZURE_CONFIG_DIR": str(tmp_path / "az")})
    r = subprocess.run([sys.executable, "-m", "scanner", "audit", "azure", "--quiet", "--format", "json", "-o",
                        str(tmp_path / "out.json")], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 3, r.stderr
    assert "credentials" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "out.json").exists()


def test_command_line_through_the_environment_only(tmp_path, emu, run_cli):
    """The real command, reaching the emulator through configuration alone; secrets never printed."""
    inventory(emu)
    env = emu.env()
    r = run_cli("audit", "azure", "--arm-endpoint", emu.base_url, "--format", "json", "-o", tmp_path / "r.json",
                "--format", "table", env=env)
    assert r.returncode in (0, 1), r.stderr
    assert r.stderr == ""   # no progress bar when stderr is not a terminal, no SDK log noise
    assert ae.CLIENT_SECRET not in r.stdout + r.stderr + (tmp_path / "r.json").read_text()
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["sources"] == [{"kind": "azure", "path": f"subscription {SUB}"}] and doc["findings"]
    assert r.returncode == (1 if doc["summary"]["fail"] + doc["summary"]["unknown"] else 0)
    assert f"{doc['summary']['pass']} pass, {doc['summary']['fail']} fail" in r.stdout   # the table, too


def test_arm_values_normalise_like_the_terraform_mappers():
    from scanner.sources.azure.arm_map import nsg_rule, tls_version
    from scanner.values import Origin
    assert [tls_version(v) for v in ("TLSv1.3", "TLS1_2", "1.1", "TLSv1_0", "None")] == ["1.3", "1.2", "1.1", "1.0",
                                                                                          "1.0"]
    assert [tls_version(v) for v in ("TLS12", "TLS10", "TLS13", "TLS9")] == ["1.2", "1.0", "1.3", None]  # Front Door
    rules = nsg_rule("web", {"protocol": "*", "access": "Allow", "priority": 100, "direction": "Inbound",
                             "destinationPortRanges": ["443", "8000-8100"], "sourceAddressPrefixes": ["Internet", "10.0.0.0/8"],
                             "sourceApplicationSecurityGroups": [{"id": "/subscriptions/S/resourceGroups/RG/providers/"
                                                                        "Microsoft.Network/applicationSecurityGroups/Web"}]},
                     "source", Origin("azure", "x"))
    assert [(r["from_port"], r["to_port"]) for r in rules] == [(443, 443), (8000, 8100)]
    assert rules[0]["protocol"] == "-1" and rules[0]["cidrs"] == ["0.0.0.0/0", "10.0.0.0/8"]
    assert rules[0]["source_groups"] == ["/subscriptions/s/resourcegroups/rg/providers/microsoft.network/"
                                         "applicationsecuritygroups/web"]
    assert (rules[0]["access"], rules[0]["priority"], rules[0]["name"]) == ("allow", 100, "web")
    everything = nsg_rule("any", {"protocol": "Tcp", "access": "Deny", "direction": "Outbound",
                                  "destinationAddressPrefix": "*"}, "destination", Origin("azure", "x"))
    assert [(r["protocol"], r["from_port"], r["to_port"], r["cidrs"]) for r in everything] == \
        [("tcp", 0, 65535, ["0.0.0.0/0"])]


# ----------------------------------------------------------------------------- Front Door custom domains (TLS-02)
def front_doors(emu, sub=SUB, rg="rg-edge"):
    emu.add_subscription(sub, "edge")
    emu.add_resource_group(sub, rg, tags=TAGS)
    fd = emu.put(ae.frontdoor_profile(sub, rg, "fd-edge", sku="Premium_AzureFrontDoor", tags=TAGS))
    emu.put(ae.frontdoor_custom_domain(fd["id"], "www", min_tls="TLS12"))
    emu.put(ae.frontdoor_custom_domain(fd["id"], "legacy", min_tls="TLS10"))
    emu.put(ae.frontdoor_custom_domain(fd["id"], "unset", min_tls=None))
    classic = emu.put(ae.frontdoor_profile(sub, rg, "cdn-classic", sku="Standard_Microsoft", tags=TAGS))
    return fd, classic


@pytest.mark.parametrize("strategy", ["arm", "graph"])
def test_front_door_custom_domains_are_audited(tmp_path, emu, strategy):
    fd, classic = front_doors(emu)
    rc, doc = run_audit(tmp_path, emu, "--strategy", strategy)
    from scanner.results import validate
    validate(doc)
    v = verdicts(doc)
    domain = "azurerm_cdn_frontdoor_custom_domain"
    assert v[("TLS-02", domain, "www")] == "pass"              # TLS 1.2: the service's ceiling
    assert v[("TLS-02", domain, "legacy")] == "fail"
    assert v[("TLS-02", domain, "unset")] == "unknown"         # not returned: never a pass
    legacy = next(f for f in doc["findings"] if f["control_id"] == "TLS-02" and f["resource"]["name"] == "legacy")
    assert legacy["resource"]["address"] == f"{fd['id']}/customDomains/legacy"
    assert legacy["evidence"]["properties.tlsSettings.minimumTlsVersion"] == "TLS10"
    assert legacy["evidence"]["properties.tlsSettings.minimumTlsVersion (lowest TLS version)"] == "1.0"
    assert "GET Microsoft.Cdn/profiles/customDomains" in legacy["evidence"]["observed_via"]
    # custom domains carry no tags (as in a plan); the profile is checked for its tags
    assert not [k for k in v if k[0] == "TAG-01" and k[1] == domain]
    assert v[("TAG-01", "azurerm_cdn_frontdoor_profile", "fd-edge")] == "pass"
    # a classic CDN profile has no Front Door custom domains: not asked for them
    paths = [r["path"].lower() for r in emu.arm_requests()]
    assert f"{fd['id']}/customDomains".lower() in paths
    assert not any(p.startswith(classic["id"].lower() + "/") for p in paths)
    assert all(r["method"] == "GET" or "resourcegraph" in r["path"].lower() for r in emu.arm_requests())


def test_front_door_domain_listing_failure_is_unknown_and_reported(tmp_path, emu):
    fd, _ = front_doors(emu)
    emu.fault(r"/customdomains$", 403, "AuthorizationFailed")
    rc, doc = run_audit(tmp_path, emu)
    fs = [f for f in doc["findings"] if f["resource"]["type"] == "azurerm_cdn_frontdoor_custom_domain"]
    assert [(f["control_id"], f["status"], f["resource"]["address"]) for f in fs] == \
        [("TLS-02", "unknown", f"{fd['id']}/customDomains")]
    assert "403 AuthorizationFailed" in fs[0]["message"]
    assert any("Microsoft.Cdn/profiles/customDomains (list)" in c["message"] and "403" in c["message"]
               for c in doc["coverage"])


def test_front_door_profiles_unseen_means_their_domains_are_unknown(tmp_path, emu):
    front_doors(emu)
    emu.fault(rf"^/subscriptions/{SUB}/resources$", 403, "AuthorizationFailed")
    rc, doc = run_audit(tmp_path, emu)
    fs = [f for f in doc["findings"] if f["resource"]["type"] == "azurerm_cdn_frontdoor_custom_domain"]
    assert [(f["control_id"], f["status"]) for f in fs] == [("TLS-02", "unknown")]
    assert fs[0]["resource"]["address"] == f"/subscriptions/{SUB}/providers/Microsoft.Cdn/profiles/customDomains"


def test_front_door_live_verdicts_match_the_plan(tmp_path, emu):
    from planlib import Plan
    from scanner.engine import evaluate
    from scanner.link import link
    from scanner.profile import load_profile
    from scanner.sources.terraform.normalize import normalize

    p = Plan()
    p.add("azurerm_resource_group", "rg", {"name": "rg-fd", "location": "eastus2", "tags": TAGS},
          provider_key="azurerm")
    p.add("azurerm_cdn_frontdoor_profile", "fd", {"name": "fd-plan", "resource_group_name": "rg-fd",
                                                  "sku_name": "Standard_AzureFrontDoor", "tags": TAGS},
          provider_key="azurerm")
    for name, tls in (("www", "TLS12"), ("old", "TLS10")):
        p.add("azurerm_cdn_frontdoor_custom_domain", name,
              {"name": name, "host_name": f"{name}.example.com", "tls": [{"minimum_tls_version": tls}]},
              unknown={"cdn_frontdoor_profile_id": True},
              refs={"cdn_frontdoor_profile_id": ["azurerm_cdn_frontdoor_profile.fd.id",
                                                 "azurerm_cdn_frontdoor_profile.fd"]}, provider_key="azurerm")
    plan_path = p.write(tmp_path / "plan.json")
    dep = ae.PlanDeployment(emu, plan_path, SUB).deploy()
    planned = {(f.control_id, dep.names[f.resource.address]): (f.status, f.message)
               for f in evaluate(link(normalize(p.project())), load_profile(None))
               if f.resource.type == "azurerm_cdn_frontdoor_custom_domain"}
    rc, doc = run_audit(tmp_path, emu)
    live = {(f["control_id"], f["resource"]["name"]): (f["status"], f["message"]) for f in doc["findings"]
            if f["resource"]["type"] == "azurerm_cdn_frontdoor_custom_domain"}
    assert planned == live
    assert planned[("TLS-02", "old")][0] == "fail" and planned[("TLS-02", "www")][0] == "pass"


def test_role_reads_front_door_custom_domains():
    from scanner.sources.azure.cli import role_text
    actions = {a.lower() for a in json.loads(role_text())["Actions"]}
    assert {"microsoft.cdn/profiles/read", "microsoft.cdn/profiles/customdomains/read",
            "microsoft.resources/subscriptions/resources/read"} <= actions
