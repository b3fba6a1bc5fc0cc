"""Data-layer controls ENC-01..05, HA-01/02, BAK-01..03 on Terraform plans (AWS and azurerm),
the mappers that feed them and the linkers that join clusters and backup copies."""
import pytest

from planlib import Plan
from scanner.link import link
from scanner.model import Resource
from scanner.profile import spec_profile
from scanner.sources.terraform.map_data import tls_version
from scanner.values import Origin, Unknown, Value

ARN = "arn:aws:backup:us-west-2:111122223333:backup-vault:dr"


def by_addr(plan):
    return {r.address: r for r in plan.resources()}


def profile(control_id, **params):
    prof = spec_profile()
    prof.controls[control_id].params.update(params)
    return prof


def finding(plan, control_id, address, prof=None):
    return next(f for f in plan.findings(control_id, prof) if f.resource.address == address)


# ---------------------------------------------------------------- ENC-02 object storage
def s3_v4(plan, name, sse=None, sse_key_ref=None, versioning=None, module=""):
    """A provider-v4 bucket (inline attributes computed) with optional split resources."""
    prefix = f"{module}." if module else ""
    plan.add("aws_s3_bucket", name, {"bucket": f"{name}-bucket"}, module=module,
             unknown={"server_side_encryption_configuration": True, "versioning": True, "id": True})
    ref = {"bucket": [f"aws_s3_bucket.{name}.id", f"aws_s3_bucket.{name}"]}
    if sse:
        apply = {"sse_algorithm": {"constant_value": sse}}
        unknown = {"bucket": True}
        if sse_key_ref:
            apply["kms_master_key_id"] = {"references": sse_key_ref}
            unknown["rule"] = [{"apply_server_side_encryption_by_default": [{"kms_master_key_id": True}]}]
        plan.add("aws_s3_bucket_server_side_encryption_configuration", name,
                 {"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": sse}]}]}, module=module,
                 unknown=unknown, refs=ref, expressions={"rule": [{"apply_server_side_encryption_by_default": [apply]}]})
    if versioning:
        plan.add("aws_s3_bucket_versioning", name, {"versioning_configuration": [{"status": versioning}]},
                 module=module, unknown={"bucket": True}, refs=ref)
    return f"{prefix}aws_s3_bucket.{name}"


def test_enc02_split_configuration_is_joined_to_its_bucket():
    p = Plan()
    p.add("aws_kms_key", "s3", {"enable_key_rotation": True})
    s3_v4(p, "kms", sse="aws:kms", sse_key_ref=["aws_kms_key.s3.arn", "aws_kms_key.s3"])
    s3_v4(p, "aes", sse="AES256")
    s3_v4(p, "none")
    s3_v4(p, "des", sse="DES")
    assert p.verdicts("ENC-02") == {"aws_s3_bucket.kms": "pass", "aws_s3_bucket.aes": "pass",
                                    "aws_s3_bucket.none": "fail", "aws_s3_bucket.des": "fail"}
    f = finding(p, "ENC-02", "aws_s3_bucket.kms")
    assert f.evidence == {"aws_s3_bucket_server_side_encryption_configuration.kms.rule.0."
                          "apply_server_side_encryption_by_default.0.sse_algorithm": "aws:kms"}
    none = finding(p, "ENC-02", "aws_s3_bucket.none")
    assert "January 2023" in none.message and "declared" in none.message
    # require_cmk: the KMS bucket uses a key of this configuration, AES256 is S3's own key
    v = {f.resource.address: f.status for f in p.findings("ENC-02", profile("ENC-02", require_cmk=True))}
    assert v["aws_s3_bucket.kms"] == "pass" and v["aws_s3_bucket.aes"] == "fail"


def test_enc02_platform_default_accepted_only_when_the_profile_says_so():
    p = Plan()
    s3_v4(p, "plain")
    assert p.verdicts("ENC-02") == {"aws_s3_bucket.plain": "fail"}
    f = finding(p, "ENC-02", "aws_s3_bucket.plain", profile("ENC-02", accept_platform_default=True))
    assert f.status == "pass" and "SSE-S3" in f.message


def test_enc02_inline_v3_block_and_unknown_algorithm():
    p = Plan(format_version="0.1", terraform_version="0.13.5")
    p.add("aws_s3_bucket", "aes", {"server_side_encryption_configuration": [
        {"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256", "kms_master_key_id": None}]}]}],
        "versioning": [{"enabled": True, "mfa_delete": False}]})
    p.add("aws_s3_bucket", "empty", {"server_side_encryption_configuration": [], "versioning": [{"enabled": False}]})
    p.add("aws_s3_bucket", "fromvar", {"server_side_encryption_configuration": [
        {"rule": [{"apply_server_side_encryption_by_default": [{}]}]}]},
        unknown={"server_side_encryption_configuration": [
            {"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": True}]}]}]})
    assert p.verdicts("ENC-02") == {"aws_s3_bucket.aes": "pass", "aws_s3_bucket.empty": "fail",
                                    "aws_s3_bucket.fromvar": "unknown"}
    assert p.verdicts("BAK-03") == {"aws_s3_bucket.aes": "pass", "aws_s3_bucket.empty": "fail",
                                    "aws_s3_bucket.fromvar": "fail"}


def test_enc02_split_resource_whose_bucket_cannot_be_resolved_is_unknown():
    p = Plan()
    s3_v4(p, "b")
    p.add("aws_s3_bucket_server_side_encryption_configuration", "x",
          {"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256"}]}]},
          unknown={"bucket": True}, refs={"bucket": ["data.aws_ssm_parameter.bucket.value"]})
    f = finding(p, "ENC-02", "aws_s3_bucket.b")
    assert f.status == "unknown" and "only after apply" in f.message


