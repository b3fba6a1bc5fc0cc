"""DR-01 in Terraform: whether a primary data store keeps a copy in another region.

Fields added to types other modules map (``normalize.adds``): ``cross_region_replica`` on primary
RDS instances and clusters, DynamoDB tables, S3 buckets, Azure PostgreSQL flexible servers and SQL
databases. The copies are other resources joined by the reference written in configuration
(``joins.related`` / ``related_unknown``): an RDS replica's ``replicate_source_db``, the clusters of
an ``aws_rds_global_cluster``, a table's ``replica`` blocks or ``aws_dynamodb_table_replica``, an
``aws_s3_bucket_replication_configuration`` and its rules' destination bucket, a PostgreSQL
replica's ``source_server_id``, an ``azurerm_mssql_failover_group``'s databases and partner server.

"Another region" compares regions: an AWS resource's is its provider's (``map_data.provider_region``:
aliases, providers passed to modules, a region from a variable), or a replica block's
``region_name``; an Azure resource's is its ``location``. A region that is not known, a reference
that is only possible, or a copy that may not be created never counts as another region: the field is
unknown then, unless some certain copy is in another region.
"""
from __future__ import annotations

from typing import Any

from ...model import Resource
from ...values import Origin, Unknown, Value
from .joins import related, related_unknown
from .map_data import _arn_region, _blocks, provider_region
from .normalize import adds, managed_of_types
from .tfmodel import MISSING, Refs, TfResource

FIELD = "cross_region_replica"


class _Copies:
    """What one store's copies show: some in another region, some unsettled, some in its own."""

    def __init__(self, tf: TfResource):
        self.tf = tf
        self.mine = _region(tf)
        self.other: list[str] = []
        self.doubts: list[str] = []
        self.same: list[str] = []

    def add(self, what: str, region: Value, maybe: str | None = None) -> None:
        if maybe:
            self.doubts.append(f"{what} may be a copy: {maybe}")
        elif not region.known:
            self.doubts.append(f"the region of {what} is not known: {region.reason}")
        elif not self.mine.known:
            self.doubts.append(f"{what} is in {region.value}, and this store's region is not known: "
                               f"{self.mine.reason}")
        elif _norm(region.value) != _norm(self.mine.value):
            self.other.append(f"{what} in {region.value}")
        else:
            self.same.append(f"{what} is in the same region ({region.value})")

    def doubt(self, why: str) -> None:
        self.doubts.append(why)

    def value(self, none: str) -> Value:
        tf = self.tf
        if self.other:
            return Value(True, Origin(tf.source, f"{FIELD} ({'; '.join(self.other)})", tf.file, tf.line))
        if self.doubts:
            return Unknown("; ".join(dict.fromkeys(self.doubts)), Origin(tf.source, FIELD, tf.file, tf.line))
        why = "; ".join(self.same) if self.same else none
        return Value(False, Origin(tf.source, f"{FIELD} ({why})", tf.file, tf.line))


def _norm(region: Any) -> str:
    return str(region).replace(" ", "").lower()


def _region(tf: TfResource) -> Value:
    if tf.provider == "azure":
        loc = tf.get("location")
        if loc.__class__.__name__ == "Absent":
            return Unknown("it has no location", tf.origin("location"))
        return loc
    return provider_region(tf)


def _is_set(tf: TfResource, path: str) -> bool:
    raw = tf.raw(path)
    return not (raw is MISSING or raw is None or raw == "")


def _candidates(c: _Copies, tf: TfResource, types: tuple[str, ...], attr: str) -> list[TfResource]:
    """The certain copies pointing at ``tf`` through ``attr``; the possible ones become doubts."""
    for o in related_unknown(tf, types, attr):
        c.doubt(f"{o.address} may point at it ({attr}): its reference is not settled")
    return related(tf, types, attr)


# ------------------------------------------------------------------ RDS
@adds("aws_db_instance")
def rds_instance_dr(tf: TfResource, r: Resource) -> None:
    if _is_set(tf, "replicate_source_db"):
        return   # a replica: not a primary
    c = _Copies(tf)
    for rep in _candidates(c, tf, ("aws_db_instance",), "replicate_source_db"):
        c.add(f"replica {rep.address}", provider_region(rep), rep.existence)
    r.set(FIELD, c.value("no aws_db_instance names it in replicate_source_db"))


_CLUSTERS = ("aws_rds_cluster",)
_GLOBALS = ("aws_rds_global_cluster",)


