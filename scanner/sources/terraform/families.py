"""Resource types of a family the catalogue covers that no mapper reads.

A database, cache, store, key, listener, edge endpoint or security group of a type
specguard cannot map would otherwise get no finding but TAG-01, and nobody would know
its encryption, TLS, availability and backups were never looked at.  normalize() lists
every such type found in a project under coverage instead (``unmapped``), with the
controls that are not checked.  A type that gets a mapper leaves this list by itself:
only types without one are reported.
"""
from __future__ import annotations

import re
from functools import lru_cache

# family -> (what it is, the controls a mapper of it would feed, the types: full-match patterns)
FAMILIES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "database": ("database", "ENC-01, TLS-03, HA-01, BAK-01 and BAK-02", (
        r"aws_docdb_cluster", r"aws_docdbelastic_cluster", r"aws_neptune_cluster", r"aws_redshift_cluster",
        r"aws_redshiftserverless_namespace", r"aws_dsql_cluster", r"aws_lightsail_database",
        r"aws_timestreaminfluxdb_db_instance",
        r"azurerm_(mssql|sql)_managed_instance", r"azurerm_cosmosdb_postgresql_cluster",
    )),
    "cache": ("cache", "ENC-04, TLS-03, HA-02 and BAK-03", (
        r"aws_elasticache_cluster", r"aws_elasticache_serverless_cache", r"aws_memorydb_cluster",
        r"aws_dax_cluster", r"azurerm_redis_enterprise_cluster", r"azurerm_managed_redis",
    )),
    "data_store": ("data store", "ENC-04 and BAK-03", (
        r"aws_kinesis_firehose_delivery_stream", r"aws_kinesis_video_stream", r"aws_msk_(serverless_)?cluster",
        r"aws_mq_broker", r"aws_opensearch_domain", r"aws_elasticsearch_domain", r"aws_keyspaces_table",
        r"aws_timestreamwrite_table",
    )),
    "storage": ("storage", "ENC-02, ENC-03 and BAK-03", (
        r"aws_fsx_(lustre|ontap|openzfs|windows)_file_system", r"aws_s3_directory_bucket",
    )),
    "key": ("key", "ENC-05", (
        r"aws_kms_(replica_key|external_key|replica_external_key)",
        r"azurerm_key_vault_managed_hardware_security_module",
    )),
    "listener": ("load balancer listener", "TLS-01", (r"aws_elb",)),
    "edge": ("edge endpoint", "TLS-02", (
        r"azurerm_frontdoor", r"azurerm_cdn_endpoint", r"azurerm_cdn_endpoint_custom_domain",
    )),
    "security_group": ("security group", "NET-01, NET-02, NET-03 and NET-04", (r"aws_default_security_group",)),
}

# (the literal start of each pattern, the pattern, its family): a type is matched only against the
# patterns it starts like, each compiled on first need -- compiling all of them (one alternation)
# cost ~1.5 ms of every scan whose configuration has a type without a mapper
_PREFIXED = [(p.split("(", 1)[0], p, fam) for fam, (_, _, pats) in FAMILIES.items() for p in pats]


@lru_cache(maxsize=None)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


@lru_cache(maxsize=None)
def family(rtype: str) -> str | None:
    """The covered family of a resource type, or None."""
    for prefix, pattern, fam in _PREFIXED:
        if rtype.startswith(prefix) and (prefix == pattern and rtype == pattern
                                         or _compiled(pattern).fullmatch(rtype)):
            return fam
    return None


def uncovered(tf) -> str | None:
    """The covered family of a Terraform resource no mapper reads, or None.

    An ElastiCache cluster that is a member of a replication group is checked through its group
    (ENC-04, TLS-03, HA-02, BAK-03 read the group), so it is not "not checked".
    """
    fam = family(tf.type)
    if fam and tf.type == "aws_elasticache_cluster":
        group = tf.raw("replication_group_id")
        if (isinstance(group, str) and group) or tf.refs("replication_group_id"):
            return None
    return fam


def coverage_entries(unmapped: dict[str, list[str]]) -> list[tuple[str, str, dict]]:
    """(kind, message, details) for each type of a covered family that no mapper reads.

    ``unmapped``: type -> addresses of the project's resources of that type.
    """
    out = []
    for rtype in sorted(unmapped):
        fam = family(rtype)
        if fam is None:
            continue
        what, controls, _ = FAMILIES[fam]
        addrs = unmapped[rtype]
        out.append(("type-not-mapped",
                    f"{rtype}: specguard does not map this {what} type; its {controls} controls are not checked "
                    f"({len(addrs)} resource{'s' if len(addrs) != 1 else ''}: {', '.join(addrs[:5])}"
                    f"{', ...' if len(addrs) > 5 else ''})",
                    {"type": rtype, "family": fam, "resources": addrs}))
    return out