def test_enc02_split_resources_with_count_pair_by_index():
    p = Plan()
    for i in (0, 1):
        p.add("aws_s3_bucket", "b", {"bucket": f"b{i}"}, index=i,
              unknown={"server_side_encryption_configuration": True, "versioning": True})
    p.add("aws_s3_bucket_server_side_encryption_configuration", "b",
          {"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256"}]}]}, index=0,
          unknown={"bucket": True}, refs={"bucket": ["aws_s3_bucket.b[count.index].id",
                                                     "aws_s3_bucket.b[count.index]", "aws_s3_bucket.b"]})
    assert p.verdicts("ENC-02") == {"aws_s3_bucket.b[0]": "pass", "aws_s3_bucket.b[1]": "fail"}


def test_enc02_split_resource_inside_module_follows_module_input():
    p = Plan()
    p.add("aws_s3_bucket", "data", {"bucket": "data"}, unknown={"server_side_encryption_configuration": True,
                                                                 "versioning": True, "id": True})
    p.add("aws_s3_bucket_server_side_encryption_configuration", "this",
          {"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms"}]}]},
          module="module.enc", unknown={"bucket": True}, refs={"bucket": ["var.bucket_id"]})
    p.module_input("module.enc", "bucket_id", ["aws_s3_bucket.data.id", "aws_s3_bucket.data"])
    assert p.verdicts("ENC-02") == {"aws_s3_bucket.data": "pass"}


def test_enc02_azure_storage_always_encrypted_and_cmk_when_required():
    p = Plan()
    p.add("azurerm_storage_account", "plain", {"name": "plain", "min_tls_version": "TLS1_2"}, provider_key="azurerm")
    p.add("azurerm_storage_account", "cmk", {"name": "cmk"}, provider_key="azurerm", unknown={"id": True})
    p.add("azurerm_storage_account_customer_managed_key", "cmk", {"key_name": "k"}, provider_key="azurerm",
          unknown={"storage_account_id": True},
          refs={"storage_account_id": ["azurerm_storage_account.cmk.id", "azurerm_storage_account.cmk"]})
    assert p.verdicts("ENC-02") == {"azurerm_storage_account.plain": "pass", "azurerm_storage_account.cmk": "pass"}
    f = finding(p, "ENC-02", "azurerm_storage_account.plain")
    assert "always encrypts" in f.message
    v = {f.resource.address: f.status for f in p.findings("ENC-02", profile("ENC-02", require_cmk=True))}
    assert v == {"azurerm_storage_account.plain": "fail", "azurerm_storage_account.cmk": "pass"}


# ---------------------------------------------------------------- ENC-01 (Azure) and ENC-03
def test_enc01_azure_customer_keys_and_tde_join():
    p = Plan()
    p.add("azurerm_postgresql_flexible_server", "cmk", {"name": "pg1", "customer_managed_key": [
        {"key_vault_key_id": "https://kv.vault.azure.net/keys/k/1"}]}, provider_key="azurerm")
    p.add("azurerm_postgresql_flexible_server", "plain", {"name": "pg2"}, provider_key="azurerm")
    p.add("azurerm_mssql_server", "tde", {"name": "sql1", "minimum_tls_version": "1.2"}, provider_key="azurerm",
          unknown={"id": True})
    p.add("azurerm_mssql_server_transparent_data_encryption", "tde", {}, provider_key="azurerm",
          unknown={"server_id": True, "key_vault_key_id": True},
          refs={"server_id": ["azurerm_mssql_server.tde.id", "azurerm_mssql_server.tde"],
                "key_vault_key_id": ["azurerm_key_vault_key.k.id", "azurerm_key_vault_key.k"]})
    p.add("azurerm_mssql_server", "plain", {"name": "sql2"}, provider_key="azurerm")
    assert p.verdicts("ENC-01") == {
        "azurerm_postgresql_flexible_server.cmk": "pass", "azurerm_postgresql_flexible_server.plain": "fail",
        "azurerm_mssql_server.tde": "pass", "azurerm_mssql_server.plain": "fail"}


def test_enc03_volumes_and_file_systems():
    p = Plan()
    p.add("aws_ebs_volume", "enc", {"encrypted": True, "size": 10})
    p.add("aws_ebs_volume", "plain", {"encrypted": False, "size": 10})
    p.add("aws_ebs_volume", "unset", {"size": 10}, unknown={"encrypted": True})
    p.add("aws_efs_file_system", "unset", {}, unknown={"encrypted": True})
    p.add("aws_efs_file_system", "enc", {"encrypted": True})
    v = p.verdicts("ENC-03")
    assert v == {"aws_ebs_volume.enc": "pass", "aws_ebs_volume.plain": "fail", "aws_ebs_volume.unset": "unknown",
                 "aws_efs_file_system.unset": "fail", "aws_efs_file_system.enc": "pass"}
    assert "encryption-by-default" in finding(p, "ENC-03", "aws_ebs_volume.unset").message


def test_enc03_account_encryption_by_default_in_the_same_plan():
    p = Plan()
    p.add("aws_ebs_encryption_by_default", "on", {"enabled": True})
    p.add("aws_ebs_volume", "unset", {"size": 10}, unknown={"encrypted": True})
    f = finding(p, "ENC-03", "aws_ebs_volume.unset")
    assert f.status == "pass"
    assert any("aws_ebs_encryption_by_default.on" in k for k in f.evidence)


