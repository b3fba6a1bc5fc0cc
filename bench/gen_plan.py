"""Generate a large, realistic `terraform show -json` plan for benchmarks.

    python3 bench/gen_plan.py 10000 -o bench/out/plan-10k.json     # ~30 MB compact

The plan looks like a real platform: a root module with shared keys, network
and backup resources, and a ``service`` module instantiated with for_each (one
instance per service), which itself calls a nested ``db`` module.  Resources
carry the attribute sets the AWS provider writes (most attributes null, as in
real plans), references between resources through ``configuration``
(including a module input), values known only after apply (ids, ARNs, some
KMS keys), provider ``default_tags``, tags that are sometimes incomplete, and
a mix of covered types, taggable uncovered types and untaggable ones.  It is
deterministic for a given N and seed.
"""
from __future__ import annotations

import argparse
import json
import random
import sys

REGION = "us-east-1"
TAGS = {"Project": "platform", "CostCenter": "cc-1234", "Owner": "team-data"}
PAD_ATTRS = ("timeouts", "custom_iam_instance_profile", "domain", "domain_iam_role_name", "nchar_character_set_name",
             "replica_mode", "restore_to_point_in_time", "s3_import", "blue_green_update", "license_model",
             "monitoring_role_arn", "option_group_name", "performance_insights_kms_key_id", "snapshot_identifier")

# Resources of one service instance: (type, name, builder). Order matters for references.
SERVICE = [
    ("aws_kms_key", "data"), ("aws_kms_alias", "data"), ("aws_security_group", "app"),
    ("aws_security_group", "db"), ("aws_security_group_rule", "db_from_app"),
    ("aws_vpc_security_group_egress_rule", "app_out"), ("aws_s3_bucket", "assets"),
    ("aws_s3_bucket_server_side_encryption_configuration", "assets"), ("aws_s3_bucket_versioning", "assets"),
    ("aws_s3_bucket_public_access_block", "assets"), ("aws_sqs_queue", "jobs"), ("aws_sns_topic", "events"),
    ("aws_dynamodb_table", "state"), ("aws_secretsmanager_secret", "db"), ("aws_elasticache_replication_group", "cache"),
    ("aws_lb_listener", "https"), ("aws_lb_listener", "http"), ("aws_iam_role", "task"),
    ("aws_iam_role_policy_attachment", "task"), ("aws_cloudwatch_log_group", "app"), ("aws_instance", "worker"),
    ("aws_ebs_volume", "worker"), ("aws_kinesis_stream", "clicks"), ("aws_efs_file_system", "shared"),
]
DB_MODULE = [("aws_db_parameter_group", "pg"), ("aws_db_instance", "main"), ("aws_rds_cluster", "aurora"),
             ("aws_rds_cluster_instance", "aurora"), ("aws_db_instance_automated_backups_replication", "main")]
ROOT = [("aws_kms_key", "backup"), ("aws_backup_vault", "main"), ("aws_backup_plan", "daily"),
        ("aws_backup_selection", "dbs"), ("aws_cloudfront_distribution", "cdn"), ("aws_security_group", "web"),
        ("aws_lb", "main")]


# Real plans list every schema attribute of a resource, most of them null or empty;
# these pad each resource to the size a provider writes (about 3 KB per resource in all).
SCHEMA_NULLS = ("arn_suffix", "availability_zone_id", "customer_owned_ip_enabled", "dedicated_log_volume",
                "engine_lifecycle_support", "final_snapshot_identifier", "identifier_prefix", "manage_master_user_password",
                "master_user_secret_kms_key_id", "network_type", "replicate_source_db", "storage_throughput",
                "upgrade_storage_config", "character_set_name", "ca_cert_identifier_override", "description_override",
                "expected_owner", "ipv6_address_count", "placement_group", "private_dns_name_options", "secondary_private_ips",
                "tenancy_override", "launch_template_override", "capacity_reservation_target", "enclave_options_override",
                "maintenance_options_override", "credit_specification_override", "cpu_options_override")