@adds("aws_rds_cluster")
def rds_cluster_dr(tf: TfResource, r: Resource) -> None:
    if _is_set(tf, "replication_source_identifier"):
        return   # a cross-region read replica cluster: not a primary
    c = _Copies(tf)
    project = tf.project
    globals_: list[TfResource] = []
    refs = tf.refs("global_cluster_identifier") or []
    possible = refs.possible if isinstance(refs, Refs) else {}
    by_addr = {g.address: g for g in managed_of_types(project, _GLOBALS)} if project is not None else {}
    for a in refs:
        g = by_addr.get(a)
        if g is None:
            continue
        if a in possible:
            c.doubt(f"global_cluster_identifier may name {a}: {possible[a]}")
        else:
            globals_.append(g)
    # a global cluster created from this cluster (source_db_cluster_identifier)
    if project is not None:
        globals_ += [g for g in _candidates(c, tf, _GLOBALS, "source_db_cluster_identifier") if g not in globals_]
    named = tf.raw("global_cluster_identifier")
    if not globals_ and _is_set(tf, "global_cluster_identifier") and not any(a in by_addr for a in refs):
        shown = f"{named!r}" if isinstance(named, str) else "a value known after apply"
        c.doubt(f"global_cluster_identifier names {shown}, a global cluster outside this configuration: its "
                f"members cannot be seen")
    for g in globals_:
        if g.existence:
            c.doubt(f"{g.address} may not be created: {g.existence}")
            continue
        members = _candidates(c, g, _CLUSTERS, "global_cluster_identifier")
        src = g.refs("source_db_cluster_identifier") or []
        members += [m for m in managed_of_types(project, _CLUSTERS) if m.address in src and m not in members]
        for m in members:
            if m is tf:
                continue
            c.add(f"cluster {m.address} of {g.address}", provider_region(m), m.existence)
    r.set(FIELD, c.value("it is not a member of an aws_rds_global_cluster with a cluster in another region"))


# ------------------------------------------------------------------ DynamoDB
@adds("aws_dynamodb_table")
def dynamodb_dr(tf: TfResource, r: Resource) -> None:
    c = _Copies(tf)
    blocks = _blocks(tf, "replica")
    holders: list[tuple[TfResource, str]] = []
    if isinstance(blocks, Unknown):
        # a set of blocks with an unknown member is wholly unknown in a plan: read them as written
        cfg = tf.project.config_blocks(tf, "replica") if tf.project is not None else None
        if cfg is None:
            c.doubt(f"its replica blocks are {blocks.reason}")
        holders = [(b, "") for b in cfg or []]
    else:
        holders = [(tf, f"replica.{i}.") for i in range(len(blocks))]
    for holder, p in holders:
        name = holder.get(f"{p}region_name")
        c.add(f"replica {p or 'block '}region_name", name if name.__class__.__name__ != "Absent"
              else Unknown("region_name is not set", holder.origin(f"{p}region_name")))
    for rep in _candidates(c, tf, ("aws_dynamodb_table_replica",), "global_table_arn"):
        c.add(f"replica {rep.address}", provider_region(rep), rep.existence)
    r.set(FIELD, c.value("no replica block and no aws_dynamodb_table_replica"))


# ------------------------------------------------------------------ S3
_REPLICATION = ("aws_s3_bucket_replication_configuration",)


@adds("aws_s3_bucket")
def s3_dr(tf: TfResource, r: Resource) -> None:
    c = _Copies(tf)
    for conf in _candidates(c, tf, _REPLICATION, "bucket"):
        if conf.existence:
            c.doubt(f"{conf.address} may not be created: {conf.existence}")
            continue
        _rules(c, conf, "rule", "destination.0.bucket", f"{conf.address}")
    inline = tf.raw("replication_configuration")
    if isinstance(inline, list) and inline:   # the AWS provider v3 inline block
        _rules(c, tf, "replication_configuration.0.rules", "destination.0.bucket", "replication_configuration")
    r.set(FIELD, c.value("no aws_s3_bucket_replication_configuration replicates it"))


def _rules(c: _Copies, holder_res: TfResource, path: str, dest: str, what: str) -> None:
    rules = _blocks(holder_res, path) if "." not in path else _nested(holder_res, path)
    holders: list[tuple[TfResource, str]] = []
    if isinstance(rules, Unknown):
        cfg = holder_res.project.config_blocks(holder_res, path) if holder_res.project is not None else None
        if cfg is None:
            c.doubt(f"the rules of {what} are {rules.reason}")
            return
        holders = [(b, "") for b in cfg]
    else:
        holders = [(holder_res, f"{path}.{i}.") for i in range(len(rules))]
    for holder, p in holders:
        status = holder.raw(f"{p}status")
        if isinstance(status, Unknown):
            c.doubt(f"whether a rule of {what} is enabled is not known: {status.reason}")
            continue
        if not (isinstance(status, str) and status.lower() == "enabled"):
            continue
        c.add(f"the destination of {what}", _bucket_region(holder, f"{p}{dest}"))


