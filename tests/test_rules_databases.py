"""Issue 12 classes 7 and 8 on plans and .tf source: every relational database type is a database
(MySQL flexible and single server, MariaDB, PostgreSQL single server), azurerm_sql_server accepts
TLS 1.0, TAG-01 covers every type whose provider schema has tags, a covered family's unmapped
type is said under coverage, and SQS rests on AWS's default exactly like S3."""
import json

import pytest

from conftest import ROOT, write_tree
from planlib import Plan
from scanner.profile import spec_profile
from scanner.sources.terraform import hcl

TAGS = {"Environment": "prod", "Project": "standby", "CostCenter": "cc-42", "Owner": "dba@example.com"}
KEY = "https://kv-db.vault.azure.net/keys/db/0123456789abcdef"
AZ = {"provider_key": "azurerm"}
PIN = """
terraform {
  required_providers {
    azurerm = { source = "hashicorp/azurerm", version = "~> 3.100" }
    aws     = { source = "hashicorp/aws", version = "~> 5.0" }
  }
}
"""


def by_control(findings):
    return {(f.control_id, f.resource.address): f for f in findings}


def tf_findings(path):
    from scanner.engine import evaluate
    from scanner.link import link
    from scanner.sources.terraform.normalize import normalize
    return by_control(evaluate(link(normalize(hcl.load_dir(str(path)))), spec_profile()))


# ---------------------------------------------------------------- MySQL flexible server
def test_mysql_flexible_server_is_a_database_for_every_database_control():
    p = Plan()
    p.add("azurerm_mysql_flexible_server", "good", {
        "name": "my1", "backup_retention_days": 35, "geo_redundant_backup_enabled": True,
        "high_availability": [{"mode": "ZoneRedundant"}], "customer_managed_key": [{"key_vault_key_id": KEY}]}, **AZ)
    p.add("azurerm_mysql_flexible_server_configuration", "tls", {"name": "tls_version", "value": "TLSv1.3"},
          unknown={"server_name": True},
          refs={"server_name": ["azurerm_mysql_flexible_server.good.name", "azurerm_mysql_flexible_server.good"]},
          **AZ)
    p.add("azurerm_mysql_flexible_server", "plain", {"name": "my2"}, **AZ)
    f = by_control(p.findings())
    good, plain = "azurerm_mysql_flexible_server.good", "azurerm_mysql_flexible_server.plain"
    for cid in ("ENC-01", "TLS-03", "HA-01", "BAK-01", "BAK-02"):
        assert f[(cid, good)].status == "pass", (cid, f[(cid, good)].message)
        assert f[(cid, plain)].status == "fail", (cid, f[(cid, plain)].message)
    # the TLS version comes from the configuration resource that names the server
    assert f[("TLS-03", good)].evidence["azurerm_mysql_flexible_server_configuration.tls tls_version"] == "1.3"
    # unset settings are the documented defaults, and the evidence says they were assumed
    ev = f[("TLS-03", plain)].evidence
    assert ev["tls_version (no azurerm_mysql_flexible_server_configuration sets it: Azure default TLSv1.2)"] == "1.2"
    assert ev["require_secure_transport (no azurerm_mysql_flexible_server_configuration sets it: Azure default ON)"] is True
    assert any(k.startswith("backup_retention_days (unset") for k in f[("BAK-01", plain)].evidence)
    assert f[("BAK-01", plain)].message.startswith("backups are kept 7 days")
    assert f[("HA-01", plain)].evidence == {"high_availability (unset: high availability disabled)": False}


def test_mysql_flexible_configuration_off_and_one_that_names_its_server_only_after_apply():
    p = Plan()
    p.add("azurerm_mysql_flexible_server", "off", {"name": "my1"}, **AZ)
    p.add("azurerm_mysql_flexible_server_configuration", "off", {"name": "require_secure_transport", "value": "OFF"},
          unknown={"server_name": True},
          refs={"server_name": ["azurerm_mysql_flexible_server.off.name", "azurerm_mysql_flexible_server.off"]}, **AZ)
    p.add("azurerm_mysql_flexible_server", "remote", {"name": "my2"}, **AZ)
    # names a server through a data source: it may be this one, so nothing about the setting is known
    p.add("azurerm_mysql_flexible_server_configuration", "remote", {"name": "tls_version", "value": "TLSv1"},
          unknown={"server_name": True}, refs={"server_name": ["data.azurerm_mysql_flexible_server.x.name"]}, **AZ)
    f = by_control(p.findings("TLS-03"))
    off = f[("TLS-03", "azurerm_mysql_flexible_server.off")]
    assert off.status == "fail" and "unencrypted connections are accepted" in off.message
    remote = f[("TLS-03", "azurerm_mysql_flexible_server.remote")]
    assert remote.status == "unknown" and "after apply" in remote.message


