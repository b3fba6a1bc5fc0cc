"""Which ``map_*`` module registers a mapper (``@maps``) or an adder (``@adds``) for each Terraform type.

normalize() imports a mapper module when the project has a resource of one of its types, not every
module at every scan: a scan of S3 buckets and security groups does not load the IAM, Azure SQL or
azapi mappers (and what they import).  The table is what the modules register, written out;
tests/test_mapper_index.py imports every ``map_*`` module and fails, printing the right entry, when a
module registers a type this table does not give it (or the other way round), so it cannot go stale.
"""
from __future__ import annotations

# module (in scanner/sources/terraform) -> the types it maps or adds fields to
TYPES: dict[str, tuple[str, ...]] = {
    "map_azapi": ("azapi_resource",),
    "map_azure_db": ("azurerm_mariadb_server", "azurerm_mysql_flexible_server", "azurerm_mysql_server",
                     "azurerm_postgresql_flexible_server", "azurerm_postgresql_server"),
    "map_azure_sql": ("azurerm_mssql_database", "azurerm_mssql_server", "azurerm_sql_database", "azurerm_sql_server"),
    "map_backup": ("aws_backup_plan", "aws_backup_selection", "aws_db_instance_automated_backups_replication"),
    "map_cache": ("aws_elasticache_replication_group", "azurerm_redis_cache"),
    "map_credentials": ("aws_db_instance", "aws_rds_cluster", "azurerm_mssql_server",
                        "azurerm_postgresql_flexible_server", "azurerm_sql_server"),
    "map_dr": ("aws_db_instance", "aws_dynamodb_table", "aws_rds_cluster", "aws_s3_bucket", "azurerm_mssql_database",
               "azurerm_postgresql_flexible_server"),
    "map_edge": ("aws_alb", "aws_api_gateway_stage", "aws_cloudfront_distribution", "aws_lb",
                 "azurerm_application_gateway", "azurerm_cdn_frontdoor_endpoint"),
    "map_iam": ("aws_iam_group_policy", "aws_iam_policy", "aws_iam_role", "aws_iam_role_policy",
                "aws_iam_user_policy", "azurerm_role_definition"),
    "map_keys": ("aws_kms_key", "azurerm_key_vault"),
    "map_logs": ("aws_lambda_function", "aws_vpc", "azurerm_virtual_network"),
    "map_msg": ("aws_sns_topic_subscription", "aws_sqs_queue", "azurerm_servicebus_queue",
                "azurerm_servicebus_subscription"),
    "map_network": ("aws_alb_listener", "aws_api_gateway_domain_name", "aws_apigatewayv2_domain_name",
                    "aws_cloudfront_distribution", "aws_lb_listener", "aws_security_group", "aws_security_group_rule",
                    "aws_vpc_security_group_egress_rule", "aws_vpc_security_group_ingress_rule",
                    "azurerm_application_gateway", "azurerm_application_security_group",
                    "azurerm_cdn_frontdoor_custom_domain", "azurerm_network_security_group",
                    "azurerm_network_security_rule"),
    "map_public": ("aws_db_instance", "aws_rds_cluster", "aws_rds_cluster_instance", "azurerm_mssql_server",
                   "azurerm_postgresql_flexible_server", "azurerm_redis_cache", "azurerm_sql_server"),
    "map_rds": ("aws_db_instance", "aws_db_parameter_group", "aws_rds_cluster", "aws_rds_cluster_instance",
                "aws_rds_cluster_parameter_group"),
    "map_secrets": ("aws_secretsmanager_secret", "azurerm_key_vault_key", "azurerm_key_vault_secret"),
    "map_storage": ("aws_ebs_volume", "aws_efs_file_system", "aws_s3_bucket", "azurerm_storage_account"),
    "map_stores": ("aws_dynamodb_table", "aws_kinesis_stream", "aws_secretsmanager_secret", "aws_sns_topic",
                   "aws_sqs_queue"),
}


def modules_by_type() -> dict[str, tuple[str, ...]]:
    """type -> the modules that register something for it, in name order."""
    out: dict[str, list[str]] = {}
    for module in sorted(TYPES):
        for t in TYPES[module]:
            out.setdefault(t, []).append(module)
    return {t: tuple(mods) for t, mods in out.items()}