# ---------------------------------------------------------------- ENC-04
def test_enc04_data_stores():
    p = Plan()
    p.add("aws_kms_key", "k", {"enable_key_rotation": True})
    p.add("aws_kinesis_stream", "kms", {"encryption_type": "KMS", "kms_key_id": "alias/aws/kinesis"})
    p.add("aws_kinesis_stream", "none", {"encryption_type": "NONE"})
    p.add("aws_sqs_queue", "default", {"name": "q1"}, unknown={"sqs_managed_sse_enabled": True})
    p.add("aws_sqs_queue", "off", {"name": "q2", "sqs_managed_sse_enabled": False, "kms_master_key_id": None})
    p.add("aws_sns_topic", "plain", {"name": "t1", "kms_master_key_id": None})
    p.add("aws_sns_topic", "key", {"name": "t2"}, module="module.events", unknown={"kms_master_key_id": True},
          refs={"kms_master_key_id": ["var.key"]})
    p.module_input("module.events", "key", ["aws_kms_key.k.arn", "aws_kms_key.k"])
    p.add("aws_dynamodb_table", "kms", {"name": "d1", "server_side_encryption": [{"enabled": True}]})
    p.add("aws_dynamodb_table", "owned", {"name": "d2"}, unknown={"server_side_encryption": True})
    p.add("aws_dynamodb_table", "var", {"name": "d3", "server_side_encryption": [{}]},
          unknown={"server_side_encryption": [{"enabled": True}]},
          expressions={"server_side_encryption": [{"enabled": {"references": ["var.encrypt"]}}]})
    p.add("aws_secretsmanager_secret", "default", {"name": "s1", "kms_key_id": None})
    p.add("aws_elasticache_replication_group", "plain", {"at_rest_encryption_enabled": False})
    p.add("aws_elasticache_replication_group", "enc", {"at_rest_encryption_enabled": True})
    assert p.verdicts("ENC-04") == {
        "aws_kinesis_stream.kms": "pass", "aws_kinesis_stream.none": "fail",
        "aws_sqs_queue.default": "fail", "aws_sqs_queue.off": "fail",
        "aws_sns_topic.plain": "fail", "module.events.aws_sns_topic.key": "pass",
        "aws_dynamodb_table.kms": "pass", "aws_dynamodb_table.owned": "fail", "aws_dynamodb_table.var": "unknown",
        "aws_secretsmanager_secret.default": "fail",
        "aws_elasticache_replication_group.plain": "fail", "aws_elasticache_replication_group.enc": "pass"}
    sqs = finding(p, "ENC-04", "aws_sqs_queue.default")
    assert any("SSE-SQS" in k for k in sqs.evidence)
    secret = finding(p, "ENC-04", "aws_secretsmanager_secret.default")
    assert any("aws/secretsmanager" in k for k in secret.evidence)
    # message and evidence agree: the data is encrypted, with the AWS-managed key
    assert secret.message == ("the secret is encrypted with the AWS-managed key aws/secretsmanager, "
                              "not a customer-managed KMS key")
    assert finding(p, "ENC-04", "aws_sns_topic.plain").message == "the data is not encrypted with a KMS key"


# ---------------------------------------------------------------- ENC-05
def test_enc05_rotation_and_purge_protection():
    p = Plan()
    p.add("aws_kms_key", "on", {"enable_key_rotation": True})
    p.add("aws_kms_key", "off", {"enable_key_rotation": False})
    p.add("aws_kms_key", "var", {}, unknown={"enable_key_rotation": True},
          expressions={"enable_key_rotation": {"references": ["var.rotate"]}})
    p.add("aws_kms_key", "signing", {"customer_master_key_spec": "ECC_NIST_P256", "key_usage": "SIGN_VERIFY",
                                     "enable_key_rotation": False})
    p.add("azurerm_key_vault", "good", {"name": "kv1", "purge_protection_enabled": True}, provider_key="azurerm")
    p.add("azurerm_key_vault", "bad", {"name": "kv2", "purge_protection_enabled": False}, provider_key="azurerm")
    assert p.verdicts("ENC-05") == {"aws_kms_key.on": "pass", "aws_kms_key.off": "fail", "aws_kms_key.var": "unknown",
                                    "azurerm_key_vault.good": "pass", "azurerm_key_vault.bad": "fail"}


# ---------------------------------------------------------------- HA-01
def test_ha01_instances_and_clusters():
    p = Plan()
    p.add("aws_db_instance", "multi", {"multi_az": True, "storage_encrypted": True})
    p.add("aws_db_instance", "single", {"multi_az": False})
    p.add("aws_rds_cluster", "two", {"cluster_identifier": "two"}, unknown={"id": True})
    p.add("aws_rds_cluster", "one", {"cluster_identifier": "one"}, unknown={"id": True})
    for i in (0, 1):
        p.add("aws_rds_cluster_instance", "two", {}, index=i, unknown={"cluster_identifier": True},
              refs={"cluster_identifier": ["aws_rds_cluster.two.id", "aws_rds_cluster.two"]})
    p.add("aws_rds_cluster_instance", "one", {"cluster_identifier": "one"})   # literal identifier
    p.add("aws_rds_cluster", "maz", {"cluster_identifier": "maz", "db_cluster_instance_class": "db.m6gd.large"})
    assert p.verdicts("HA-01") == {"aws_db_instance.multi": "pass", "aws_db_instance.single": "fail",
                                   "aws_rds_cluster.two": "pass", "aws_rds_cluster.one": "fail",
                                   "aws_rds_cluster.maz": "pass"}
    f = finding(p, "HA-01", "aws_rds_cluster.one")
    assert "1 instance(s); at least 2" in f.message