def test_mysql_flexible_from_tf_source_joins_the_configuration_by_server_name(tmp_path):
    write_tree(tmp_path, {"main.tf": PIN + """
        resource "azurerm_mysql_flexible_server" "db" {
          name                         = "mysql-db"
          resource_group_name          = "rg"
          location                     = "eastus2"
          backup_retention_days        = 35
          geo_redundant_backup_enabled = true
          high_availability {
            mode = "ZoneRedundant"
          }
        }
        resource "azurerm_mysql_flexible_server_configuration" "tls" {
          name                = "tls_version"
          resource_group_name = "rg"
          server_name         = azurerm_mysql_flexible_server.db.name
          value               = "TLSv1.3"
        }
    """})
    f = tf_findings(tmp_path)
    a = "azurerm_mysql_flexible_server.db"
    assert {cid: f[(cid, a)].status for cid in ("ENC-01", "TLS-03", "HA-01", "BAK-01", "BAK-02")} == {
        "ENC-01": "fail", "TLS-03": "pass", "HA-01": "pass", "BAK-01": "pass", "BAK-02": "pass"}
    assert f[("TAG-01", a)].status == "fail"   # taggable by its schema, and untagged


# ---------------------------------------------------------------- single servers
def test_single_servers_mysql_mariadb_postgresql():
    p = Plan()
    p.add("azurerm_mysql_server", "cmk", {"name": "a", "ssl_enforcement_enabled": True,
                                          "ssl_minimal_tls_version_enforced": "TLS1_2", "backup_retention_days": 35,
                                          "geo_redundant_backup_enabled": True}, **AZ)
    p.add("azurerm_mysql_server_key", "cmk", {"key_vault_key_id": KEY}, unknown={"server_id": True},
          refs={"server_id": ["azurerm_mysql_server.cmk.id", "azurerm_mysql_server.cmk"]}, **AZ)
    p.add("azurerm_mysql_server", "nossl", {"name": "b", "ssl_enforcement_enabled": False,
                                            "ssl_minimal_tls_version_enforced": "TLSEnforcementDisabled"}, **AZ)
    p.add("azurerm_mariadb_server", "m", {"name": "c", "ssl_enforcement_enabled": True,
                                          "ssl_minimal_tls_version_enforced": "TLS1_2"}, **AZ)
    p.add("azurerm_postgresql_server", "pg", {"name": "d", "ssl_enforcement_enabled": True,
                                              "ssl_minimal_tls_version_enforced": "TLS1_0"}, **AZ)
    f = by_control(p.findings())
    st = {k: v.status for k, v in f.items()}
    assert st[("ENC-01", "azurerm_mysql_server.cmk")] == "pass"
    assert st[("TLS-03", "azurerm_mysql_server.cmk")] == "pass"          # TLS 1.2: the single servers' ceiling
    assert "cannot require more than TLS 1.2" in f[("TLS-03", "azurerm_mysql_server.cmk")].message
    assert st[("BAK-01", "azurerm_mysql_server.cmk")] == "pass" and st[("BAK-02", "azurerm_mysql_server.cmk")] == "pass"
    nossl = f[("TLS-03", "azurerm_mysql_server.nossl")]
    assert nossl.status == "fail" and "unencrypted connections are accepted" in nossl.message
    # MariaDB offers no customer-managed key: ENC-01 fails and the evidence says why
    maria = f[("ENC-01", "azurerm_mariadb_server.m")]
    assert maria.status == "fail" and any("no customer-managed key" in k for k in maria.evidence)
    assert st[("TLS-03", "azurerm_mariadb_server.m")] == "pass"
    assert st[("TLS-03", "azurerm_postgresql_server.pg")] == "fail"
    # a single server runs in one zone: HA-01 applies and fails, whatever the engine
    for a in ("azurerm_mysql_server.cmk", "azurerm_mariadb_server.m", "azurerm_postgresql_server.pg"):
        ha = f[("HA-01", a)]
        assert ha.status == "fail" and any("one availability zone" in k for k in ha.evidence)


