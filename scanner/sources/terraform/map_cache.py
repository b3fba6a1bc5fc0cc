"""Caches: ElastiCache replication groups and Azure Cache for Redis."""
from __future__ import annotations

from ...model import Resource
from ...values import Unknown, Value
from .normalize import maps
from .tfmodel import MISSING, TfResource
from .map_data import _declared, _first_setting, _set, _tls, _truthy, _unset, derived, setting


# ------------------------------------------------------------------ caches
@maps("aws_elasticache_replication_group", kind="cache")
def elasticache(tf: TfResource, r: Resource) -> None:
    _set(r, "at_rest_encrypted", setting(tf, "at_rest_encryption_enabled", False, "not encrypted at rest"))
    tls = setting(tf, "transit_encryption_enabled", False, "in-transit encryption off")
    mode = tf.raw("transit_encryption_mode")
    if tls is not None and tls.known and tls.truthy().is_true and isinstance(mode, str) and mode.lower() == "preferred":
        # "preferred" accepts unencrypted clients too (a migration setting).
        tls = derived(tf.get("transit_encryption_mode"), "requires_tls", lambda v: False)
    _set(r, "requires_tls", tls)
    _set(r, "automatic_failover", setting(tf, "automatic_failover_enabled", False, "no automatic failover"))
    _set(r, "multi_az", setting(tf, "multi_az_enabled", False, "single AZ"))
    _set(r, "snapshot_retention_days", setting(tf, "snapshot_retention_limit", 0, "no automatic snapshots"))
    r.set("node_count", _cache_nodes(tf))
    azs = tf.raw("preferred_cache_cluster_azs")
    if isinstance(azs, list) and azs and all(isinstance(a, str) for a in azs):
        r.set("zone_count", Value(len(set(azs)), tf.origin("preferred_cache_cluster_azs")))


def _cache_nodes(tf: TfResource) -> Value:
    """Nodes per shard: num_cache_clusters, or replicas_per_node_group + 1 in cluster mode."""
    n = _first_setting(tf, ("number_cache_clusters", "num_cache_clusters"), MISSING, "")
    if n is not None and (n.known or _declared(tf, n.origin.path) is not False):
        return n
    groups = setting(tf, "num_node_groups")
    if groups is not None and groups.known and groups.value:
        replicas = setting(tf, "replicas_per_node_group", 0, "no replicas")
        return derived(replicas, "node_count", lambda v: int(v) + 1)
    if isinstance(groups, Unknown) and _declared(tf, "num_node_groups") is not False:
        return groups
    return _unset(tf, "num_cache_clusters", 1, "one node")


@maps("azurerm_redis_cache", kind="cache")
def redis_cache(tf: TfResource, r: Resource) -> None:
    non_ssl = _first_setting(tf, ("non_ssl_port_enabled", "enable_non_ssl_port"), False, "non-TLS port closed")
    r.set("requires_tls", derived(non_ssl, "requires_tls", lambda v: not _truthy(v)))
    _set(r, "tls_min_version", _tls(tf, "minimum_tls_version"))
    zones = tf.raw("zones")
    if isinstance(zones, Unknown):
        r.set("zone_count", Unknown(zones.reason, tf.origin("zones")))
    elif isinstance(zones, list):
        r.set("zone_count", Value(len(set(zones)), tf.origin("zones")))
    else:
        r.set("zone_count", _unset(tf, "zones", 0, "no availability zones"))