def _null_pad(v: dict, n: int) -> dict:
    for a in PAD_ATTRS[:n]:
        v.setdefault(a, None)
    return v


def values(typ: str, name: str, k: str, rnd: random.Random) -> tuple[dict, dict, dict]:
    """(planned values, after_unknown, expressions for configuration)."""
    bad = rnd.random() < 0.15   # some resources violate controls
    tags = dict(TAGS, Name=f"{k}-{name}")
    if rnd.random() < 0.1:
        tags.pop("Owner")
    common = {"tags": tags, "tags_all": dict(tags, Environment="prod")}
    unk = {"id": True, "arn": True, "tags_all": {}}
    ex: dict = {}
    if typ == "aws_kms_key":
        v = dict(description=f"{k} {name}", enable_key_rotation=not bad, deletion_window_in_days=30,
                 is_enabled=True, key_usage="ENCRYPT_DECRYPT", customer_master_key_spec="SYMMETRIC_DEFAULT",
                 multi_region=False, bypass_policy_lockout_safety_check=False, custom_key_store_id=None,
                 xks_key_id=None, **common)
        unk.update(key_id=True, policy=True)
    elif typ == "aws_kms_alias":
        v = dict(name=f"alias/{k}-{name}", name_prefix=None)
        unk = {"id": True, "arn": True, "target_key_arn": True, "target_key_id": True}
        ex["target_key_id"] = {"references": ["aws_kms_key.data.key_id", "aws_kms_key.data"]}
    elif typ == "aws_security_group":
        tier = {"app": "app", "db": "db", "web": "web"}[name]
        ingress = [{"cidr_blocks": ["0.0.0.0/0"] if tier == "web" else [], "description": "", "from_port": p,
                    "to_port": p, "protocol": "tcp", "ipv6_cidr_blocks": [], "prefix_list_ids": [],
                    "security_groups": [], "self": False} for p in ((443, 80) if tier == "web" else (8080,))]
        if bad and tier != "web":
            ingress.append({"cidr_blocks": ["0.0.0.0/0"], "description": "debug", "from_port": 22, "to_port": 22,
                            "protocol": "tcp", "ipv6_cidr_blocks": [], "prefix_list_ids": [],
                            "security_groups": [], "self": False})
        v = dict(name=f"{k}-{name}", description="Managed by Terraform", ingress=ingress,
                 egress=[{"cidr_blocks": ["10.0.0.0/8"], "description": "", "from_port": 0, "to_port": 0,
                          "protocol": "-1", "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [],
                          "self": False}], revoke_rules_on_delete=False, vpc_id="vpc-0a1b2c3d4e5f",
                 timeouts=None, name_prefix=None, tags=dict(tags, Tier=tier), tags_all=dict(tags, Tier=tier))
        unk.update(owner_id=True)
    elif typ == "aws_security_group_rule":
        v = dict(type="ingress", from_port=5432, to_port=5432, protocol="tcp", cidr_blocks=None,
                 description="app to db", ipv6_cidr_blocks=None, prefix_list_ids=None, self=False, timeouts=None)
        unk = {"id": True, "security_group_id": True, "source_security_group_id": True, "security_group_rule_id": True}
        ex = {"security_group_id": {"references": ["aws_security_group.db.id", "aws_security_group.db"]},
              "source_security_group_id": {"references": ["aws_security_group.app.id", "aws_security_group.app"]}}
    elif typ == "aws_vpc_security_group_egress_rule":
        v = dict(ip_protocol="tcp", from_port=443, to_port=443, cidr_ipv4="0.0.0.0/0", cidr_ipv6=None,
                 description="https out", prefix_list_id=None, referenced_security_group_id=None, **common)
        unk.update(security_group_id=True, security_group_rule_id=True)
        ex["security_group_id"] = {"references": ["aws_security_group.app.id", "aws_security_group.app"]}
    elif typ == "aws_s3_bucket":
        v = dict(bucket=f"{k}-{name}-{rnd.randrange(10**9)}", bucket_prefix=None, force_destroy=False,
                 object_lock_enabled=False, timeouts=None, **common)
        unk.update(bucket_domain_name=True, bucket_regional_domain_name=True, hosted_zone_id=True, region=True,
                   acceleration_status=True, acl=True, cors_rule=True, grant=True, lifecycle_rule=True,
                   logging=True, policy=True, replication_configuration=True, request_payer=True,
                   server_side_encryption_configuration=True, versioning=True, website=True,
                   website_domain=True, website_endpoint=True, object_lock_configuration=True)
    elif typ == "aws_s3_bucket_server_side_encryption_configuration":
        v = dict(expected_bucket_owner=None, rule=[{"apply_server_side_encryption_by_default": [
            {"sse_algorithm": "aws:kms", "kms_master_key_id": None}], "bucket_key_enabled": True}])
        unk = {"id": True, "bucket": True, "rule": [{"apply_server_side_encryption_by_default": [
            {"kms_master_key_id": True}]}]}
        ex = {"bucket": {"references": ["aws_s3_bucket.assets.id", "aws_s3_bucket.assets"]}}
        if bad:
            v["rule"][0]["apply_server_side_encryption_by_default"][0] = {"sse_algorithm": "AES256",
                                                                         "kms_master_key_id": None}
            unk["rule"] = [{"apply_server_side_encryption_by_default": [{}]}]
    elif typ == "aws_s3_bucket_versioning":
        v = dict(expected_bucket_owner=None, mfa=None,
                 versioning_configuration=[{"status": "Suspended" if bad else "Enabled", "mfa_delete": None}])
        unk = {"id": True, "bucket": True, "versioning_configuration": [{"mfa_delete": True}]}
        ex = {"bucket": {"references": ["aws_s3_bucket.assets.id", "aws_s3_bucket.assets"]}}
    elif typ == "aws_s3_bucket_public_access_block":
        v = dict(block_public_acls=True, block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True)
        unk = {"id": True, "bucket": True}
        ex = {"bucket": {"references": ["aws_s3_bucket.assets.id", "aws_s3_bucket.assets"]}}
    elif typ == "aws_sqs_queue":
        v = dict(name=f"{k}-{name}", delay_seconds=0, fifo_queue=False, max_message_size=262144,
                 message_retention_seconds=345600, receive_wait_time_seconds=0, visibility_timeout_seconds=30,
                 sqs_managed_sse_enabled=not bad, kms_master_key_id=None, redrive_policy=None, **common)
        unk.update(url=True, policy=True, kms_data_key_reuse_period_seconds=True)
    elif typ == "aws_sns_topic":
        v = dict(name=f"{k}-{name}", fifo_topic=False, display_name=None, delivery_policy=None, **common)
        unk.update(kms_master_key_id=True, owner=True, policy=True, signature_version=True)
        if not bad:
            ex["kms_master_key_id"] = {"references": ["aws_kms_key.data.arn", "aws_kms_key.data"]}
        else:
            v["kms_master_key_id"] = None
            unk.pop("kms_master_key_id")
    elif typ == "aws_dynamodb_table":
        v = dict(name=f"{k}-{name}", billing_mode="PAY_PER_REQUEST", hash_key="pk", range_key=None,
                 attribute=[{"name": "pk", "type": "S"}], point_in_time_recovery=[{"enabled": not bad}],
                 server_side_encryption=[{"enabled": True, "kms_key_arn": None}], stream_enabled=False,
                 table_class="STANDARD", deletion_protection_enabled=True, ttl=[], global_secondary_index=[],
                 local_secondary_index=[], replica=[], restore_date_time=None, **common)
        unk.update(stream_arn=True, stream_label=True, read_capacity=True, write_capacity=True,
                   server_side_encryption=[{"kms_key_arn": True}])
    elif typ == "aws_secretsmanager_secret":
        v = dict(name=f"{k}/db", description="db credentials", recovery_window_in_days=30,
                 force_overwrite_replica_secret=False, replica=[], **common)
        unk.update(kms_key_id=True, policy=True, name_prefix=True)
        ex["kms_key_id"] = {"references": ["aws_kms_key.data.arn", "aws_kms_key.data"]}
    elif typ == "aws_elasticache_replication_group":
        v = dict(replication_group_id=f"{k}-cache", description="cache", engine="redis", engine_version="7.1",
                 node_type="cache.r6g.large", num_cache_clusters=1 if bad else 3, port=6379,
                 automatic_failover_enabled=not bad, multi_az_enabled=not bad, at_rest_encryption_enabled=True,
                 transit_encryption_enabled=True, snapshot_retention_limit=35, auth_token=None,
                 **common)
        unk.update(kms_key_id=True, primary_endpoint_address=True, reader_endpoint_address=True,
                   member_clusters=True, security_group_ids=True)
    elif typ == "aws_lb_listener":
        https = name == "https"
        v = dict(port=443 if https else 80, protocol="HTTPS" if https else "HTTP",
                 ssl_policy=("ELBSecurityPolicy-2016-08" if bad else "ELBSecurityPolicy-TLS13-1-3-2021-06") if https
                 else None, certificate_arn="arn:aws:acm:us-east-1:111122223333:certificate/abc" if https else None,
                 default_action=[{"type": "redirect" if not https else "forward", "order": 1,
                                  "redirect": [] if https else [{"host": "#{host}", "path": "/#{path}", "port": "443",
                                                                  "protocol": "HTTPS", "query": "#{query}",
                                                                  "status_code": "HTTP_301"}],
                                  "fixed_response": [], "forward": [], "authenticate_cognito": [],
                                  "authenticate_oidc": [], "target_group_arn": None}], alpn_policy=None,
                 timeouts=None, **common)
        unk.update(load_balancer_arn=True)
        ex["load_balancer_arn"] = {"references": ["var.lb_arn"]}
    elif typ == "aws_iam_role":
        v = dict(name=f"{k}-task", assume_role_policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
                 '"Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
                 description=None, force_detach_policies=False, max_session_duration=3600, path="/",
                 permissions_boundary=None, **common)
        unk.update(create_date=True, unique_id=True, managed_policy_arns=True, inline_policy=True, name_prefix=True)
    elif typ == "aws_iam_role_policy_attachment":
        v = dict(policy_arn="arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy", role=f"{k}-task")
        unk = {"id": True}
    elif typ == "aws_cloudwatch_log_group":
        v = dict(name=f"/svc/{k}", retention_in_days=90, kms_key_id=None, skip_destroy=False,
                 log_group_class="STANDARD", name_prefix=None, **common)
    elif typ == "aws_instance":
        v = dict(ami="ami-0abcdef1234567890", instance_type="m6i.large", ebs_optimized=True, monitoring=True,
                 user_data_replace_on_change=False, source_dest_check=True, get_password_data=False,
                 hibernation=None, iam_instance_profile=None, timeouts=None, volume_tags=None,
                 root_block_device=[{"encrypted": True, "volume_size": 50, "volume_type": "gp3",
                                     "delete_on_termination": True, "tags": None}],
                 metadata_options=[{"http_endpoint": "enabled", "http_tokens": "required",
                                    "http_put_response_hop_limit": 1, "instance_metadata_tags": "disabled"}],
                 **common)
        unk.update(private_ip=True, public_ip=True, subnet_id=True, vpc_security_group_ids=True,
                   availability_zone=True, primary_network_interface_id=True, instance_state=True)
    elif typ == "aws_ebs_volume":
        v = dict(availability_zone=f"{REGION}a", size=100, type="gp3", encrypted=not bad, final_snapshot=False,
                 multi_attach_enabled=False, snapshot_id=None, outpost_arn=None, timeouts=None, **common)
        unk.update(kms_key_id=True, iops=True, throughput=True)
    elif typ == "aws_kinesis_stream":
        v = dict(name=f"{k}-{name}", shard_count=2, retention_period=24, encryption_type="NONE" if bad else "KMS",
                 kms_key_id="alias/aws/kinesis", enforce_consumer_deletion=False, shard_level_metrics=[],
                 stream_mode_details=[{"stream_mode": "PROVISIONED"}], timeouts=None, **common)
    elif typ == "aws_efs_file_system":
        v = dict(creation_token=f"{k}-{name}", encrypted=not bad, performance_mode="generalPurpose",
                 throughput_mode="bursting", lifecycle_policy=[], protection=[], **common)
        unk.update(kms_key_id=True, dns_name=True, number_of_mount_targets=True, size_in_bytes=True)
    elif typ == "aws_db_parameter_group":
        v = dict(name=f"{k}-pg16", family="postgres16", description="tls",
                 parameter=[{"name": "rds.force_ssl", "value": "0" if bad else "1", "apply_method": "immediate"},
                            {"name": "ssl_min_protocol_version", "value": "TLSv1.3", "apply_method": "immediate"}],
                 skip_destroy=False, **common)
        unk.update(name_prefix=True)
    elif typ == "aws_db_instance":
        v = _null_pad(dict(identifier=f"{k}-db", engine="postgres", engine_version="16.3",
                           instance_class="db.r6g.large", allocated_storage=100, storage_type="gp3",
                           storage_encrypted=True, multi_az=not bad, backup_retention_period=7 if bad else 35,
                           backup_window="03:00-04:00", maintenance_window="sun:05:00-sun:06:00",
                           deletion_protection=True, skip_final_snapshot=False, copy_tags_to_snapshot=True,
                           publicly_accessible=False, iam_database_authentication_enabled=True,
                           performance_insights_enabled=True, auto_minor_version_upgrade=True, username="app",
                           password=None, db_name="app", port=5432, apply_immediately=False,
                           delete_automated_backups=True, **common), 14)
        unk.update(address=True, endpoint=True, hosted_zone_id=True, resource_id=True, status=True,
                   kms_key_id=True, vpc_security_group_ids=True, parameter_group_name=True,
                   db_subnet_group_name=True, availability_zone=True, ca_cert_identifier=True,
                   latest_restorable_time=True, listener_endpoint=True, master_user_secret=True)
        ex = {"kms_key_id": {"references": ["var.kms_key_arn"]},
              "vpc_security_group_ids": {"references": ["var.security_group_id"]},
              "parameter_group_name": {"references": ["aws_db_parameter_group.pg.name", "aws_db_parameter_group.pg"]}}
    elif typ == "aws_rds_cluster":
        v = _null_pad(dict(cluster_identifier=f"{k}-aurora", engine="aurora-postgresql", engine_version="16.2",
                           storage_encrypted=True, backup_retention_period=35, database_name="app",
                           master_username="app", deletion_protection=True, skip_final_snapshot=False,
                           copy_tags_to_snapshot=True, iam_database_authentication_enabled=True,
                           db_cluster_instance_class=None, **common), 10)
        unk.update(kms_key_id=True, endpoint=True, reader_endpoint=True, vpc_security_group_ids=True,
                   cluster_members=True, availability_zones=True, cluster_resource_id=True)
        ex = {"kms_key_id": {"references": ["var.kms_key_arn"]},
              "vpc_security_group_ids": {"references": ["var.security_group_id"]}}
    elif typ == "aws_rds_cluster_instance":
        v = dict(identifier=f"{k}-aurora-1", instance_class="db.r6g.large", engine="aurora-postgresql",
                 publicly_accessible=False, auto_minor_version_upgrade=True, promotion_tier=0, **common)
        unk.update(cluster_identifier=True, endpoint=True, availability_zone=True, writer=True)
        ex = {"cluster_identifier": {"references": ["aws_rds_cluster.aurora.id", "aws_rds_cluster.aurora"]}}
    elif typ == "aws_db_instance_automated_backups_replication":
        v = dict(retention_period=35, pre_signed_url=None, timeouts=None)
        unk = {"id": True, "source_db_instance_arn": True, "kms_key_id": True}
        ex = {"source_db_instance_arn": {"references": ["aws_db_instance.main.arn", "aws_db_instance.main"]}}
    elif typ == "aws_backup_vault":
        v = dict(name="main", force_destroy=False, **common)
        unk.update(kms_key_arn=True, recovery_points=True)
        ex["kms_key_arn"] = {"references": ["aws_kms_key.backup.arn", "aws_kms_key.backup"]}
    elif typ == "aws_backup_plan":
        v = dict(name="daily", advanced_backup_setting=[], rule=[{
            "rule_name": "daily", "schedule": "cron(0 5 ? * * *)", "start_window": 60, "completion_window": 180,
            "enable_continuous_backup": False, "recovery_point_tags": {},
            "lifecycle": [{"delete_after": 35, "cold_storage_after": 0, "opt_in_to_archive_for_supported_resources": False}],
            "copy_action": [{"destination_vault_arn": "arn:aws:backup:us-west-2:111122223333:backup-vault:dr",
                             "lifecycle": [{"delete_after": 35, "cold_storage_after": 0,
                                            "opt_in_to_archive_for_supported_resources": False}]}]}], **common)
        unk.update(version=True, rule=[{"target_vault_name": True}])
        ex["rule"] = [{"target_vault_name": {"references": ["aws_backup_vault.main.name", "aws_backup_vault.main"]}}]
    elif typ == "aws_backup_selection":
        v = dict(name="dbs", not_resources=[], condition=[], selection_tag=[
            {"type": "STRINGEQUALS", "key": "Backup", "value": "daily"}], resources=None)
        unk = {"id": True, "plan_id": True, "iam_role_arn": True}
        ex = {"plan_id": {"references": ["aws_backup_plan.daily.id", "aws_backup_plan.daily"]}}
    elif typ == "aws_cloudfront_distribution":
        v = dict(enabled=True, is_ipv6_enabled=True, price_class="PriceClass_100", http_version="http2and3",
                 default_root_object="index.html", aliases=["www.example.com"], retain_on_delete=False,
                 wait_for_deployment=True, web_acl_id=None, comment=None,
                 default_cache_behavior=[{"viewer_protocol_policy": "redirect-to-https", "target_origin_id": "s3",
                                          "allowed_methods": ["GET", "HEAD"], "cached_methods": ["GET", "HEAD"],
                                          "compress": True}],
                 ordered_cache_behavior=[], restrictions=[{"geo_restriction": [{"restriction_type": "none",
                                                                                 "locations": []}]}],
                 viewer_certificate=[{"acm_certificate_arn": "arn:aws:acm:us-east-1:111122223333:certificate/x",
                                      "cloudfront_default_certificate": False,
                                      "minimum_protocol_version": "TLSv1.2_2021", "ssl_support_method": "sni-only",
                                      "iam_certificate_id": None}], **common)
        unk.update(domain_name=True, etag=True, hosted_zone_id=True, status=True, origin=True)
    elif typ == "aws_lb":
        v = dict(name="main", internal=False, load_balancer_type="application", drop_invalid_header_fields=True,
                 enable_deletion_protection=True, idle_timeout=60, ip_address_type="ipv4", **common)
        unk.update(dns_name=True, zone_id=True, security_groups=True, subnets=True, vpc_id=True)
    else:
        raise ValueError(typ)
    return v, unk, ex


