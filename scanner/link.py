"""Cross-resource facts, computed once after every source has been read.

Sources emit references as keys (addresses, ARNs, ids); this module attaches
separate security-group rules to their groups, cluster instances to their
clusters, and backup copies to the databases they cover.  It works on the
model only, so every source gets the same linking.
"""
from __future__ import annotations

import re

from .model import Resource
from .values import FALSE, TRUE, Origin, Tri, Unknown, Value, tri, unknown_tri

class Maybe(Unknown):
    """An entry that may not be there (its resource's count is not known, or it may belong
    elsewhere), with what it would be (``what``: a rule dict, a member's key). Unknown to every
    reader; a rule that answers alike with and without it may look inside (NET-01..05)."""

    __slots__ = ("what",)

    def __init__(self, reason: str, origin: Origin | None, what):
        super().__init__(reason, origin)
        self.what = what


def link(resources: list[Resource]) -> list[Resource]:
    index: dict[str, Resource] = {}
    for r in resources:
        for k in r.keys:
            index.setdefault(k, r)
    for fn in LINKERS:
        fn(resources, index)
    return resources


def _sg_rules(resources: list[Resource], index: dict[str, Resource]) -> None:
    """Append each separate rule resource to its group's ingress/egress list.

    A rule whose group cannot be found stays unattached (NET-04 reports it as
    unknown); a rule that may not be created, or whose group is one of several
    (its group a ``Maybe`` naming them), is added as ``Maybe`` entries (to each
    of those groups); a rule of unknown direction is added to both lists as
    Unknown; a rule value may be one rule dict or a list of them (Azure port ranges).
    """
    for r in resources:
        if r.kind != "sg_rule":
            continue
        group = r["group"]
        rule = r["rule"]
        d = r["direction"]
        if d.known and d.value in ("ingress", "egress"):
            directions = [d.value]
            entries = rule.value if rule.known else Unknown(rule.reason, rule.origin)
        else:
            directions = ["ingress", "egress"]
            entries = Unknown(f"the direction of rule {r.address} is not known", d.origin)
        if r.existence:
            # a rule that may not be created: what it would allow is possible, never settled
            parts = entries if isinstance(entries, list) else [entries]
            entries = [Maybe(r.existence, r["rule"].origin, e) if isinstance(e, dict) else
                       Unknown(r.existence, r["rule"].origin) for e in parts]
        if not isinstance(entries, list):
            entries = [entries]
        targets = {id(index[k]): index[k] for k in (group.value or []) if k in index} if group.known else {}
        if isinstance(group, Maybe) and (isinstance(group.what, list) or group.what == "*"):
            # one of several groups (any AWS group: "*"): the rule may be in each of them
            targets = {id(index[k]): index[k] for k in group.what if k in index} if group.what != "*" else \
                {id(g): g for g in resources if g.kind == "security_group" and g.type == "aws_security_group"}
            entries = [e if isinstance(e, Unknown) and not isinstance(e, Maybe) else
                       Maybe(f"{r.address} may belong to this group ({group.reason})", group.origin,
                             e.what if isinstance(e, Maybe) else e) for e in entries]
        for g in targets.values():
            if g.kind != "security_group":
                continue
            for direction in directions:
                cur = g[direction]
                if not g.has(direction):
                    g.set(direction, Value([], Origin(g.source, direction)))
                elif not cur.known:
                    continue  # the group's own list is unknown already: stays unknown
                g.set(direction, Value(list(g[direction].value or []) + entries, g[direction].origin))


def _cluster_members(resources: list[Resource], index: dict[str, Resource]) -> None:
    """Attach cluster_member resources to their aws_rds_cluster (HA-01).

    A member whose cluster cannot be resolved might belong to any cluster: it is
    listed as an Unknown entry, so a cluster with fewer than enough known members
    is unknown rather than a fail.  Zones are counted when every member's is known.
    """
    members: dict[int, list[Resource]] = {}
    doubtful: dict[int, list[Resource]] = {}   # members that may not be created
    unresolved: list[Resource] = []
    for r in resources:
        if r.kind != "cluster_member":
            continue
        c = r["cluster"]
        hit = [index[k] for k in (c.value or []) if k in index and index[k].kind == "database"] if c.known else []
        if hit and not r.existence:
            members.setdefault(id(hit[0]), []).append(r)
        elif hit:
            doubtful.setdefault(id(hit[0]), []).append(r)
        else:
            unresolved.append(r)
    origin = Origin("derived", "cluster instances (aws_rds_cluster_instance.cluster_identifier)")
    for r in resources:
        if r.kind != "database" or r.type != "aws_rds_cluster" or r.has("cluster_members"):
            continue
        mem = members.get(id(r), [])
        entries: list = [m.address for m in mem]
        for u in doubtful.get(id(r), []):
            entries.append(Maybe(f"{u.address} may not be created ({u.existence})", u["cluster"].origin, u.address))
        for u in unresolved:
            if _names_another(u["cluster"], r):
                continue
            why = u["cluster"].reason if not u["cluster"].known else "names a cluster that was not scanned"
            entries.append(Maybe(f"{u.address} may belong to this cluster ({why})", u["cluster"].origin, u.address))
        r.set("cluster_members", Value(entries, Origin(r.source, origin.path)))
        zones = [m["availability_zone"] for m in mem]
        unresolved_here = [u for u in unresolved if not _names_another(u["cluster"], r)]
        if mem and not unresolved_here and not doubtful.get(id(r)) and not r.has("cluster_zone_count") and all(
                z.known and isinstance(z.value, str) and z.value for z in zones):
            r.set("cluster_zone_count", Value(len({z.value for z in zones}),
                                              Origin(r.source, "availability_zone of the cluster instances")))