def test_ha01_cluster_members_through_module_input_and_unresolved_member():
    p = Plan()
    p.add("aws_rds_cluster", "main", {"cluster_identifier": "main"}, unknown={"id": True})
    for n in ("writer", "reader"):
        p.add("aws_rds_cluster_instance", n, {}, module="module.db", unknown={"cluster_identifier": True},
              refs={"cluster_identifier": ["var.cluster_id"]})
    p.module_input("module.db", "cluster_id", ["aws_rds_cluster.main.id", "aws_rds_cluster.main"])
    assert p.verdicts("HA-01") == {"aws_rds_cluster.main": "pass"}

    q = Plan()
    q.add("aws_rds_cluster", "main", {"cluster_identifier": "main"}, unknown={"id": True})
    q.add("aws_rds_cluster_instance", "writer", {}, unknown={"cluster_identifier": True},
          refs={"cluster_identifier": ["aws_rds_cluster.main.id", "aws_rds_cluster.main"]})
    q.add("aws_rds_cluster_instance", "reader", {}, unknown={"cluster_identifier": True},
          refs={"cluster_identifier": ["data.terraform_remote_state.db.outputs.cluster"]})
    f = finding(q, "HA-01", "aws_rds_cluster.main")
    assert f.status == "unknown" and "1 known instance" in f.message


def test_ha01_members_pinned_to_one_zone_fail():
    p = Plan()
    p.add("aws_rds_cluster", "c", {"cluster_identifier": "c"}, unknown={"id": True})
    for n in ("a", "b"):
        p.add("aws_rds_cluster_instance", n, {"availability_zone": "us-east-1a"}, unknown={"cluster_identifier": True},
              refs={"cluster_identifier": ["aws_rds_cluster.c.id", "aws_rds_cluster.c"]})
    f = finding(p, "HA-01", "aws_rds_cluster.c")
    assert f.status == "fail" and "1 availability zone" in f.message


def test_ha01_azure_servers_and_databases():
    p = Plan()
    p.add("azurerm_postgresql_flexible_server", "zr", {"name": "a", "high_availability": [{"mode": "ZoneRedundant"}]},
          provider_key="azurerm")
    p.add("azurerm_postgresql_flexible_server", "same", {"name": "b", "high_availability": [{"mode": "SameZone"}]},
          provider_key="azurerm")
    p.add("azurerm_postgresql_flexible_server", "none", {"name": "c", "high_availability": []}, provider_key="azurerm")
    p.add("azurerm_mssql_database", "zr", {"name": "d", "zone_redundant": True}, provider_key="azurerm")
    p.add("azurerm_mssql_database", "var", {"name": "e"}, provider_key="azurerm", unknown={"zone_redundant": True},
          expressions={"zone_redundant": {"references": ["var.zr"]}})
    p.add("azurerm_sql_database", "legacy", {"name": "f", "zone_redundant": False}, provider_key="azurerm")
    assert p.verdicts("HA-01") == {
        "azurerm_postgresql_flexible_server.zr": "pass", "azurerm_postgresql_flexible_server.same": "fail",
        "azurerm_postgresql_flexible_server.none": "fail", "azurerm_mssql_database.zr": "pass",
        "azurerm_mssql_database.var": "unknown", "azurerm_sql_database.legacy": "fail"}
    f = finding(p, "HA-01", "azurerm_postgresql_flexible_server.same")
    assert "SameZone" in " ".join(f.evidence)


# ---------------------------------------------------------------- HA-02
def test_ha02_caches():
    p = Plan()
    good = {"automatic_failover_enabled": True, "multi_az_enabled": True, "num_cache_clusters": 3}
    p.add("aws_elasticache_replication_group", "good", good)
    p.add("aws_elasticache_replication_group", "nofail", dict(good, automatic_failover_enabled=False))
    p.add("aws_elasticache_replication_group", "shards", {"automatic_failover_enabled": True, "multi_az_enabled": True,
                                                           "num_node_groups": 3, "replicas_per_node_group": 1},
          unknown={"num_cache_clusters": True})
    p.add("aws_elasticache_replication_group", "var", {"automatic_failover_enabled": True, "multi_az_enabled": True},
          unknown={"num_cache_clusters": True},
          expressions={"num_cache_clusters": {"references": ["var.nodes"]}})
    p.add("azurerm_redis_cache", "zoned", {"name": "r1", "zones": ["1", "2"]}, provider_key="azurerm")
    p.add("azurerm_redis_cache", "flat", {"name": "r2", "zones": None}, provider_key="azurerm")
    assert p.verdicts("HA-02") == {
        "aws_elasticache_replication_group.good": "pass", "aws_elasticache_replication_group.nofail": "fail",
        "aws_elasticache_replication_group.shards": "pass", "aws_elasticache_replication_group.var": "unknown",
        "azurerm_redis_cache.zoned": "pass", "azurerm_redis_cache.flat": "fail"}


# ---------------------------------------------------------------- BAK-01
def test_bak01_retention():
    p = Plan()
    p.add("aws_db_instance", "long", {"backup_retention_period": 35})
    p.add("aws_db_instance", "short", {"backup_retention_period": 7})
    p.add("aws_db_instance", "unset", {}, unknown={"backup_retention_period": True})
    p.add("aws_db_instance", "var", {}, module="module.db", unknown={"backup_retention_period": True},
          expressions={"backup_retention_period": {"references": ["var.days"]}})
    p.add("azurerm_mssql_database", "long", {"name": "a", "short_term_retention_policy": [{"retention_days": 35}]},
          provider_key="azurerm")
    p.add("azurerm_mssql_database", "default", {"name": "b", "short_term_retention_policy": []},
          provider_key="azurerm")
    p.add("azurerm_postgresql_flexible_server", "pg", {"name": "c", "backup_retention_days": 35},
          provider_key="azurerm")
    assert p.verdicts("BAK-01") == {
        "aws_db_instance.long": "pass", "aws_db_instance.short": "fail", "aws_db_instance.unset": "fail",
        "module.db.aws_db_instance.var": "unknown", "azurerm_mssql_database.long": "pass",
        "azurerm_mssql_database.default": "fail", "azurerm_postgresql_flexible_server.pg": "pass"}
    f = finding(p, "BAK-01", "aws_db_instance.short")
    assert f.message == "backups are kept 7 days; the specification requires at least 35 days"
    assert f.evidence == {"backup_retention_period": 7}
    unset = finding(p, "BAK-01", "aws_db_instance.unset")
    assert "1 day" in unset.message and any("AWS default" in k for k in unset.evidence)
    assert finding(p, "BAK-01", "aws_db_instance.short", profile("BAK-01", min_retention_days=7)).status == "pass"