def build(n: int, seed: int = 7) -> dict:
    rnd = random.Random(seed)
    per_service = len(SERVICE) + len(DB_MODULE)
    services = max(1, (n - len(ROOT)) // per_service)
    pv_root: dict = {"resources": [], "child_modules": []}
    changes: list = []
    cfg_root: dict = {"resources": [], "module_calls": {}}

    def add(pv_mod: dict, mod_addr: str, typ: str, name: str, k: str, cfg_mod: dict | None):
        v, unk, ex = values(typ, name, k, rnd)
        for a in SCHEMA_NULLS:
            v.setdefault(a, None)
        addr = f"{mod_addr}.{typ}.{name}" if mod_addr else f"{typ}.{name}"
        prov = "registry.terraform.io/hashicorp/aws"
        pv_mod["resources"].append({"address": addr, "mode": "managed", "type": typ, "name": name,
                                    "provider_name": prov, "schema_version": 0, "values": v,
                                    "sensitive_values": {"tags": {}, "tags_all": {}}})
        rc = {"address": addr, "mode": "managed", "type": typ, "name": name, "provider_name": prov,
              "change": {"actions": ["create"], "before": None, "after": v, "after_unknown": unk,
                         "before_sensitive": False, "after_sensitive": {"tags": {}, "tags_all": {}}}}
        if mod_addr:
            rc["module_address"] = mod_addr
        changes.append(rc)
        if cfg_mod is not None:
            exprs = {a: {"constant_value": x} for a, x in v.items()
                     if x is not None and not isinstance(x, (list, dict)) and a not in ("tags_all",)}
            exprs.update(ex)
            cfg_mod["resources"].append({"address": f"{typ}.{name}", "mode": "managed", "type": typ, "name": name,
                                         "provider_config_key": "aws" if not mod_addr else "service:aws",
                                         "expressions": exprs, "schema_version": 0})

    for typ, name in ROOT:
        add(pv_root, "", typ, name, "root", cfg_root)
    svc_cfg = {"resources": [], "module_calls": {}}
    db_cfg = {"resources": []}
    for i in range(services):
        k = f"svc{i:04d}"
        mod_addr = f'module.service["{k}"]'
        pv_mod = {"address": mod_addr, "resources": [], "child_modules": []}
        for typ, name in SERVICE:
            add(pv_mod, mod_addr, typ, name, k, svc_cfg if i == 0 else None)
        db_addr = f"{mod_addr}.module.db"
        pv_db = {"address": db_addr, "resources": []}
        for typ, name in DB_MODULE:
            add(pv_db, db_addr, typ, name, k, db_cfg if i == 0 else None)
        pv_mod["child_modules"].append(pv_db)
        pv_root["child_modules"].append(pv_mod)
    svc_cfg["module_calls"]["db"] = {
        "source": "./modules/db", "module": db_cfg,
        "expressions": {"kms_key_arn": {"references": ["aws_kms_key.data.arn", "aws_kms_key.data"]},
                        "security_group_id": {"references": ["aws_security_group.db.id", "aws_security_group.db"]}}}
    cfg_root["module_calls"]["service"] = {
        "source": "./modules/service", "for_each_expression": {"references": ["var.services"]},
        "module": svc_cfg, "expressions": {"lb_arn": {"references": ["aws_lb.main.arn", "aws_lb.main"]}}}
    return {
        "format_version": "1.2", "terraform_version": "1.9.5",
        "variables": {"services": {"value": [f"svc{i:04d}" for i in range(services)]}},
        "planned_values": {"root_module": pv_root},
        "resource_changes": changes,
        "configuration": {
            "provider_config": {"aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws",
                                        "expressions": {"region": {"constant_value": REGION},
                                                        "default_tags": [{"tags": {"constant_value": {
                                                            "Environment": "prod"}}}]}}},
            "root_module": cfg_root},
        "timestamp": "2025-01-01T00:00:00Z", "applyable": True, "complete": True, "errored": False,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("resources", type=int, help="about how many resources")
    ap.add_argument("-o", "--output", default="-", help="file (default: stdout)")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args(argv)
    doc = build(a.resources, a.seed)
    text = json.dumps(doc, separators=(",", ":"))
    if a.output == "-":
        sys.stdout.write(text)
    else:
        with open(a.output, "w") as fh:
            fh.write(text)
    n = len(doc["resource_changes"])
    print(f"{n} resources, {len(text) / 1e6:.1f} MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