def test_azurerm_sql_server_accepts_tls_1_0():
    p = Plan()
    p.add("azurerm_sql_server", "legacy", {"name": "s1"}, **AZ)
    p.add("azurerm_mssql_server", "modern", {"name": "s2", "minimum_tls_version": "1.3"}, **AZ)
    f = by_control(p.findings("TLS-03"))
    legacy = f[("TLS-03", "azurerm_sql_server.legacy")]
    assert legacy.status == "fail" and "minimum TLS version is 1.0" in legacy.message
    assert legacy.evidence["azurerm_sql_server (no minimum TLS setting: TLS 1.0 and later accepted)"] == "1.0"
    assert f[("TLS-03", "azurerm_mssql_server.modern")].status == "pass"


# ---------------------------------------------------------------- SQS (class 8)
def _queues(p):
    p.add("aws_kms_key", "k", {"enable_key_rotation": True})
    p.add("aws_sqs_queue", "kms", {"name": "q1"}, unknown={"kms_master_key_id": True, "sqs_managed_sse_enabled": True},
          refs={"kms_master_key_id": ["aws_kms_key.k.arn", "aws_kms_key.k"]})
    p.add("aws_sqs_queue", "ssesqs", {"name": "q2", "sqs_managed_sse_enabled": True, "kms_master_key_id": None})
    p.add("aws_sqs_queue", "undeclared", {"name": "q3", "kms_master_key_id": None},
          unknown={"sqs_managed_sse_enabled": True})
    p.add("aws_sqs_queue", "off", {"name": "q4", "sqs_managed_sse_enabled": False, "kms_master_key_id": None})
    p.add("aws_s3_bucket", "undeclared", {"bucket": "b1"}, unknown={"server_side_encryption_configuration": True})


def test_sqs_rests_on_the_aws_default_like_s3():
    p = Plan()
    _queues(p)
    f = by_control(p.findings())
    st = {a: f[("ENC-04", f"aws_sqs_queue.{a}")].status for a in ("kms", "ssesqs", "undeclared", "off")}
    assert st == {"kms": "pass", "ssesqs": "pass", "undeclared": "fail", "off": "fail"}
    assert f[("ENC-02", "aws_s3_bucket.undeclared")].status == "fail"
    und = f[("ENC-04", "aws_sqs_queue.undeclared")]
    assert "neither kms_master_key_id nor sqs_managed_sse_enabled is declared" in und.message
    # SSE-SQS is never called KMS encryption
    sse = f[("ENC-04", "aws_sqs_queue.ssesqs")]
    assert "SSE-SQS" in sse.message and "encrypted with KMS" not in sse.message and "KMS key" in sse.message
    assert f[("ENC-04", "aws_sqs_queue.kms")].message == "the queue is encrypted with a KMS key"
    assert "not encrypted" in f[("ENC-04", "aws_sqs_queue.off")].message
    # accept_platform_default: the same switch, with the same meaning, as S3's (ENC-02) ...
    prof = spec_profile()
    prof.controls["ENC-04"].params["accept_platform_default"] = True
    prof.controls["ENC-02"].params["accept_platform_default"] = True
    from scanner.engine import evaluate
    f2 = by_control(evaluate(p.resources(), prof))
    # ... but the AWS default holds only from aws provider 4.36 (before, the provider's false drifted the
    # queue back to unencrypted): nothing here pins the provider, so it is not established
    und = f2[("ENC-04", "aws_sqs_queue.undeclared")]
    assert und.status == "unknown" and "4.36" in und.message
    assert f2[("ENC-02", "aws_s3_bucket.undeclared")].status == "pass"
    assert f2[("ENC-04", "aws_sqs_queue.off")].status == "fail"
    p.doc["configuration"]["provider_config"]["aws"] = {
        "name": "aws", "full_name": "registry.terraform.io/hashicorp/aws", "version_constraint": "~> 5.0"}
    f3 = by_control(evaluate(p.resources(), prof))
    assert f3[("ENC-04", "aws_sqs_queue.undeclared")].status == "pass"
    assert "not a KMS key" in f3[("ENC-04", "aws_sqs_queue.undeclared")].message
    # without the profile's switch, nothing declared fails whatever the provider version
    assert by_control(p.findings("ENC-04"))[("ENC-04", "aws_sqs_queue.undeclared")].status == "fail"