# ---------------------------------------------------------------- BAK-02
def backup_plan(p, name="dr", dest_ref=None, dest_arn=None, region_provider="aws"):
    rule = {"rule_name": "daily", "target_vault_name": "main", "lifecycle": [{"delete_after": 35}],
            "copy_action": [{"lifecycle": [], "destination_vault_arn": dest_arn}]}
    unknown = {"id": True, "arn": True}
    exprs = None
    if dest_ref:
        # Terraform shows a set of blocks with an unknown member as wholly unknown
        unknown["rule"] = True
        exprs = {"rule": [{"rule_name": {"constant_value": "daily"},
                           "lifecycle": [{"delete_after": {"constant_value": 35}}],
                           "copy_action": [{"destination_vault_arn": {"references": dest_ref}}]}]}
    p.add("aws_backup_plan", name, {"name": name} if dest_ref else {"name": name, "rule": [rule]},
          unknown=unknown, expressions=exprs)
    return f"aws_backup_plan.{name}"


def providers(p):
    p.doc["configuration"]["provider_config"]["aws"] = {"name": "aws", "expressions": {
        "region": {"constant_value": "us-east-1"}}}
    p.doc["configuration"]["provider_config"]["aws.west"] = {"name": "aws", "alias": "west", "expressions": {
        "region": {"constant_value": "us-west-2"}}}


def test_bak02_automated_backups_replication():
    p = Plan()
    p.add("aws_db_instance", "main", {"identifier": "main"}, unknown={"arn": True})
    p.add("aws_db_instance", "other", {"identifier": "other"}, unknown={"arn": True})
    p.add("aws_db_instance_automated_backups_replication", "main", {"retention_period": 14},
          unknown={"source_db_instance_arn": True}, provider_key="aws.west",
          refs={"source_db_instance_arn": ["aws_db_instance.main.arn", "aws_db_instance.main"]})
    assert p.verdicts("BAK-02") == {"aws_db_instance.main": "pass", "aws_db_instance.other": "fail"}
    ev = finding(p, "BAK-02", "aws_db_instance.main").evidence
    assert ev["backup_copied_by"] == ["aws_db_instance_automated_backups_replication.main"]


def test_bak02_backup_plan_copy_to_vault_of_another_region_provider():
    p = Plan()
    providers(p)
    p.add("aws_backup_vault", "dr", {"name": "dr"}, provider_key="aws.west", unknown={"arn": True})
    backup_plan(p, dest_ref=["aws_backup_vault.dr.arn", "aws_backup_vault.dr"])
    p.add("aws_db_instance", "byref", {"identifier": "byref"}, unknown={"arn": True})
    p.add("aws_db_instance", "bytag", {"identifier": "bytag", "tags": {"Backup": "dr"}}, unknown={"arn": True})
    p.add("aws_db_instance", "left", {"identifier": "left", "tags": {"Backup": "none"}}, unknown={"arn": True})
    p.add("aws_rds_cluster", "aurora", {"cluster_identifier": "aurora"}, unknown={"arn": True})
    p.add("aws_backup_selection", "refs", {"name": "refs", "selection_tag": []},
          unknown={"plan_id": True, "resources": True},
          refs={"plan_id": ["aws_backup_plan.dr.id", "aws_backup_plan.dr"],
                "resources": ["aws_db_instance.byref.arn", "aws_db_instance.byref"]})
    p.add("aws_backup_selection", "tags", {"name": "tags", "selection_tag": [
        {"type": "STRINGEQUALS", "key": "Backup", "value": "dr"}], "resources": []},
        unknown={"plan_id": True}, refs={"plan_id": ["aws_backup_plan.dr.id", "aws_backup_plan.dr"]})
    p.add("aws_backup_selection", "clusters", {"name": "clusters", "selection_tag": [],
                                               "resources": ["arn:aws:rds:*:*:cluster:*"]},
          unknown={"plan_id": True}, refs={"plan_id": ["aws_backup_plan.dr.id", "aws_backup_plan.dr"]})
    assert p.verdicts("BAK-02") == {"aws_db_instance.byref": "pass", "aws_db_instance.bytag": "pass",
                                    "aws_db_instance.left": "fail", "aws_rds_cluster.aurora": "pass"}
    # the plan shows the rule set as unknown; retention and copy region are read from configuration
    assert p.verdicts("BAK-03")["aws_backup_plan.dr"] == "pass"


def test_bak02_copy_to_the_same_region_is_not_cross_region():
    p = Plan()
    providers(p)
    backup_plan(p, dest_arn="arn:aws:backup:us-east-1:111122223333:backup-vault:other")
    p.add("aws_db_instance", "db", {"identifier": "db"}, unknown={"arn": True})
    p.add("aws_backup_selection", "all", {"name": "all", "resources": ["arn:aws:rds:*:*:db:*"]},
          unknown={"plan_id": True}, refs={"plan_id": ["aws_backup_plan.dr.id", "aws_backup_plan.dr"]})
    assert p.verdicts("BAK-02") == {"aws_db_instance.db": "fail"}

    q = Plan()
    providers(q)
    backup_plan(q, dest_arn=ARN)
    q.add("aws_db_instance", "db", {"identifier": "db"}, unknown={"arn": True})
    q.add("aws_backup_selection", "all", {"name": "all", "resources": ["arn:aws:rds:*:*:db:*"]},
          unknown={"plan_id": True}, refs={"plan_id": ["aws_backup_plan.dr.id", "aws_backup_plan.dr"]})
    assert q.verdicts("BAK-02") == {"aws_db_instance.db": "pass"}