def _names_another(cluster: Value, db: Resource) -> bool:
    """A member whose cluster is a known identifier other than this cluster's known identifier
    (AWS identifiers are case-insensitive) cannot belong to it."""
    if not cluster.known or not cluster.value:
        return False
    named = [k for k in cluster.value if isinstance(k, str)]
    # only literal identifiers (letters, digits, hyphens), not ARNs nor Terraform addresses
    if not named or any(k.startswith("arn:") or "." in k for k in named):
        return False
    mine = {k.lower() for k in db.keys if k != db.address and not k.startswith("arn:")}
    return bool(mine) and not mine & {k.lower() for k in named}


# ----------------------------------------------------------------- backup copies (BAK-02)
_RDS_ARN_TYPE = {"aws_db_instance": "db", "aws_rds_cluster": "cluster"}


def _backup_copies(resources: list[Resource], index: dict[str, Resource]) -> None:
    """Decide backup_cross_region for every AWS RDS database from the model.

    Copied when an automated-backups replication names it, or when an AWS Backup
    selection covers it (by reference, ARN pattern, tags or conditions) and that
    selection's plan has a copy_action to another region.  Not copied only when
    every replication, selection and plan involved is known.  A source that could
    not list them sets backup_cross_region to Unknown itself; this only upgrades it.
    """
    reps = [r for r in resources if r.kind == "backup_replication"]
    sels = [r for r in resources if r.kind == "backup_selection"]
    # A replication whose source keys all resolve can only name those databases: index it by
    # them, so each database looks at its own replications plus the unresolved ones (linear,
    # where comparing every database with every replication is quadratic).
    direct: dict[int, list[Resource]] = {}
    general: list[Resource] = []
    for rep in reps:
        src = rep["source"]
        keys = src.value if src.known and isinstance(src.value, list) else None
        if keys is not None and all(isinstance(k, str) and k in index for k in keys):
            for k in keys:
                direct.setdefault(id(index[k]), []).append(rep)
        else:
            general.append(rep)
    for db in resources:
        if db.kind != "database" or db.provider != "aws" or db.type not in _RDS_ARN_TYPE:
            continue
        have = db.fields.get("backup_cross_region")
        if have is not None and have.known and have.truthy().is_true:
            continue
        result, by, why = FALSE, [], []
        for rep in list({id(x): x for x in direct.get(id(db), []) + general}.values()):
            t = _maybe_created(rep, _names_db(rep["source"], db, index))
            if t.is_true:
                by.append(rep.address)
            elif t.is_unknown:
                why.append(f"{rep.address}: {t.reason}")
            result = result | t
        for sel in sels:
            covers = _selection_covers(sel, db, index)
            if covers.is_false:
                continue
            copies, plan_names = _plan_copies(sel, db, index)
            t = _maybe_created(sel, covers & copies)
            if t.is_true:
                by.append(f"{sel.address} -> {plan_names}")
            elif t.is_unknown:
                why.append(f"{sel.address}: {t.reason}")
            result = result | t
        if result.is_true:
            db.set("backup_cross_region", Value(True, Origin(db.source, f"backup_cross_region (copied by "
                                                                        f"{', '.join(by)})")))
            db.set("backup_copied_by", Value(by, Origin(db.source, "backup_copied_by")))
        elif result.is_unknown:
            if have is None or have.known:
                db.set("backup_cross_region", Unknown("; ".join(why), Origin(db.source, "backup_cross_region")))
        elif have is None:
            db.set("backup_cross_region", Value(False, Origin(
                db.source, "backup_cross_region (no automated backups replication and no AWS Backup "
                           "cross-region copy covers it)")))


def _maybe_created(r: Resource, t: Tri) -> Tri:
    """A resource that may not be created can make a copy possible, never certain."""
    return unknown_tri(r.existence) if r.existence and t.is_true else t


def _names_db(v: Value, db: Resource, index: dict[str, Resource]) -> Tri:
    """Does a list of keys/ARNs name this database?"""
    if not v.known:
        return unknown_tri(getattr(v, "reason", "not known"))
    out = FALSE
    for k in v.value or []:
        if not isinstance(k, str):
            out = out | unknown_tri("an entry is not known")
        elif index.get(k) is db:
            return TRUE
        elif k not in index and (k == "*" or k.startswith("arn:")):
            out = out | _arn_match(k, db)
    return out


def _db_region(db: Resource):
    reg = db.fields.get("region")
    if reg is not None and reg.known and isinstance(reg.value, str):
        return reg.value
    return db.context.get("region")