def _nested(tf: TfResource, path: str) -> Any:
    raw = tf.raw(path)
    if isinstance(raw, Unknown):
        return raw
    return raw if isinstance(raw, list) else []


def _bucket_region(holder: TfResource, path: str) -> Value:
    """The region of a destination bucket (an ARN has none): the referenced bucket's provider's."""
    origin = holder.origin(path)
    refs = holder.refs(path) or []
    possible = refs.possible if isinstance(refs, Refs) else {}
    project = holder.project
    buckets = {b.address: b for b in managed_of_types(project, ("aws_s3_bucket",))} if project is not None else {}
    for a in refs:
        b = buckets.get(a)
        if b is None:
            continue
        if a in possible:
            return Unknown(f"the destination may be {a}: {possible[a]}", origin)
        if b.existence:
            return Unknown(f"the destination {a} may not be created: {b.existence}", origin)
        reg = provider_region(b)
        return reg if not reg.known else Value(reg.value, Origin(origin.source, f"{a} region", origin.file,
                                                                 origin.line))
    raw = holder.raw(path)
    if isinstance(raw, Unknown):
        return Unknown(f"the destination bucket is {raw.reason} and names no bucket of this configuration", origin)
    region = _arn_region(raw)
    if region:
        return Value(region, origin)
    return Unknown(f"the destination bucket {raw!r} is outside this configuration: its region cannot be seen",
                   origin)


# ------------------------------------------------------------------ Azure
_PG = ("azurerm_postgresql_flexible_server",)


@adds("azurerm_postgresql_flexible_server")
def pg_dr(tf: TfResource, r: Resource) -> None:
    mode = tf.raw("create_mode")
    if isinstance(mode, str) and mode.lower() == "replica":
        return   # a replica: not a primary
    c = _Copies(tf)
    if isinstance(mode, Unknown):
        c.doubt(f"whether it is a replica is not known: create_mode is {mode.reason}")
    for rep in _candidates(c, tf, _PG, "source_server_id"):
        rmode = rep.raw("create_mode")
        if isinstance(rmode, Unknown):
            c.doubt(f"whether {rep.address} is a replica is not known: create_mode is {rmode.reason}")
            continue
        if not (isinstance(rmode, str) and rmode.lower() == "replica"):
            continue   # a point-in-time restore or geo-restore copies it once, it does not replicate
        c.add(f"replica {rep.address}", _region(rep), rep.existence)
    r.set(FIELD, c.value('no azurerm_postgresql_flexible_server with create_mode = "Replica" names it'))


_FOG = ("azurerm_mssql_failover_group",)


@adds("azurerm_mssql_database")
def sql_database_dr(tf: TfResource, r: Resource) -> None:
    c = _Copies(tf)
    c.mine = _server_location(tf)
    for fog in _candidates(c, tf, _FOG, "databases"):
        if fog.existence:
            c.doubt(f"{fog.address} may not be created: {fog.existence}")
            continue
        partners = _blocks(fog, "partner_server")
        if isinstance(partners, Unknown):
            cfg = fog.project.config_blocks(fog, "partner_server") if fog.project is not None else None
            holders = [(b, "") for b in cfg or []]
            if not cfg:
                c.doubt(f"the partner servers of {fog.address} are {partners.reason}")
        else:
            holders = [(fog, f"partner_server.{i}.") for i in range(len(partners))]
        for holder, p in holders:
            c.add(f"partner server of {fog.address}", _server_region(holder, f"{p}id"))
    r.set(FIELD, c.value("no azurerm_mssql_failover_group with a partner server in another location holds it"))


def _server_location(tf: TfResource) -> Value:
    """The location of the server a database belongs to (an azurerm_mssql_database has none itself)."""
    return _server_region(tf, "server_id")


def _server_region(holder: TfResource, path: str) -> Value:
    origin = holder.origin(path)
    refs = holder.refs(path) or []
    possible = refs.possible if isinstance(refs, Refs) else {}
    project = holder.project
    servers = {s.address: s for s in managed_of_types(project, ("azurerm_mssql_server",))} if project else {}
    for a in refs:
        s = servers.get(a)
        if s is None:
            continue
        if a in possible:
            return Unknown(f"{path} may name {a}: {possible[a]}", origin)
        if s.existence:
            return Unknown(f"{a} may not be created: {s.existence}", origin)
        return _region(s)
    raw = holder.raw(path)
    if isinstance(raw, Unknown):
        return Unknown(f"the server is {raw.reason} and is no server of this configuration", origin)
    return Unknown(f"the server {raw!r} is outside this configuration: its location cannot be seen", origin)