def test_bak02_unknown_when_coverage_cannot_be_decided():
    # the selection's plan is outside the scanned resources
    p = Plan()
    p.add("aws_db_instance", "db", {"identifier": "db", "tags": {"Backup": "dr"}}, unknown={"arn": True})
    p.add("aws_backup_selection", "s", {"name": "s", "selection_tag": [
        {"type": "STRINGEQUALS", "key": "Backup", "value": "dr"}]}, unknown={"plan_id": True},
        refs={"plan_id": ["data.aws_backup_plan.central.id"]})
    f = finding(p, "BAK-02", "aws_db_instance.db")
    assert f.status == "unknown" and "not among the scanned resources" in f.message
    # the database's tags may come from provider default_tags set from a reference
    q = Plan()
    providers(q)
    backup_plan(q, dest_arn=ARN)
    q.default_tags(references=["local.tags"])
    q.add("aws_db_instance", "db", {"identifier": "db", "tags": None}, unknown={"arn": True, "tags_all": True})
    q.add("aws_backup_selection", "s", {"name": "s", "selection_tag": [
        {"type": "STRINGEQUALS", "key": "Backup", "value": "dr"}]}, unknown={"plan_id": True},
        refs={"plan_id": ["aws_backup_plan.dr.id", "aws_backup_plan.dr"]})
    q.doc["configuration"]["provider_config"]["aws"]["expressions"]["region"] = {"constant_value": "us-east-1"}
    assert q.verdicts("BAK-02") == {"aws_db_instance.db": "unknown"}
    # an ARN pattern naming databases by identifier, while the identifier is known only after apply
    r = Plan()
    providers(r)
    backup_plan(r, dest_arn=ARN)
    r.add("aws_db_instance", "db", {}, unknown={"arn": True, "identifier": True})
    r.add("aws_backup_selection", "s", {"name": "s", "resources": ["arn:aws:rds:*:*:db:prod-*"]},
          unknown={"plan_id": True}, refs={"plan_id": ["aws_backup_plan.dr.id", "aws_backup_plan.dr"]})
    assert r.verdicts("BAK-02") == {"aws_db_instance.db": "unknown"}


def test_bak02_conditions_and_not_resources():
    p = Plan()
    providers(p)
    backup_plan(p, dest_arn=ARN)
    p.add("aws_db_instance", "prod", {"identifier": "prod", "tags": {"Environment": "prod"}}, unknown={"arn": True})
    p.add("aws_db_instance", "dev", {"identifier": "dev", "tags": {"Environment": "dev"}}, unknown={"arn": True})
    p.add("aws_db_instance", "skip", {"identifier": "skip", "tags": {"Environment": "prod"}}, unknown={"arn": True})
    p.add("aws_backup_selection", "s", {"name": "s", "resources": ["*"], "condition": [
        {"string_equals": [{"key": "aws:ResourceTag/Environment", "value": "prod"}], "string_like": [],
         "string_not_equals": [], "string_not_like": []}]},
        unknown={"plan_id": True, "not_resources": True},
        refs={"plan_id": ["aws_backup_plan.dr.id", "aws_backup_plan.dr"],
              "not_resources": ["aws_db_instance.skip.arn", "aws_db_instance.skip"]})
    assert p.verdicts("BAK-02") == {"aws_db_instance.prod": "pass", "aws_db_instance.dev": "fail",
                                    "aws_db_instance.skip": "fail"}


def test_bak02_azure_geo_redundancy():
    p = Plan()
    p.add("azurerm_postgresql_flexible_server", "geo", {"name": "a", "geo_redundant_backup_enabled": True},
          provider_key="azurerm")
    p.add("azurerm_postgresql_flexible_server", "local", {"name": "b", "geo_redundant_backup_enabled": False},
          provider_key="azurerm")
    p.add("azurerm_mssql_database", "geozone", {"name": "c", "storage_account_type": "GeoZone"},
          provider_key="azurerm")
    p.add("azurerm_mssql_database", "local", {"name": "d", "storage_account_type": "Local"}, provider_key="azurerm")
    p.add("azurerm_postgresql_server", "legacy", {"name": "e", "geo_redundant_backup_enabled": True,
                                                  "ssl_enforcement_enabled": True,
                                                  "ssl_minimal_tls_version_enforced": "TLS1_2"},
          provider_key="azurerm")
    assert p.verdicts("BAK-02") == {
        "azurerm_postgresql_flexible_server.geo": "pass", "azurerm_postgresql_flexible_server.local": "fail",
        "azurerm_mssql_database.geozone": "pass", "azurerm_mssql_database.local": "fail",
        "azurerm_postgresql_server.legacy": "pass"}