def test_sqs_model_never_says_kms_for_sse_sqs():
    p = Plan()
    _queues(p)
    r = {x.address: x for x in p.resources()}
    assert r["aws_sqs_queue.ssesqs"]["kms_encrypted"].value is False
    assert r["aws_sqs_queue.ssesqs"]["encryption"].value == "SSE-SQS"
    assert r["aws_sqs_queue.undeclared"]["encryption"].value is None
    assert "October 2022" in r["aws_sqs_queue.undeclared"]["encryption"].origin.path
    assert r["aws_sqs_queue.kms"]["kms_encrypted"].value is True


# ---------------------------------------------------------------- TAG-01 on every taggable type
def test_taggable_types_are_the_provider_schemas_tagged_types():
    from scanner.sources.terraform.hcl_taggable import TAGGABLE
    facts = json.loads((ROOT / "scanner" / "data" / "provider-types.json").read_text())
    assert TAGGABLE == set(facts["tagged"])
    assert not TAGGABLE & set(facts["untagged"])
    assert {"aws_elasticache_serverless_cache", "azurerm_mysql_flexible_server", "aws_wafv2_web_acl"} <= TAGGABLE
    assert "aws_security_group_rule" not in TAGGABLE


def test_untagged_elasticache_serverless_cache_fails_tag01_from_source(tmp_path):
    write_tree(tmp_path, {"main.tf": """
        resource "aws_elasticache_serverless_cache" "c" {
          engine = "redis"
          name   = "sessions"
        }
        resource "aws_elasticache_serverless_cache" "tagged" {
          engine = "valkey"
          name   = "tagged"
          tags   = { Environment = "prod", Project = "p", CostCenter = "c", Owner = "o" }
        }
    """})
    f = tf_findings(tmp_path)
    assert f[("TAG-01", "aws_elasticache_serverless_cache.c")].status == "fail"
    assert f[("TAG-01", "aws_elasticache_serverless_cache.tagged")].status == "pass"


# ---------------------------------------------------------------- coverage of unmapped types
def test_unmapped_database_type_is_listed_under_coverage(tmp_path, run_cli):
    p = Plan()
    p.add("aws_docdb_cluster", "docs", {"cluster_identifier": "docs", "storage_encrypted": False, "tags": TAGS})
    p.add("aws_docdb_cluster", "more", {"cluster_identifier": "more", "tags": TAGS}, module="module.x")
    p.add("aws_memorydb_cluster", "m", {"name": "m"})
    # a member of a replication group is checked through its group: not "not checked"
    p.add("aws_elasticache_replication_group", "g", {"replication_group_id": "g", "at_rest_encryption_enabled": True})
    p.add("aws_elasticache_cluster", "member", {"cluster_id": "g-1"}, unknown={"replication_group_id": True},
          refs={"replication_group_id": ["aws_elasticache_replication_group.g.id",
                                         "aws_elasticache_replication_group.g"]})
    p.add("aws_db_instance", "mapped", {"identifier": "d", "tags": TAGS})
    p.add("aws_s3_bucket_policy", "not_a_family", {"bucket": "b"})
    plan = p.write(tmp_path / "plan.json")
    r = run_cli("scan", plan, "--format", "json", "-o", tmp_path / "out.json")
    assert r.returncode in (0, 1), r.stderr
    doc = json.loads((tmp_path / "out.json").read_text())
    cov = [c for c in doc["coverage"] if c["kind"] == "type-not-mapped"]
    assert [c["type"] for c in cov] == ["aws_docdb_cluster", "aws_memorydb_cluster"]
    docdb = cov[0]
    assert docdb["message"].startswith("aws_docdb_cluster: specguard does not map this database type; its ENC-01, "
                                       "TLS-03, HA-01, BAK-01 and BAK-02 controls are not checked")
    assert docdb["resources"] == ["aws_docdb_cluster.docs", "module.x.aws_docdb_cluster.more"]
    assert cov[1]["family"] == "cache" and "HA-02" in cov[1]["message"]
    # the cluster itself is still checked where it can be (TAG-01), never silently dropped
    assert {f["control_id"] for f in doc["findings"] if f["resource"]["type"] == "aws_docdb_cluster"} == {"TAG-01"}