def _arn_match(pattern: str, db: Resource) -> Tri:
    """Match an AWS Backup resource pattern ("*" = any characters) against the database's ARN.

    Before apply the ARN does not exist: it is built from what is known
    (arn:<partition>:rds:<region>:<account>:<db|cluster>:<identifier>) and a part
    that is not known matches only a pattern part that is all wildcards.
    """
    arns = [k for k in db.keys if k.startswith("arn:")]
    if arns:
        return tri(any(_glob(pattern, a) for a in arns))
    if pattern.strip() == "*":
        return TRUE
    region = _db_region(db)
    partition = None
    if region:
        partition = "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"
    ident = db.fields.get("identifier")
    name = ident.value if ident is not None and ident.known and isinstance(ident.value, str) else None
    segs = ["arn", partition, "rds", region, db.context.get("account"), _RDS_ARN_TYPE[db.type], name]
    pats = pattern.split(":", 6)
    if len(pats) < len(segs):
        if not pats[-1].endswith("*"):
            return FALSE
        pats += ["*"] * (len(segs) - len(pats))
    missing = False
    for p, s in zip(pats, segs):
        if s is None:
            if p.strip("*"):
                missing = True
        elif not _glob(p, s):
            return FALSE
    return unknown_tri("the database's ARN is known only after apply") if missing else TRUE


def _glob(pattern: str, text: str) -> bool:
    rx = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(rx, text, re.S) is not None


def _tag_test(op: str, key, value, db: Resource) -> Tri:
    if not isinstance(key, str) or not isinstance(value, str):
        return unknown_tri("a tag condition is known only after apply")
    tags = db["tags"]
    if not tags.known:
        return unknown_tri(f"the database's tags are not known ({getattr(tags, 'reason', '')})")
    d = tags.value or {}
    negative = op in ("not_equals", "not_like")
    if key not in d:
        if "*" in d:
            return unknown_tri(f"tag {key} may come from provider default_tags that are not known")
        return tri(negative)
    have = d[key]
    if isinstance(have, Value):
        if not have.known:
            return unknown_tri(f"tag {key} is known only after apply")
        have = have.value
    if not isinstance(have, str):
        return unknown_tri(f"tag {key} is known only after apply")
    hit = have == value if op in ("equals", "not_equals") else _glob(value, have)
    return tri(hit != negative)


def _selection_covers(sel: Resource, db: Resource, index: dict[str, Resource]) -> Tri:
    """AWS Backup semantics: (Resources OR ListOfTags) AND all Conditions AND NOT NotResources."""
    res, tags = sel["resources"], sel["tag_conditions"]
    if res.known and not (res.value or []) and tags.known and not (tags.value or []):
        include = TRUE  # neither given: every opted-in resource, filtered by the conditions
    else:
        include = _names_db(res, db, index) if sel.has("resources") else FALSE
        if not tags.known:
            include = include | unknown_tri(getattr(tags, "reason", "selection tags not known"))
        else:
            for t in tags.value or []:
                include = include | _tag_test("equals", t.get("key"), t.get("value"), db)
    conds = sel["conditions"]
    if sel.has("conditions"):
        if not conds.known:
            include = include & unknown_tri(getattr(conds, "reason", "conditions not known"))
        else:
            for c in conds.value or []:
                include = include & _tag_test(c.get("op", "equals"), c.get("key"), c.get("value"), db)
    if sel.has("not_resources"):
        notres = sel["not_resources"]
        if notres.known and notres.value:
            include = include & ~_names_db(notres, db, index)
        elif not notres.known:
            include = include & unknown_tri(getattr(notres, "reason", "excluded resources not known"))
    return include


def _plan_copies(sel: Resource, db: Resource, index: dict[str, Resource]) -> tuple[Tri, str]:
    """Does the selection's backup plan copy recovery points to a region other than the database's?"""
    plan = sel["plan"]
    if not plan.known:
        return unknown_tri(f"its backup plan is {getattr(plan, 'reason', 'not known')}"), "?"
    plans = {id(index[k]): index[k] for k in plan.value or [] if k in index and index[k].kind == "backup_plan"}
    if not plans:
        return unknown_tri("its backup plan was not among the scanned resources"), "?"
    out = FALSE
    for p in plans.values():
        rules = p["rules"]
        if not rules.known:
            out = out | unknown_tri(f"the rules of {p.address} are {getattr(rules, 'reason', 'not known')}")
            continue
        preg = p["region"]
        home = _db_region(db) or (preg.value if preg.known else None) or p.context.get("region")
        for rule in rules.value or []:
            for c in rule.get("copy_regions") or []:
                if isinstance(c, Value) and not c.known:
                    out = out | unknown_tri(f"a copy_action of {p.address}: {c.reason}")
                elif not isinstance(c, str):
                    out = out | unknown_tri(f"a copy_action destination of {p.address} is not known")
                elif home is None:
                    out = out | unknown_tri(f"the region of {p.address} is not known")
                else:
                    out = out | tri(c != home)
    return out, ", ".join(p.address for p in plans.values())


LINKERS = [_sg_rules, _cluster_members, _backup_copies]