def test_linkers_work_on_live_style_resources():
    """The live AWS adapter emits the same kinds with ARNs as keys: the same joins apply."""
    o = Origin("aws", "rds:DescribeDBClusters", api="rds:DescribeDBClusters")
    cluster = Resource("database", "aws_rds_cluster", "arn:aws:rds:us-east-1:1:cluster:c", "aws", "aws",
                       fields={"encrypted": Value(True, o)})
    members = [Resource("cluster_member", "aws_rds_cluster_instance", f"arn:aws:rds:us-east-1:1:db:m{i}", "aws", "aws",
                        fields={"cluster": Value(["arn:aws:rds:us-east-1:1:cluster:c"], o),
                                "availability_zone": Value(az, o)})
               for i, az in enumerate(["us-east-1a", "us-east-1b"])]
    db = Resource("database", "aws_db_instance", "arn:aws:rds:us-east-1:1:db:orders", "aws", "aws",
                  fields={"tags": Value({"Backup": "dr"}, o)}, context={"region": "us-east-1"})
    plan = Resource("backup_plan", "aws_backup_plan", "arn:aws:backup:us-east-1:1:backup-plan:p", "aws", "aws",
                    fields={"region": Value("us-east-1", o), "rules": Value(
                        [{"name": "daily", "retention_days": 35, "copy_regions": ["us-west-2"]}], o)})
    sel = Resource("backup_selection", "aws_backup_selection", "sel-1", "aws", "aws",
                   fields={"plan": Value(["arn:aws:backup:us-east-1:1:backup-plan:p"], o),
                           "resources": Value(["arn:aws:rds:us-east-1:1:db:*"], o), "tag_conditions": Value([], o)})
    link([cluster, *members, db, plan, sel])
    assert cluster["cluster_zone_count"].value == 2
    assert len(cluster["cluster_members"].value) == 2
    assert db["backup_cross_region"].value is True
    assert cluster["backup_cross_region"].value is False   # the pattern names db:, not cluster:
    # a source that could not list backup plans says so; the linker keeps it unknown
    db2 = Resource("database", "aws_db_instance", "arn:aws:rds:us-east-1:1:db:x", "aws", "aws",
                   fields={"backup_cross_region": Unknown("backup:ListBackupPlans was denied", o)})
    link([db2])
    assert not db2["backup_cross_region"].known


# ---------------------------------------------------------------- BAK-03
def test_bak03_tables_caches_and_backup_plans():
    p = Plan()
    p.add("aws_dynamodb_table", "pitr", {"name": "a", "point_in_time_recovery": [{"enabled": True}]})
    p.add("aws_dynamodb_table", "short", {"name": "b", "point_in_time_recovery": [
        {"enabled": True, "recovery_period_in_days": 7}]})
    p.add("aws_dynamodb_table", "off", {"name": "c"}, unknown={"point_in_time_recovery": True})
    p.add("aws_elasticache_replication_group", "snap", {"snapshot_retention_limit": 35})
    p.add("aws_elasticache_replication_group", "nosnap", {"snapshot_retention_limit": 1})
    p.add("aws_backup_plan", "long", {"name": "l", "rule": [{"rule_name": "r", "lifecycle": [{"delete_after": 90}],
                                                            "copy_action": []}]})
    p.add("aws_backup_plan", "keep", {"name": "k", "rule": [{"rule_name": "r", "lifecycle": [], "copy_action": []}]})
    p.add("aws_backup_plan", "short", {"name": "s", "rule": [{"rule_name": "weekly", "lifecycle": [{"delete_after": 14}],
                                                             "copy_action": []}]})
    p.add("aws_backup_plan", "var", {"name": "v", "rule": [{"rule_name": "r", "lifecycle": [{}], "copy_action": []}]},
          unknown={"rule": [{"lifecycle": [{"delete_after": True}]}]},
          expressions={"rule": [{"rule_name": {"constant_value": "r"},
                                 "lifecycle": [{"delete_after": {"references": ["var.days"]}}]}]})
    assert p.verdicts("BAK-03") == {
        "aws_dynamodb_table.pitr": "pass", "aws_dynamodb_table.short": "fail", "aws_dynamodb_table.off": "fail",
        "aws_elasticache_replication_group.snap": "pass", "aws_elasticache_replication_group.nosnap": "fail",
        "aws_backup_plan.long": "pass", "aws_backup_plan.keep": "pass", "aws_backup_plan.short": "fail",
        "aws_backup_plan.var": "unknown"}
    f = finding(p, "BAK-03", "aws_backup_plan.short")
    assert f.message == "weekly deletes recovery points after 14 days; at least 35 are required"


