"""Cross-resource facts, computed once after every source has been read.

Sources emit references as keys (addresses, ARNs, ids); this module attaches
separate security-group rules to their groups, cluster instances to their
clusters, and backup copies to the databases they cover.  It works on the
model only, so every source gets the same linking.
"""
from __future__ import annotations

from .model import Resource
from .values import Origin, Unknown, Value

def link(resources: list[Resource]) -> list[Resource]:
    index: dict[str, Resource] = {}
    for r in resources:
        for k in r.keys:
            index.setdefault(k, r)
    for fn in LINKERS:
        fn(resources, index)
    return resources


def _sg_rules(resources: list[Resource], index: dict[str, Resource]) -> None:
    for r in resources:
        if r.kind != "sg_rule":
            continue
        group = r["group"]
        rule = r["rule"]
        direction = r["direction"].value or "ingress"
        targets = [index[k] for k in (group.value or []) if k in index] if group.known else []
        for g in targets:
            cur = g[direction]
            rules = list(cur.value) if cur.known and isinstance(cur.value, list) else []
            if not g.has(direction):
                g.set(direction, Value(rules, Origin(g.source, direction)))
            elif not cur.known:
                continue  # the group's own list is unknown already: stays unknown
            rules.append(rule.value if rule.known else Unknown(rule.reason, rule.origin))
            g.set(direction, Value(rules, g[direction].origin))


def _cluster_members(resources: list[Resource], index: dict[str, Resource]) -> None:
    members: dict[int, list[Resource]] = {}
    unresolved: list[Resource] = []
    for r in resources:
        if r.kind != "cluster_member":
            continue
        c = r["cluster"]
        hit = [index[k] for k in (c.value or []) if k in index] if c.known else []
        if hit:
            members.setdefault(id(hit[0]), []).append(r)
        else:
            unresolved.append(r)
    for r in resources:
        if r.kind == "database" and r.has("cluster_members") is False and r.type in ("aws_rds_cluster",):
            mem = members.get(id(r), [])
            if unresolved and not mem:
                r.set("cluster_members", Unknown(
                    f"{len(unresolved)} cluster instance(s) reference a cluster that could not be resolved",
                    Origin(r.source, "aws_rds_cluster_instance.cluster_identifier")))
            else:
                r.set("cluster_members", Value([m.address for m in mem],
                                               Origin(r.source, "aws_rds_cluster_instance.cluster_identifier")))


def _backup_copies(resources: list[Resource], index: dict[str, Resource]) -> None:
    """BAK-02 helpers live in rules; here only replication resources are attached."""
    for r in resources:
        if r.kind != "backup_replication":
            continue
        src = r["source"]
        for k in (src.value or []) if src.known else []:
            db = index.get(k)
            if db is not None and db.kind == "database":
                db.set("backup_cross_region", Value(True, Origin(r.source, f"{r.type}.source_db_instance_arn")))
                db.context.setdefault("backup_replication", r.address)


LINKERS = [_sg_rules, _cluster_members, _backup_copies]
