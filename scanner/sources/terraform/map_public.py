"""NET-05 in Terraform: whether databases and caches are reachable from the public internet.

Fields added to types other modules map (``normalize.adds``). RDS instances and cluster instances
are private unless ``publicly_accessible`` (the provider's default is false); a cluster is public
when any member is (rules/net_private.py reads its members). Azure PostgreSQL flexible servers
are private when VNet-integrated (``delegated_subnet_id``) or when public network access is off;
SQL servers and Redis caches when ``public_network_access_enabled = false`` (default true).
ElastiCache has no public mode: no field, not applicable.
"""
from __future__ import annotations

from ...model import Resource
from ...values import Origin, Unknown, Value
from .map_data import derived, setting
from .normalize import adds
from .tfmodel import TfResource


def _truthy(v) -> bool:
    return v is True or (isinstance(v, str) and v.strip().lower() == "true")


@adds("aws_db_instance", "aws_rds_cluster_instance")
def rds_public(tf: TfResource, r: Resource) -> None:
    v = setting(tf, "publicly_accessible", False, "not publicly accessible")
    if v is not None:
        r.set("publicly_accessible", v if not v.known else Value(_truthy(v.value), v.origin))


@adds("aws_rds_cluster")
def rds_cluster_public(tf: TfResource, r: Resource) -> None:
    # only Multi-AZ DB clusters carry the setting; other clusters are public through their members
    raw = tf.raw("publicly_accessible")
    if isinstance(raw, bool):
        r.set("publicly_accessible", tf.get("publicly_accessible"))
    elif isinstance(raw, Unknown) and tf.project is not None and tf.project.declares(tf, "publicly_accessible"):
        r.set("publicly_accessible", tf.get("publicly_accessible"))


def _public_access(tf: TfResource, r: Resource) -> None:
    v = setting(tf, "public_network_access_enabled", True, "public network access enabled")
    if v is not None:
        r.set("publicly_accessible", derived(v, "publicly_accessible", _truthy))


@adds("azurerm_postgresql_flexible_server")
def pg_flexible_public(tf: TfResource, r: Resource) -> None:
    sub = tf.raw("delegated_subnet_id")
    if (isinstance(sub, str) and sub) or (isinstance(sub, Unknown) and tf.refs("delegated_subnet_id")):
        o = tf.origin("delegated_subnet_id")
        r.set("publicly_accessible", Value(False, Origin(o.source, "publicly_accessible (from delegated_subnet_id: "
                                                                   "VNet-integrated)", o.file, o.line)))
        return
    if isinstance(sub, Unknown) and tf.project is not None and tf.project.declares(tf, "delegated_subnet_id"):
        r.set("publicly_accessible", Unknown(f"whether the server is VNet-integrated is not known: {sub.reason}",
                                             tf.origin("delegated_subnet_id")))
        return
    _public_access(tf, r)


adds("azurerm_mssql_server", "azurerm_sql_server", "azurerm_redis_cache")(_public_access)