# ---------------------------------------------------------------- fields other controls read
def test_tls_fields_are_normalised_for_tls03():
    assert [tls_version(x) for x in ("TLS1_2", "1.2", "TLSv1.2", "TLSv1", "TLS1_0", "TLSv1.2,TLSv1.3",
                                     "TLSEnforcementDisabled", "1.3", "SSLv3")] == \
        ["1.2", "1.2", "1.2", "1.0", "1.0", "1.2", "1.0", "1.3", None]
    p = Plan()
    p.add("aws_db_parameter_group", "pg16", {"family": "postgres16", "parameter": [
        {"name": "rds.force_ssl", "value": "1", "apply_method": "immediate"},
        {"name": "ssl_min_protocol_version", "value": "TLSv1.3", "apply_method": "immediate"}]})
    p.add("aws_db_parameter_group", "pg14", {"family": "postgres14", "parameter": []})
    p.add("aws_rds_cluster_parameter_group", "my", {"family": "aurora-mysql8.0", "parameter": [
        {"name": "require_secure_transport", "value": "ON", "apply_method": "pending-reboot"},
        {"name": "tls_version", "value": "TLSv1.2,TLSv1.3", "apply_method": "pending-reboot"}]})
    p.add("azurerm_postgresql_flexible_server", "pgdef", {"name": "a"}, provider_key="azurerm")
    p.add("azurerm_postgresql_flexible_server", "pgset", {"name": "b"}, provider_key="azurerm", unknown={"id": True})
    for n, v in (("require_secure_transport", "off"), ("ssl_min_protocol_version", "TLSv1.3")):
        p.add("azurerm_postgresql_flexible_server_configuration", n.split("_")[0], {"name": n, "value": v},
              provider_key="azurerm", unknown={"server_id": True},
              refs={"server_id": ["azurerm_postgresql_flexible_server.pgset.id",
                                  "azurerm_postgresql_flexible_server.pgset"]})
    p.add("azurerm_storage_account", "st", {"name": "st", "min_tls_version": "TLS1_0",
                                            "https_traffic_only_enabled": False}, provider_key="azurerm")
    p.add("azurerm_redis_cache", "r", {"name": "r", "minimum_tls_version": "1.2", "non_ssl_port_enabled": False},
          provider_key="azurerm")
    p.add("azurerm_mssql_server", "sql", {"name": "s", "minimum_tls_version": "1.2"}, provider_key="azurerm")
    p.add("aws_elasticache_replication_group", "ec", {"transit_encryption_enabled": True,
                                                       "transit_encryption_mode": "preferred"})
    p.add("aws_db_instance", "db", {"storage_encrypted": True}, unknown={"vpc_security_group_ids": True},
          refs={"vpc_security_group_ids": ["aws_security_group.db.id", "aws_security_group.db"]})
    res = by_addr(p)

    def tls(addr):
        r = res[addr]
        return r["requires_tls"].value, r["tls_min_version"].value if r.has("tls_min_version") else "absent"

    assert tls("aws_db_parameter_group.pg16") == (True, "1.3")
    assert tls("aws_db_parameter_group.pg14") == (False, "1.2")
    assert tls("aws_rds_cluster_parameter_group.my") == (True, "1.2")
    assert tls("azurerm_postgresql_flexible_server.pgdef") == (True, "1.2")
    assert "Azure default ON" in res["azurerm_postgresql_flexible_server.pgdef"]["requires_tls"].origin.path
    assert tls("azurerm_postgresql_flexible_server.pgset") == (False, "1.3")
    assert tls("azurerm_storage_account.st") == (False, "1.0")
    assert tls("azurerm_redis_cache.r") == (True, "1.2")
    assert tls("azurerm_mssql_server.sql") == (True, "1.2")
    assert tls("aws_elasticache_replication_group.ec") == (False, "absent")
    assert res["aws_db_instance.db"]["security_groups"].value == ["aws_security_group.db"]


@pytest.mark.parametrize("control_id", ["ENC-02", "ENC-03", "ENC-04", "ENC-05", "HA-01", "HA-02",
                                        "BAK-01", "BAK-02", "BAK-03"])
def test_controls_declare_catalogue_metadata(control_id):
    c = spec_profile().controls[control_id].control
    assert c.family == control_id.split("-")[0]
    assert c.soc2 and c.title and c.kinds and c.fields
    assert c.severity == {"ENC": "high", "HA": "medium-high"}.get(c.family, c.severity)
    if control_id == "BAK-01":
        assert c.severity == "high" and c.params == {"min_retention_days": 35}
    if control_id == "ENC-02":
        assert c.params["accepted_algorithms"] == ["AES256", "aws:kms"] and c.params["require_cmk"] is False
    if control_id == "HA-01":
        assert c.params == {"min_cluster_instances": 2}


def test_tf_source_gives_the_same_verdicts(tmp_path, run_cli):
    """The .tf adapter feeds the same mappers: joins, module-free references and provider regions."""
    (tmp_path / "main.tf").write_text('''
provider "aws" { region = "us-east-1" }
provider "aws" {
  alias  = "west"
  region = "us-west-2"
}
resource "aws_kms_key" "k" { enable_key_rotation = true }
resource "aws_s3_bucket" "b" { bucket = "b" }
resource "aws_s3_bucket_server_side_encryption_configuration" "b" {
  bucket = aws_s3_bucket.b.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.k.arn
    }
  }
}
resource "aws_s3_bucket" "plain" { bucket = "plain" }
resource "aws_db_instance" "db" {
  identifier              = "orders"
  backup_retention_period = 7
  tags                    = { Backup = "dr" }
}
resource "aws_rds_cluster" "c" { cluster_identifier = "c" }
resource "aws_rds_cluster_instance" "i" {
  count              = 2
  cluster_identifier = aws_rds_cluster.c.id
}
resource "aws_backup_vault" "dr" {
  provider = aws.west
  name     = "dr"
}
resource "aws_backup_plan" "p" {
  name = "p"
  rule {
    rule_name         = "daily"
    target_vault_name = "main"
    lifecycle { delete_after = 35 }
    copy_action { destination_vault_arn = aws_backup_vault.dr.arn }
  }
}
resource "aws_backup_selection" "s" {
  name         = "s"
  plan_id      = aws_backup_plan.p.id
  iam_role_arn = "arn:aws:iam::111122223333:role/backup"
  selection_tag {
    type  = "STRINGEQUALS"
    key   = "Backup"
    value = "dr"
  }
}
''')
    out = tmp_path / "out.json"
    r = run_cli("scan", tmp_path, "--format", "json", "-o", out)
    assert r.returncode in (0, 1), r.stderr
    import json
    doc = json.loads(out.read_text())
    v = {(f["control_id"], f["resource"]["address"]): f["status"] for f in doc["findings"]}
    assert v[("ENC-02", "aws_s3_bucket.b")] == "pass"
    assert v[("ENC-02", "aws_s3_bucket.plain")] == "fail"
    assert v[("BAK-01", "aws_db_instance.db")] == "fail"
    assert v[("BAK-02", "aws_db_instance.db")] == "pass"
    assert v[("BAK-02", "aws_rds_cluster.c")] == "fail"
    assert v[("HA-01", "aws_rds_cluster.c")] == "pass"
    assert v[("BAK-03", "aws_backup_plan.p")] == "pass"
