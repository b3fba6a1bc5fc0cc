"""HA: multi-AZ (seed 000 Data Layer; seed 002 High Availability; seed 004 Multi-AZ)."""
from __future__ import annotations

from scanner.controls import Check, control
from scanner.values import FALSE, TRUE, Value, unknown_tri


@control("HA-01", title="Relational databases survive the loss of an availability zone",
         family="HA", severity="medium-high", soc2=["A1.2"], kinds=("database",),
         fields=("multi_az", "cluster_members", "cluster_zone_count"),
         params={"min_cluster_instances": 2},
         requirement="Relational databases run a standby or replicas in another availability zone: Multi-AZ "
                     "instances, clusters of at least 2 instances, zone-redundant Azure servers and databases.")
def ha_01(r, ctx):
    chk = Check()
    need = int(ctx.params.get("min_cluster_instances", 2))
    ok, fails, unknowns = FALSE, [], []
    if r.has("multi_az"):
        v = r["multi_az"]
        t = v.truthy()
        chk.see(v)
        ok = ok | t
        if t.is_false:
            fails.append("no synchronous standby in another availability zone (Multi-AZ / zone redundancy is off)")
        elif t.is_unknown:
            unknowns.append(f"whether a standby runs in another zone is not known: {t.reason}")
    if r.has("cluster_zone_count"):
        z = r["cluster_zone_count"]
        t = z.ge(2)
        chk.see(z)
        ok = ok | t
        if t.is_false:
            fails.append(f"the cluster's instances run in {z.value} availability zone(s); at least 2 are required")
        elif t.is_unknown:
            unknowns.append(f"the zones of the cluster's instances are not known: {t.reason}")
    elif r.has("cluster_members"):
        m = r["cluster_members"]
        t, msg = _members(m, need)
        chk.see(m)
        ok = ok | t
        (fails if t.is_false else unknowns if t.is_unknown else []).append(msg)
    if ok.is_true:
        return chk.verdict("the database keeps running if one availability zone is lost")
    for u in unknowns if not ok.is_false else []:
        chk.unknown(u)
    if ok.is_false:
        chk.fails.extend(fails)
    return chk.verdict("")


def _members(m: Value, need: int):
    if not m.known:
        return unknown_tri(m.reason), f"the cluster's instances are not known: {m.reason}"
    known = [x for x in m.value or [] if isinstance(x, str)]
    maybe = [x for x in m.value or [] if not isinstance(x, str)]
    if len(known) >= need:
        return TRUE, ""
    if maybe:
        return (unknown_tri(maybe[0].reason),
                f"the cluster has {len(known)} known instance(s) and {len(maybe)} whose cluster is not known; "
                f"{need} are required")
    return FALSE, f"the cluster has {len(known)} instance(s); at least {need} (a writer and a reader) are required"


@control("HA-02", title="Caches fail over automatically across availability zones",
         family="HA", severity="medium-high", soc2=["A1.2"], kinds=("cache",),
         fields=("automatic_failover", "multi_az", "node_count", "zone_count"),
         requirement="Caches have automatic failover, Multi-AZ and at least 2 nodes (Azure: at least 2 zones).")
def ha_02(r, ctx):
    chk = Check()
    if r.has("automatic_failover"):
        v = r["automatic_failover"]
        chk.require(v.truthy(), "automatic failover is off", "whether automatic failover is on is not known", v)
    if r.has("multi_az"):
        v = r["multi_az"]
        chk.require(v.truthy(), "Multi-AZ is off", "whether Multi-AZ is on is not known", v)
    if r.has("node_count"):
        v = r["node_count"]
        chk.require(v.ge(2), f"the cache has {v.value} node(s) per shard; at least 2 are needed to fail over",
                    "the number of nodes is not known", v)
    if r.has("zone_count"):
        v = r["zone_count"]
        chk.require(v.ge(2), f"the cache is placed in {v.value} availability zone(s); at least 2 are required",
                    "the cache's zones are not known", v)
    return chk.verdict("the cache fails over automatically to another availability zone")