def test_unmapped_types_from_tf_source_too(tmp_path, run_cli):
    write_tree(tmp_path, {"main.tf": """
        resource "aws_neptune_cluster" "g" {
          cluster_identifier = "graph"
        }
        resource "aws_default_security_group" "d" {
          vpc_id = "vpc-123"
        }
    """})
    r = run_cli("scan", tmp_path, "--format", "json", "-o", tmp_path / "out.json")
    assert r.returncode in (0, 1), r.stderr
    doc = json.loads((tmp_path / "out.json").read_text())
    cov = {c["type"]: c for c in doc["coverage"] if c["kind"] == "type-not-mapped"}
    assert set(cov) == {"aws_neptune_cluster", "aws_default_security_group"}
    assert "NET-01" in cov["aws_default_security_group"]["message"]


def test_family_patterns_name_real_types_and_never_a_mapped_one():
    import re
    from scanner.sources.terraform.families import FAMILIES
    from scanner.sources.terraform.normalize import MAPPERS, _load_mappers
    _PATTERNS = [(re.compile(p), fam) for fam, (_, _, pats) in FAMILIES.items() for p in pats]
    _load_mappers()
    facts = json.loads((ROOT / "scanner" / "data" / "provider-types.json").read_text())
    known = set(facts["tagged"]) | set(facts["untagged"]) | set(facts.get("older_only", []))
    for rx, fam in _PATTERNS:
        hits = {t for t in known if rx.fullmatch(t)}
        assert hits, f"{rx.pattern} ({fam}) names no resource type of the providers"
        assert not hits & set(MAPPERS), f"{rx.pattern}: {hits & set(MAPPERS)} have mappers"


@pytest.mark.parametrize("rtype", ["azurerm_mysql_flexible_server", "azurerm_mysql_server", "azurerm_mariadb_server",
                                   "azurerm_postgresql_server"])
def test_every_azure_relational_database_type_is_mapped_as_a_database(rtype):
    from scanner.sources.terraform.normalize import MAPPERS, _load_mappers
    _load_mappers()
    assert MAPPERS[rtype][0] == "database"


def test_mysql_flexible_customer_key_known_only_after_apply_or_from_a_managed_hsm():
    p = Plan()
    p.add("azurerm_key_vault_key", "k", {"name": "k"}, unknown={"id": True}, **AZ)
    p.add("azurerm_mysql_flexible_server", "kv", {"name": "my1", "customer_managed_key": [{}]},
          unknown={"customer_managed_key": [{"key_vault_key_id": True}]},
          expressions={"customer_managed_key": [{"key_vault_key_id": {
              "references": ["azurerm_key_vault_key.k.id", "azurerm_key_vault_key.k"]}}]}, **AZ)
    p.add("azurerm_mysql_flexible_server", "hsm", {"name": "my2", "customer_managed_key": [
        {"key_vault_key_id": None, "managed_hsm_key_id": "https://hsm.managedhsm.azure.net/keys/k/1"}]}, **AZ)
    f = by_control(p.findings("ENC-01"))
    kv = f[("ENC-01", "azurerm_mysql_flexible_server.kv")]
    assert kv.status == "pass"
    assert kv.evidence["customer_managed_key (key_vault_key_id known after apply)"] == "customer"
    hsm = f[("ENC-01", "azurerm_mysql_flexible_server.hsm")]
    assert hsm.status == "pass"
    assert hsm.evidence["customer_managed_key.0.managed_hsm_key_id"] == "https://hsm.managedhsm.azure.net/keys/k/1"
